// What the key commands run. keys.ts loads this only when one of them runs, so other commands
// start without the keychain binding and the key readers and writers.
export { convertMaterial } from '../../keys/convert';
export { writeFileAtomic } from '../../keys/files';
export { generateKeyFiles } from '../../keys/generate';
export { inspectKeyFile } from '../../keys/inspect';
export { decryptKeyFile, openKeyData, readKeyFile } from '../../keys/load';
export { publicBlob } from '../../keys/material';
export { agentAdderFor, forgetKey, isRemembered, loadRememberedKeys, rememberKey, secretStoreFor } from '../../keys/service';
export { keychainPassphraseProvider } from '../../secrets/passphrases';
