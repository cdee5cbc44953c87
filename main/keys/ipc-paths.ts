// Paths that arrive from the renderer are never trusted as typed: they must name a readable,
// regular, key-sized file that looks like a key before any service touches them.
import { constants } from 'node:fs';
import { access, open, realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { KeyDockError } from '../util/errors';
import { MAX_KEY_FILE_BYTES } from './load';

function refuse(message: string, hint = 'Choose the key from the list of keys in ~/.ssh, or with the file picker.'): KeyDockError {
  return new KeyDockError('key-path-refused', message, hint, { exitCode: 2 });
}

/** Checks a path from IPC and returns its real path; `kind` says whether a public key file is acceptable. */
export async function checkKeyPathFromRenderer(path: string, kind: 'private' | 'private-or-public' = 'private'): Promise<string> {
  if (typeof path !== 'string' || path.length === 0 || path.length > 4096 || path.includes('\0')) throw refuse('That is not a valid file path.');
  if (!isAbsolute(path)) throw refuse(`"${path.slice(0, 200)}" is not a full path.`);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw refuse(`There is no file ${path}.`);
  }
  const st = await stat(real);
  if (st.isDirectory()) throw refuse(`${path} is a folder, not a key file.`);
  if (!st.isFile()) throw refuse(`${path} is not a regular file.`);
  if (st.size === 0 || st.size > MAX_KEY_FILE_BYTES) throw refuse(`${path} is ${st.size === 0 ? 'empty' : 'far too large'} to be an SSH key.`);
  try {
    await access(real, constants.R_OK);
  } catch {
    throw refuse(`KeyDock is not allowed to read ${path}.`, `Check its owner and permissions (chmod 600 ${path}).`);
  }
  const head = await readHead(real);
  const privateLike = /^-----BEGIN (([A-Z0-9]+ )*PRIVATE KEY|EC PARAMETERS|DSA PARAMETERS)-----/.test(head) || head.startsWith('PuTTY-User-Key-File-');
  const publicLike = /^(ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/]/.test(head) || head.startsWith('---- BEGIN SSH2 PUBLIC KEY ----');
  if (!privateLike && !(kind === 'private-or-public' && publicLike)) throw refuse(`${path} does not look like an SSH ${kind === 'private' ? 'private ' : ''}key file.`);
  return real;
}

async function readHead(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, 64, 0);
    return buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  } finally {
    await fh.close();
  }
}
