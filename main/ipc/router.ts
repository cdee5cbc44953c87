import { contract, isChannel, type Channel, type ParsedReq, type Res } from '../../shared/ipc-contract';
import { IpcErrorCode, fail, resultSchema, type Result } from '../../shared/result';
import { equalSecrets } from '../util/constant-time';
import { toAppError } from '../util/errors';

/** Who sent a request; each transport fills in what it can prove. */
export type Sender =
  | { transport: 'electron'; frameUrl: string }
  | { transport: 'bridge'; token: string; origin: string | undefined }
  | { transport: 'internal' };

export type Handler<C extends Channel> = (req: ParsedReq<C>, sender: Sender) => Promise<Res<C>> | Res<C>;
export type Handlers = { [C in Channel]: Handler<C> };

export interface SenderPolicy {
  /** Electron: the URL of the frame must be our own bundled page. */
  isTrustedFrameUrl?: (url: string) => boolean;
  /** Bridge: the per-launch secret and the origins allowed to use it. */
  bridgeToken?: string;
  bridgeOrigins?: readonly string[];
}

export interface RouterOptions {
  /** Parse responses against the contract too; on in tests so a service cannot drift from it. */
  validateResponses?: boolean;
}

/** The one place a request is checked: channel known, sender trusted, payload valid; then the service. */
export class Router {
  constructor(
    private readonly handlers: Handlers,
    private readonly policy: SenderPolicy,
    private readonly options: RouterOptions = {},
  ) {}

  async dispatch(channel: unknown, payload: unknown, sender: Sender): Promise<Result<unknown>> {
    if (!isChannel(channel)) {
      return fail(IpcErrorCode.unknownChannel, `There is no action called "${typeof channel === 'string' ? channel.slice(0, 80) : `(a ${typeof channel})`}".`, 'The window and the background service are out of step; restart KeyDock.');
    }
    const senderError = this.checkSender(sender);
    if (senderError) return senderError;

    const def = contract[channel];
    const parsed = def.req.safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
      return fail(IpcErrorCode.invalidPayload, `The request for ${channel} was not valid${where}: ${issue?.message ?? 'bad input'}.`, 'Check the values you entered and try again.');
    }
    let result: Result<unknown>;
    try {
      const handler = this.handlers[channel] as Handler<Channel>;
      result = { ok: true, value: await handler(parsed.data as never, sender) };
    } catch (e) {
      return { ok: false, error: toAppError(e) };
    }
    if (this.options.validateResponses) {
      const checked = resultSchema(def.res).safeParse(result);
      if (!checked.success) {
        return fail(IpcErrorCode.invalidResponse, `KeyDock produced an invalid answer for ${channel}: ${checked.error.issues[0]?.message ?? ''}`, 'This is a bug in KeyDock.');
      }
    }
    return result;
  }

  private checkSender(sender: Sender): Result<never> | null {
    switch (sender.transport) {
      case 'internal':
        return null;
      case 'electron':
        if (this.policy.isTrustedFrameUrl?.(sender.frameUrl)) return null;
        return fail(IpcErrorCode.forbiddenSender, 'This request did not come from the KeyDock window.', 'Only KeyDock’s own window may ask for this.');
      case 'bridge': {
        if (!this.policy.bridgeToken || !equalSecrets(sender.token, this.policy.bridgeToken)) {
          return fail(IpcErrorCode.badToken, 'The connection to KeyDock is missing its access token.', 'Open KeyDock with the address `npm start` printed, including the part after #.');
        }
        const origins = this.policy.bridgeOrigins ?? [];
        if (!sender.origin || !origins.includes(sender.origin)) {
          return fail(IpcErrorCode.forbiddenSender, `Requests from ${sender.origin ?? 'an unknown page'} are not allowed.`, 'Only the KeyDock page served by KeyDock may connect.');
        }
        return null;
      }
    }
  }
}
