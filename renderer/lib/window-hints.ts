import type { AppError } from '../../shared/result';

// The window never tells anyone to type a command. Main's errors and findings are shared with
// the `keydock` command, so their hints may name one ("ssh-add FILE", "--force"); here each
// known code gets the window's own words (and, in components/FixActions.tsx, a button), and any
// other text loses the sentences or asides that name a command.

/** What looks like a terminal command or a command-line flag in a sentence. */
export const TERMINAL_COMMAND = /`[^`]*`|\bkeydock\s+[a-z][a-z-]*|\bssh-add\b|\bssh-keygen\b|\bssh-agent\b|(?:^|[\s(])--[a-z][a-z-]*|\beval\s*["'$(]|\bchmod\s+\d|\bgit\s+config\b|\$\(/;

/** Window replacements for the hints of error codes main can send, by code. */
export const ERROR_HINTS: Record<string, string> = {
  'agent-unreachable': "Start KeyDock's own agent with the button below, or choose another agent in Settings.",
  'agent-connection-lost': "The agent stopped answering. Try again, start KeyDock's own agent, or choose another agent in Settings.",
  'agent-timeout': "The agent did not answer in time. Try again, or choose another agent in Settings.",
  'key-not-loaded': 'That key is no longer in the agent. The list shows every loaded key with its fingerprint.',
  'internal-error': 'Try again; if it keeps happening, restart KeyDock.',
  'key-wrong-passphrase': 'Type it again, checking Caps Lock and the keyboard layout. A forgotten passphrase cannot be recovered: make a new key in "Set up a key".',
  'key-passphrase-needed': 'Load the key from the Keys list and type its passphrase there, then try again.',
  'key-unsupported': 'Use an Ed25519 key (make one in "Set up a key"), or ECDSA or RSA with 3072 bits or more.',
  'keychain-bad-fingerprint': 'Choose the key from the Keys list; KeyDock remembers passphrases by SHA256 fingerprint.',
  'keychain-empty-passphrase': 'This key has no passphrase, so there is nothing to keep in the keychain.',
  'key-public-unknown': 'KeyDock cannot read the public half of this key without its passphrase: load the key once from the Keys list, then try again.',
  'key-file-exists': 'Replace the existing file? KeyDock keeps the old key as a backup you can restore from the Keys list.',
  'file-exists': 'Replace the existing file? KeyDock keeps the old one as a backup.',
  'publish-scope-missing': 'Sign out of that account in the "Add it for me" dialog, sign in again allowing the permissions asked for, then try again.',
  'publish-key-in-use': 'Use a different key for this account (make one in "Set up a key"), or remove this key from the account or repository that has it, then try again.',
  'picker-unavailable': 'Choose the key from the list of keys found in your .ssh folder.',
  'ui-no-token': 'Open the full address KeyDock printed: it ends with #code=… (an address ending with #token=… is from an older KeyDock). For a new address, open KeyDock again from its menu.',
  'ui-drop-no-path': 'Pick the key from the Keys list or use "Choose files…".',
  'agent-already-running': "Another agent already uses that place. Turn KeyDock's own agent off and on again in Settings, or stop the other agent first.",
  'socket-path-too-long': "The folder for KeyDock's agent has too long a path. Restart KeyDock from a shorter home or runtime folder.",
  'socket-path-taken': "Something that is not an agent is in the place KeyDock's agent uses. Remove it if you know it is not needed, then try again.",
  'socket-permission-denied': "KeyDock may not create its agent there. Check that your runtime folder belongs to you, then try again.",
  'socket-listen-failed': "KeyDock's agent could not start. Try again, or choose another agent in Settings.",
  'pageant-running': "Quit Pageant (after loading its keys into KeyDock), then turn KeyDock's own agent on in Settings.",
  'needs-admin': 'Stop the Windows OpenSSH agent service from the Services window as an administrator, then try again.',
  'service-control-failed': 'Stop the Windows OpenSSH agent service from the Services window instead.',
  'server-unreachable': "KeyDock's agent is not answering. Turn it off and on again in Settings.",
  'file-not-found': 'The file is gone. Refresh the Keys list and pick the file again.',
  'file-locked': 'Another KeyDock window or command is changing the same file. Wait a moment and try again.',
  'passphrase-required': 'Type the passphrase in the field above.',
  'ssh-dir-unreadable': 'KeyDock cannot read your .ssh folder. Open Doctor: it can make the folder yours and private again.',
  'ssh-config-invalid': 'Your ssh configuration has a line KeyDock cannot read. Open Doctor to see which one.',
  'ssh-config-edit-ineffective': 'An earlier line in your ssh configuration wins over this one. Open Doctor to see which one.',
  'key-inspect-failed': 'Check that the file is an SSH private key; the Keys list shows what KeyDock could read.',
  'key-changed': 'The file now holds a different key. Forget the old passphrase in the key\'s details, then load the new key and remember its passphrase.',
  'keygen-bad-options': 'Choose a key type and size from the list in "Set up a key".',
  'keygen-unavailable': 'Make the key in "Set up a key" first, then choose it here.',
  'setup-target-needed': 'Say what the key is for: a repository or an account name.',
  'new-key-refused': 'The server did not take the new key. Add its public key there by hand (the key\'s details have a Copy button), then try again.',
  'new-key-not-accepted': 'The server did not accept the new key yet. Add its public key there (the key\'s details have a Copy button), then test again.',
  'invalid-email': 'Type a plain e-mail address such as you@example.com.',
  'email-needed': 'Type the e-mail address your commits use.',
  'git-config-failed': 'Git could not save the setting. Check that your Git configuration file can be written, then try again.',
  'git-too-old': 'Install a newer Git (2.34 or later), then try again.',
  'not-a-repository': 'Choose the folder of a Git repository.',
  'signing-key-needed': 'Choose a key in the Keys list first.',
  'rotation-not-found': 'Choose the key again in the Keys list.',
  'rotation-rolling-back': 'KeyDock is putting the old key back. Wait for it to finish, then try again.',
  'keydock-cli-missing': "This copy of KeyDock has no command-line part for a login service to start. Turn this on from a KeyDock installed from its source folder.",
  'rotation-state-damaged': 'KeyDock kept a copy of every file it changed. Open Doctor to check the key files.',
  'rotation-unfinished': 'Finish or undo the earlier key change first.',
  'publish-bad-api-url': 'Type the address of your own GitHub, GitLab or Bitbucket server, starting with https://.',
  'publish-username-required': 'Type your user name or e-mail in the sign-in form.',
  'publish-refused': 'The host refused. Check that your account may add keys there, then try again.',
  'publish-unreachable': 'KeyDock could not reach the host. Check your network, then try again.',
  'publish-unsupported': 'This host cannot do that; add the key on its keys page instead (the key\'s details have a Copy button).',
  'publish-bad-answer': 'The host answered in a way KeyDock did not expect. Check the server address in the "Add it for me" dialog, then try again.',
  'publish-no-admin-rights': 'Check the repository name and that your account may manage its deploy keys, then try again.',
  'agent-refused': "The agent refused the key. Only KeyDock's own agent and Pageant keep keys encrypted until first use: turn KeyDock's own agent on in Settings, or load the key with its passphrase.",
  'deploy-key-reused': 'A deploy key can open only one repository. Make a new key for this repository in "Set up a key".',
  'ui-not-built': 'Reinstall KeyDock; its window files are missing.',
  'ui-port-unavailable': 'Another program uses that port. Close it, or start KeyDock again to pick a free one.',
  'pkcs11-provider-refused': "The agent does not allow this provider library. Turn KeyDock's own agent on in Settings (it allows the system's library folders), or start your agent allowing this library.",
  'pkcs11-already-added': 'Every key of this card is in the agent already. Press "Remove card" in the smartcard dialog first to add it again.',
  'pkcs11-library-missing': 'Pick one of the provider libraries found on this computer, or install your card\'s middleware (OpenSC or the Yubico PIV tool).',
  'pkcs11-not-a-module': 'That file is not a smartcard provider library. Pick one of the provider libraries found on this computer.',
  'pkcs11-provider-not-allowed': "KeyDock's window loads provider libraries only from the system's library folders. Pick one of the provider libraries found on this computer.",
  'pkcs11-pin-locked': "Unlock the card with its PUK using the card maker's tool, then try again.",
  'pkcs11-no-keys': 'Check that the card holds a key and that the PIN is right, then try again.',
  'pkcs11-pin-needed': 'Remove the card in the smartcard dialog and add it again with its PIN.',
};

/** Window replacements for key health findings and doctor / tester fixes, by code or id. */
export const FINDING_FIXES: Record<string, string> = {
  'weak-dsa': 'Make a new key in "Set up a key", add it where this one is used, then delete this one.',
  'weak-rsa': 'Make a new Ed25519 key in "Set up a key" and use it wherever this one is used.',
  'file-permissions': 'Open Doctor: it makes the file private with one click.',
  unencrypted: 'Anyone who copies this file can use the key. Make a new key with a passphrase in "Set up a key" and replace this one.',
  'putty-p521-cve-2024-31497': 'Replace it: make a new key in "Set up a key", add it where this one is used, and remove this one from every server and Git host.',
  'legacy-pem-encryption': 'Its encryption is old and weak. Make a new key with a passphrase in "Set up a key" and replace this one.',
  'ppk2-weak-kdf': 'Its encryption is old and weak. Make a new key with a passphrase in "Set up a key" and replace this one.',
  'weak-bcrypt-rounds': 'The passphrase is cheap to guess at. Make a new key in "Set up a key" (it uses stronger settings) and replace this one.',
  'ssh-dir-permissions': 'Use "Fix" to make the folder private.',
  agent: "Start KeyDock's own agent with the button here or in Settings.",
  'agent-unreachable': "Start KeyDock's own agent with the button here, then load your key from the Keys list.",
  'git-ssh': 'Git runs another ssh program than the one KeyDock tested. Remove that setting from your Git configuration unless you meant it.',
  'agent-mismatch': 'Choose the agent ssh uses as the one KeyDock manages (Settings), so what you see is what ssh offers.',
  'ssh-config-invalid': 'Correct that line in your ssh configuration, then use "Check again".',
  'identity-file-missing': 'Correct the path in your ssh configuration (or remove the line), then use "Check again".',
  'agent-empty': 'Load your key from the Keys list, then test again.',
  'key-not-loaded': 'Load the key from the Keys list (one click on Load).',
  'key-permissions': 'Use "Fix" to make the key file private.',
};

/** A sentence without the asides and sentences that name a command; `fallback` when nothing is left. */
export function withoutCommands(text: string, fallback = ''): string {
  if (!TERMINAL_COMMAND.test(text)) return text;
  const noAsides = text.replace(/\s*\([^()]*\)/g, (aside) => (TERMINAL_COMMAND.test(aside) ? '' : aside));
  const sentences = noAsides.split(/(?<=[.!?])\s+/).filter((s) => s && !TERMINAL_COMMAND.test(s));
  return sentences.join(' ').trim() || fallback;
}

/** The hint the window shows for an error: its own words for known codes, never a command. */
export function windowHint(error: Pick<AppError, 'code' | 'hint'>): string {
  return ERROR_HINTS[error.code] ?? withoutCommands(error.hint ?? '', 'Try again, or open Doctor to look for the cause.');
}

/** The window's words for a fix that came with a finding or diagnosis. */
export function windowFix(code: string, fix: string | null | undefined, fallback = 'Open Doctor: it can check and fix this.'): string {
  if (!fix) return '';
  // Doctor ids may carry the file they are about: `key-permissions:/home/me/.ssh/id_ed25519`.
  const own = FINDING_FIXES[code] ?? FINDING_FIXES[code.split(':')[0] ?? ''];
  return TERMINAL_COMMAND.test(fix) ? (own ?? withoutCommands(fix, fallback)) : fix;
}
