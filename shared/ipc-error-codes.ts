// Apart from result.ts so that main/errors.ts (loaded by every CLI command) does not load zod.

/** Error codes produced by the IPC layer itself, before any service runs. */
export const IpcErrorCode = {
  unknownChannel: 'ipc-unknown-channel',
  invalidPayload: 'ipc-invalid-payload',
  forbiddenSender: 'ipc-forbidden-sender',
  badToken: 'ipc-bad-token',
  invalidResponse: 'ipc-invalid-response',
  internal: 'internal-error',
} as const;
