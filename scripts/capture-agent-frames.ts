// Records what OpenSSH's own tools and agent say to each other, for the codec's unit tests:
//   npx tsx scripts/capture-agent-frames.ts [output.json]
// Runs real ssh-agent, ssh-add, ssh-keygen, sshd and ssh on fresh keys in a temporary HOME,
// through test/support/agent-recorder.ts, and saves every frame as hex with its direction and
// the command that caused it. Re-run it after an OpenSSH upgrade changes what is on the wire.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { captureOpenSshFrames } from '../test/support/agent-capture';
import { stopAllProcesses } from '../test/support/processes';

const DEFAULT_OUTPUT = join(process.cwd(), 'test', 'fixtures', 'agent', 'openssh-capture.json');

async function main(): Promise<void> {
  const output = process.argv[2] ?? DEFAULT_OUTPUT;
  try {
    const capture = await captureOpenSshFrames('full');
    await writeFile(output, `${JSON.stringify(capture, null, 2)}\n`);
    const requests = capture.frames.filter((f) => f.direction === 'request').length;
    console.log(`${capture.openssh}: ${requests} requests, ${capture.frames.length - requests} replies → ${output}`);
  } finally {
    await stopAllProcesses();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
