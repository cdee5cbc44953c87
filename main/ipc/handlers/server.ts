import type { serverChannels } from '../../../shared/contract/server';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../errors';
import type { Handlers } from '../router';

type ServerHandlers = Pick<Handlers, keyof typeof serverChannels>;

// PLACEHOLDER: replaced by the server service implementation.
export function createServerHandlers(_ctx: AppContext): ServerHandlers {
  const todo = () => {
    throw new KeyDockError('not-implemented', 'This part of KeyDock is not built yet.', '');
  };
  return new Proxy({} as ServerHandlers, { get: () => todo });
}
