// Fixed names of Windows named pipes that KeyDock serves or connects to. Pageant's pipe name is
// not here: it is derived per user (agent/transports/windows/pageant-names.ts).

/**
 * The pipe Windows' OpenSSH (ssh.exe, ssh-add.exe and Git using them) talks to, owned by the
 * "OpenSSH Authentication Agent" service when that runs.
 */
export const OPENSSH_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';
