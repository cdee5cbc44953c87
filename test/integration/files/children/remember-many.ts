// Child process for the concurrency test: adds COUNT entries to the remembered-keys list one by
// one, as `keydock keygen --remember` and the app do. It prints "ready" and starts when a line
// arrives on stdin, so several writers really overlap. Usage: remember-many.ts CONFIG-DIR PREFIX COUNT
import { once } from 'node:events';
import { addRememberedKey } from '../../../../main/secrets/remembered';

const [configDir, prefix, count] = process.argv.slice(2);
if (!configDir || !prefix || !count) throw new Error('usage: remember-many.ts CONFIG-DIR PREFIX COUNT');
process.stdout.write('ready\n');
await once(process.stdin, 'data');
for (let i = 0; i < Number(count); i++) {
  await addRememberedKey(configDir, { fingerprint: `SHA256:${prefix}-${i}`, path: `/keys/${prefix}-${i}`, comment: `${prefix} ${i}` });
}
process.stdout.write('done\n');
process.exit(0);
