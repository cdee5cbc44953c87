// Child process for the kill tests: trusts one host key in a known_hosts file, as `keydock test
// --fix` does. Usage: known-hosts-add.ts FILE NAME BASE64-KEY-BLOB
import { addKnownHost } from '../../../../main/openssh/known-hosts';

const [file, name, blob] = process.argv.slice(2);
if (!file || !name || !blob) throw new Error('usage: known-hosts-add.ts FILE NAME BASE64');
// No top-level await: the test bundles this child with the CLI, whose chunks are CommonJS.
void addKnownHost(file, name, Buffer.from(blob, 'base64')).then((line) => process.stdout.write(`${line}\n`));
