import type { AppError } from '../../shared/result';

// The window never tells anyone to type a command. Main's errors and findings are shared with
// the `keydock` command, so their hints may name one ("ssh-add FILE", "--force"); here each
// known code gets the window's own words (and, in components/FixActions.tsx, a button), and any
// other text loses the sentences or asides that name a command.

/** What looks like a terminal command or a command-line flag in a sentence. */
export const TERMINAL_COMMAND = /`[^`]*`|\bkeydock\s+[a-z][a-z-]*|\bssh-add\b|\bssh-keygen\b|\bssh-agent\b|(?:^|[\s(])--[a-z][a-z-]*|\beval\s*["'$(]|\bchmod\s+\d|\bgit\s+config\b|\$\(/i;

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
  'ui-no-token': 'Open KeyDock again from its menu or from the full address it printed (it ends with #code=…).',
  'ui-drop-no-path': 'Pick the key from the Keys list or use "Choose files…".',
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
  'agent-empty': 'Load your key from the Keys list, then test again.',
  'key-not-loaded': 'Load the key from the Keys list, then test again.',
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
export function windowFix(code: string, fix: string | null | undefined): string {
  if (!fix) return '';
  return TERMINAL_COMMAND.test(fix) ? (FINDING_FIXES[code] ?? withoutCommands(fix, 'Open Doctor: it can check and fix this.')) : fix;
}
