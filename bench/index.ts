// `npm run bench`: every benchmark, each side by side with the real tool it replaces, in one
// run on this machine. Prints markdown tables with ratios (KeyDock / reference).
import { runAgentBench } from './agent';
import { runCliBench } from './cli';
import { runPpkBench } from './ppk';
import { runTesterBench } from './tester';
import { runUiBench } from './ui';

const log = (line: string) => process.stderr.write(`  ${line}\n`);
const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

interface Bench {
  name: string;
  title: string;
  run(): Promise<{ table: string }>;
}

const benches: Bench[] = [
  { name: 'agent', title: 'Agent signing: KeyDock vs OpenSSH ssh-agent', run: () => runAgentBench({ log }) },
  { name: 'tester', title: 'Connection test: `keydock test` vs `ssh -T` to a local sshd', run: () => runTesterBench({ log }) },
  { name: 'ppk', title: 'PPK v3 decrypt: KeyDock vs puttygen on the same file', run: () => runPpkBench({ log }) },
  { name: 'cli', title: 'CLI start-up: `keydock` commands vs `node -e 0`', run: () => runCliBench({ log }) },
  { name: 'ui', title: 'Window: keys list visible with 5 loaded keys and 20 key files', run: () => runUiBench({ log }) },
];

async function main(): Promise<void> {
  let failed = false;
  for (const b of benches.filter((x) => want(x.name))) {
    process.stderr.write(`\n${b.title}\n`);
    try {
      const result = await b.run();
      process.stdout.write(`\n## ${b.title}\n\n${result.table}\n`);
    } catch (e) {
      failed = true;
      process.stderr.write(`  ${b.name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
