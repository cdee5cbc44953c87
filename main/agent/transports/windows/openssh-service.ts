import { KeyDockError } from '../../../util/errors';
import { probePipe, type PipeProbe } from './pipe-client';
import { OPENSSH_AGENT_PIPE } from '../../../platform/windows/pipe-names';
import { SID_ADMINISTRATORS, SID_LOCAL_SYSTEM, sameSid } from '../../../platform/windows/sid-policy';
import { ERROR_ACCESS_DENIED, ERROR_SERVICE_DOES_NOT_EXIST, ERROR_SERVICE_NOT_ACTIVE, isBadHandle, win32 } from '../../../platform/windows/win32';

// The Windows "OpenSSH Authentication Agent" service (ssh-agent) owns OPENSSH_AGENT_PIPE
// when it runs. KeyDock never fights it silently: it detects the owner and
// offers two choices — use that agent (client mode) or stop the service (admin) and serve.

export const OPENSSH_SERVICE_NAME = 'ssh-agent';

export type ServiceState = 'not-installed' | 'stopped' | 'start-pending' | 'stop-pending' | 'running' | 'paused' | 'unknown';
export type ServiceStartType = 'automatic' | 'manual' | 'disabled' | 'unknown';

export interface OpenSshServiceStatus {
  state: ServiceState;
  startType: ServiceStartType;
}

export interface OpenSshPipeChoice {
  id: 'use-service' | 'stop-service' | 'stop-other';
  label: string;
  requiresAdmin: boolean;
  /** What to run or do, in words or as a command. */
  how: string;
}

export type OpenSshPipePlan =
  | { action: 'serve' }
  | { action: 'conflict'; owner: 'openssh-service' | 'other-program'; detail: string; choices: OpenSshPipeChoice[] };

const STATES: Record<number, ServiceState> = { 1: 'stopped', 2: 'start-pending', 3: 'stop-pending', 4: 'running', 7: 'paused' };
const START_TYPES: Record<number, ServiceStartType> = { 2: 'automatic', 3: 'manual', 4: 'disabled' };

/** Decides whether KeyDock may serve the OpenSSH pipe, and what to offer when it may not. Pure. */
export function planOpenSshPipe(service: OpenSshServiceStatus, pipe: PipeProbe, ownUserSid: string): OpenSshPipePlan {
  const useService: OpenSshPipeChoice = {
    id: 'use-service',
    label: 'Use the Windows OpenSSH agent',
    requiresAdmin: false,
    how: 'Keep the service; KeyDock manages its keys as a client (`keydock list --agent //./pipe/openssh-ssh-agent`).',
  };
  const stopService: OpenSshPipeChoice = {
    id: 'stop-service',
    label: 'Stop the Windows OpenSSH agent and let KeyDock serve',
    requiresAdmin: true,
    how: 'In an administrator PowerShell: Stop-Service ssh-agent; Set-Service ssh-agent -StartupType Disabled — then start KeyDock\'s agent again.',
  };
  const serviceOwns = pipe.exists && (sameSid(pipe.ownerSid, SID_LOCAL_SYSTEM) || sameSid(pipe.ownerSid, SID_ADMINISTRATORS) || sameSid(pipe.serverUserSid, SID_LOCAL_SYSTEM));
  if (service.state === 'running' || service.state === 'start-pending' || (pipe.exists && serviceOwns)) {
    return { action: 'conflict', owner: 'openssh-service', detail: `The Windows "OpenSSH Authentication Agent" service is running and owns ${OPENSSH_AGENT_PIPE}.`, choices: [useService, stopService] };
  }
  if (pipe.exists) {
    const who = pipe.serverExe ? `${pipe.serverExe} (pid ${pipe.serverPid})` : pipe.busy ? 'a busy program' : 'another program';
    const mine = sameSid(pipe.serverUserSid, ownUserSid) || sameSid(pipe.ownerSid, ownUserSid);
    return {
      action: 'conflict',
      owner: 'other-program',
      detail: `${who} already serves ${OPENSSH_AGENT_PIPE}${mine ? ' as your user' : ''}.`,
      choices: [
        { ...useService, label: 'Use the agent that serves the pipe now', how: 'KeyDock manages its keys as a client (`keydock list --agent //./pipe/openssh-ssh-agent`).' },
        { id: 'stop-other', label: 'Quit that program and let KeyDock serve', requiresAdmin: !mine, how: `Quit ${who}, then start KeyDock's agent again.` },
      ],
    };
  }
  return { action: 'serve' };
}

/** Reads the ssh-agent service's state and start type from the Service Control Manager. */
export function queryOpenSshService(): OpenSshServiceStatus {
  const api = win32();
  const SC_MANAGER_CONNECT = 0x1;
  const SERVICE_QUERY_CONFIG = 0x1;
  const SERVICE_QUERY_STATUS = 0x4;
  const scm = api.OpenSCManagerW(null, null, SC_MANAGER_CONNECT);
  if (isBadHandle(scm)) return { state: 'unknown', startType: 'unknown' };
  try {
    const svc = api.OpenServiceW(scm, OPENSSH_SERVICE_NAME, SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG);
    if (isBadHandle(svc)) {
      const code = api.GetLastError() as number;
      return { state: code === ERROR_SERVICE_DOES_NOT_EXIST ? 'not-installed' : 'unknown', startType: 'unknown' };
    }
    try {
      const status: Record<string, number> = {};
      const state = api.QueryServiceStatus(svc, status) ? (STATES[status.dwCurrentState ?? 0] ?? 'unknown') : 'unknown';
      const buf = Buffer.alloc(8192);
      const needed = [0];
      // QUERY_SERVICE_CONFIGW starts with dwServiceType, dwStartType.
      const startType = api.QueryServiceConfigW(svc, buf, buf.length, needed) ? (START_TYPES[buf.readUInt32LE(4)] ?? 'unknown') : 'unknown';
      return { state, startType };
    } finally {
      api.CloseServiceHandle(svc);
    }
  } finally {
    api.CloseServiceHandle(scm);
  }
}

/** Looks at the service and the pipe and says whether KeyDock may serve the OpenSSH pipe. */
export function inspectOpenSshPipe(path: string, ownUserSid: string): OpenSshPipePlan {
  return planOpenSshPipe(queryOpenSshService(), probePipe(path), ownUserSid);
}

/**
 * The "stop it and serve instead" choice: stops the service and disables it so it does not come
 * back at the next boot. Needs an elevated KeyDock; says so plainly otherwise.
 */
export function stopAndDisableOpenSshService(): void {
  const api = win32();
  const SC_MANAGER_CONNECT = 0x1;
  const SERVICE_STOP = 0x20;
  const SERVICE_CHANGE_CONFIG = 0x2;
  const SERVICE_QUERY_STATUS = 0x4;
  const SERVICE_NO_CHANGE = 0xffffffff;
  const SERVICE_DISABLED = 4;
  const SERVICE_CONTROL_STOP = 1;
  const needAdmin = () =>
    new KeyDockError('needs-admin', 'Stopping the Windows OpenSSH agent service needs administrator rights.', 'Run in an administrator PowerShell: Stop-Service ssh-agent; Set-Service ssh-agent -StartupType Disabled', { exitCode: 2 });
  const scm = api.OpenSCManagerW(null, null, SC_MANAGER_CONNECT);
  if (isBadHandle(scm)) throw needAdmin();
  try {
    const svc = api.OpenServiceW(scm, OPENSSH_SERVICE_NAME, SERVICE_STOP | SERVICE_CHANGE_CONFIG | SERVICE_QUERY_STATUS);
    if (isBadHandle(svc)) {
      const code = api.GetLastError() as number;
      if (code === ERROR_SERVICE_DOES_NOT_EXIST) return;
      if (code === ERROR_ACCESS_DENIED) throw needAdmin();
      throw new KeyDockError('service-control-failed', `Windows would not open the ssh-agent service (error ${code}).`, 'Stop it from Services (services.msc) instead.');
    }
    try {
      if (!api.ChangeServiceConfigW(svc, SERVICE_NO_CHANGE, SERVICE_DISABLED, SERVICE_NO_CHANGE, null, null, null, null, null, null, null)) {
        const code = api.GetLastError() as number;
        if (code === ERROR_ACCESS_DENIED) throw needAdmin();
      }
      const status: Record<string, number> = {};
      if (!api.ControlService(svc, SERVICE_CONTROL_STOP, status)) {
        const code = api.GetLastError() as number;
        if (code === ERROR_ACCESS_DENIED) throw needAdmin();
        if (code !== ERROR_SERVICE_NOT_ACTIVE) throw new KeyDockError('service-control-failed', `Windows would not stop the ssh-agent service (error ${code}).`, 'Stop it from Services (services.msc) instead.');
      }
    } finally {
      api.CloseServiceHandle(svc);
    }
  } finally {
    api.CloseServiceHandle(scm);
  }
}
