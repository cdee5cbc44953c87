import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProcess, stopProcess } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// `keydock ui` as a user runs it, from the CLI bundle (what bin/keydock.js runs after a build)
// and from the sources through tsx (what it runs in an edited checkout): both must find the
// built window, although their modules sit at different depths of the checkout.
const root = join(__dirname, '../../..');
const built = existsSync(join(root, 'out/renderer/index.html'));
const entries: Array<[string, string[]]> = [
  ['the CLI bundle', [join(root, 'out/cli/keydock.mjs')]],
  ['the sources through tsx', ['--import', 'tsx', join(root, 'main/cli/index.ts')]],
];

let home: TmpHome | undefined;
afterEach(async () => home?.cleanup());

describe.skipIf(!built)('keydock ui serves the built window (run `npm run build` first)', () => {
  for (const [name, args] of entries) {
    it.skipIf(!existsSync(args.at(-1)!))(`from ${name}`, { timeout: 60_000 }, async () => {
      home = await makeTmpHome();
      const child = startProcess(process.execPath, [...args, 'ui', '--no-open'], { env: home.env, cwd: root });
      try {
        let out = '';
        let err = '';
        child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        const url = await new Promise<string>((resolve, reject) => {
          child.stdout?.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /KeyDock is running at (http:\/\/127\.0\.0\.1:\d+\/)#token=\S+/.exec(out);
            if (m) resolve(m[1]!);
          });
          child.once('exit', (code) => reject(new Error(`keydock ui exited with ${code}: ${out}${err}`)));
        });
        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<div id="root">');
      } finally {
        await stopProcess(child);
      }
    });
  }
});
