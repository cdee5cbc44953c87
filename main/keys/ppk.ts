// PuTTY PPK reader/writer: placeholder replaced in the next commit.
import { unsupportedKey } from './errors';
import type { KeyFileReader } from './parsed';

/** Opens a PuTTY key file. */
export function openPpk(_text: string, _path: string | null): KeyFileReader {
  throw unsupportedKey('PuTTY keys are not readable yet.');
}
