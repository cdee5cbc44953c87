import type { agentChannels } from '../../../shared/contract/agent';
import { discoverAgents } from '../../agent/discovery';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../util/errors';
import { checkKeyPathFromRenderer } from '../../keys/ipc-paths';
import type { Handlers } from '../router';

type AgentHandlers = Pick<Handlers, keyof typeof agentChannels>;

/** agent:* channels: the agent manager behind the keys view, with the renderer's paths re-checked. */
export function createAgentHandlers(ctx: AppContext): AgentHandlers {
  return {
    'agent:list-agents': () => discoverAgents(ctx),
    'agent:select-agent': async ({ agentId }) => {
      const agents = await discoverAgents(ctx);
      const chosen = agents.find((a) => a.id === agentId);
      if (!chosen) throw new KeyDockError('agent-unknown', 'That agent is not one KeyDock found.', 'Pick one from the list of agents.');
      await ctx.settings.update({ managedAgentId: agentId });
      return chosen;
    },
    'agent:list-identities': async ({ agentId }) => {
      const list = await ctx.agents.list(agentId);
      ctx.agents.watch();
      return list;
    },
    'agent:add-key': async (req) => {
      const file = await checkKeyPathFromRenderer(req.path, 'private');
      // The passphrase typed in the window is used once; a wrong one is reported, not retried.
      let given = req.passphrase ?? null;
      return ctx.agents.addFile(
        file,
        {
          passphrase: async () => {
            const p = given;
            given = null;
            return p;
          },
          remember: req.remember,
          lifetimeSeconds: req.lifetimeSeconds,
          confirm: req.confirm,
        },
        req.agentId,
      );
    },
    'agent:remove-key': async ({ agentId, fingerprint }) => {
      await ctx.agents.remove([{ fingerprint }], agentId);
      return { done: true as const };
    },
    'agent:remove-all': async ({ agentId }) => {
      await ctx.agents.removeAll(agentId);
      return { done: true as const };
    },
    'agent:lock': async ({ agentId, passphrase }) => {
      await ctx.agents.lock(passphrase, agentId);
      return { done: true as const };
    },
    'agent:unlock': async ({ agentId, passphrase }) => {
      await ctx.agents.unlock(passphrase, agentId);
      return { done: true as const };
    },
  };
}
