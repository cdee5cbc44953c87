import type { loginAgentChannels } from '../../../shared/contract/login-agent';
import type { AppContext } from '../../context';
import type { Handlers } from '../router';

type LoginAgentHandlers = Pick<Handlers, keyof typeof loginAgentChannels>;

/**
 * `server:login-agent-*`: the Settings switch "Use KeyDock's agent for every login"
 * (main/lifecycle/login-agent.ts, docs/login-agent.md). The plan is install when KeyDock's agent
 * is not the login agent yet, else uninstall.
 */
export function createLoginAgentHandlers(ctx: AppContext): LoginAgentHandlers {
  const load = async () => {
    const m = await import('../../lifecycle/login-agent');
    return { ...m, options: { launcher: m.findKeydockLauncher(ctx.env) } };
  };
  return {
    'server:login-agent-plan': async () => {
      const { planLoginAgent, options } = await load();
      const { readLoginAgentState } = await import('../../config/login-agent-files');
      const installed = (await readLoginAgentState(ctx.paths)) !== null;
      return planLoginAgent(ctx, installed ? 'uninstall' : 'install', options);
    },
    'server:login-agent-apply': async (req) => {
      const { applyLoginAgent, options } = await load();
      return applyLoginAgent(ctx, req.action, options);
    },
  };
}
