// What the key commands run. keys.ts loads this only when one of them runs, so other commands
// start without the keychain binding and the key readers and writers.
export { convertMaterial } from '../../keys/convert';
export { generateKeyFiles } from '../../keys/generate';
export { inspectKeyFile } from '../../keys/inspect';
export { decryptKeyFile, openKeyData, readKeyFile } from '../../keys/load';
export { publicBlob } from '../../keys/material';
export { freeBackupPath, safeWriteFile } from '../../util/safe-write';
