import type { smartcardChannels } from '../../../shared/contract/smartcard';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../util/errors';
import { checkProvider } from '../../agent/server/provider-allowlist';
import { commonPkcs11Providers, defaultPkcs11Allowlist, installedPkcs11Providers } from '../../agent/server/pkcs11-paths';
import type { Handlers } from '../router';

type SmartcardHandlers = Pick<Handlers, keyof typeof smartcardChannels>;

/** Keychain service of PINs the person chose to remember, one account per provider's real path. */
export const PIN_KEYCHAIN_SERVICE = 'KeyDock PKCS#11 PIN';

/**
 * smartcard:* channels (docs/hardware-keys.md): add or remove a PKCS#11 token in the managed agent.
 * Main loads the provider to check it before the agent does, so a path from the window must be
 * one the default allow-list permits (ssh-agent's /usr/lib*, /usr/local/lib*, and the usual macOS
 * and Windows folders); other libraries go through `keydock add --pkcs11`.
 */
export function createSmartcardHandlers(ctx: AppContext): SmartcardHandlers {
  return {
    'smartcard:list-providers': async () => {
      const found = new Set(installedPkcs11Providers().map((p) => p.path));
      return commonPkcs11Providers().map((p) => ({ ...p, found: found.has(p.path) }));
    },
    'smartcard:add': async (req) => {
      const checked = checkProvider(req.provider, defaultPkcs11Allowlist());
      if (!checked.ok) {
        throw new KeyDockError('pkcs11-provider-not-allowed', `KeyDock does not load ${req.provider.slice(0, 200)} from the window: ${checked.reason}.`, 'Pick one of the providers found, or a library under /usr/lib or /usr/local/lib; any other library can be added with keydock add --pkcs11 in a terminal.');
      }
      let pin = Buffer.from(req.pin, 'utf8');
      let fromKeychain = false;
      if (pin.length === 0) {
        const remembered = await ctx.secrets.get(PIN_KEYCHAIN_SERVICE, checked.path).catch(() => null);
        if (remembered) {
          pin = Buffer.from(remembered, 'utf8');
          fromKeychain = true;
        }
      }
      try {
        const added = await ctx.agents.addSmartcard(checked.path, pin, { lifetimeSeconds: req.lifetimeSeconds, confirm: req.confirm }, req.agentId);
        if (req.remember && !fromKeychain && req.pin) {
          // A keychain problem is a notice elsewhere; here the card is in the agent either way.
          await ctx.secrets.set(PIN_KEYCHAIN_SERVICE, checked.path, req.pin).catch(() => undefined);
        }
        return added;
      } catch (e) {
        // A remembered PIN that no longer works is forgotten: the next try asks.
        if (fromKeychain && e instanceof KeyDockError && e.code === 'pkcs11-pin-incorrect') await ctx.secrets.delete(PIN_KEYCHAIN_SERVICE, checked.path).catch(() => false);
        throw e;
      } finally {
        pin.fill(0);
      }
    },
    'smartcard:remove': async ({ agentId, provider }) => {
      await ctx.agents.removeSmartcard(provider, agentId);
      return { done: true as const };
    },
  };
}
