import type { keysChannels } from '../../../shared/contract/keys';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../errors';
import type { Handlers } from '../router';

type KeysHandlers = Pick<Handlers, keyof typeof keysChannels>;

// PLACEHOLDER: replaced by the keys service implementation.
export function createKeysHandlers(_ctx: AppContext): KeysHandlers {
  const todo = () => {
    throw new KeyDockError('not-implemented', 'This part of KeyDock is not built yet.', '');
  };
  return new Proxy({} as KeysHandlers, { get: () => todo });
}
