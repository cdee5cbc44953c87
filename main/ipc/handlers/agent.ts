import type { agentChannels } from '../../../shared/contract/agent';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../errors';
import type { Handlers } from '../router';

type AgentHandlers = Pick<Handlers, keyof typeof agentChannels>;

// PLACEHOLDER: replaced by the agent service implementation.
export function createAgentHandlers(_ctx: AppContext): AgentHandlers {
  const todo = () => {
    throw new KeyDockError('not-implemented', 'This part of KeyDock is not built yet.', '');
  };
  return new Proxy({} as AgentHandlers, { get: () => todo });
}
