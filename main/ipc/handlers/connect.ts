import { checkKeyPathFromRenderer } from '../../keys/ipc-paths';
import type { connectChannels } from '../../../shared/contract/connect';
import type { AppContext } from '../../context';
import { applyTesterFix } from '../../connect/fixes';
import { GIT_HOST_PRESETS } from '../../connect/git-hosts';
import { runConnectionTest } from '../../connect/tester';
import { whichHost } from '../../connect/which';
import { applyDoctorFix, publicFinding, runDoctor } from '../../doctor/doctor';
import type { Handlers } from '../router';

type ConnectHandlers = Pick<Handlers, keyof typeof connectChannels>;

/** The connection tester and doctor for the app: progress goes out as tester:progress events. */
export function createConnectHandlers(ctx: AppContext): ConnectHandlers {
  return {
    'tester:list-presets': async () =>
      GIT_HOST_PRESETS.map((p) => ({ id: p.id, name: p.name, host: p.host, addKeyUrl: p.addKeyUrl, deployKeyHelp: p.deployKeyHelp })),
    'tester:run-test': async (req) => runConnectionTest(ctx, req.target, req.runId ? { runId: req.runId } : {}),
    'tester:which': async (req) => whichHost(ctx, req.target),
    'tester:apply-fix': async (req) => {
      await applyTesterFix(ctx, {
        target: req.target,
        kind: req.kind,
        // A path from the window is re-checked in main before anything reads it.
        ...(req.keyPath ? { keyPath: req.kind === 'load-key' ? await checkKeyPathFromRenderer(req.keyPath, 'private') : req.keyPath } : {}),
        ...(req.passphrase ? { passphrase: req.passphrase } : {}),
        ...(req.fingerprint ? { fingerprint: req.fingerprint } : {}),
        ...(req.publicKey ? { publicKey: req.publicKey } : {}),
      });
      return { done: true as const };
    },
    'doctor:run-checks': async () => (await runDoctor(ctx)).map(publicFinding),
    'doctor:apply-fix': async (req) => applyDoctorFix(ctx, req.id),
  };
}
