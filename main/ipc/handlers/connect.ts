import type { connectChannels } from '../../../shared/contract/connect';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../errors';
import type { Handlers } from '../router';

type ConnectHandlers = Pick<Handlers, keyof typeof connectChannels>;

// PLACEHOLDER: replaced by the connect service implementation.
export function createConnectHandlers(_ctx: AppContext): ConnectHandlers {
  const todo = () => {
    throw new KeyDockError('not-implemented', 'This part of KeyDock is not built yet.', '');
  };
  return new Proxy({} as ConnectHandlers, { get: () => todo });
}
