#!/usr/bin/env node
// `npm start`: build, then run the Electron app where its binary exists; elsewhere serve
// the same UI through the loopback bridge and print its address.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

const build = spawnSync(bin('electron-vite'), ['build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  console.error('keydock: the build failed (see above).');
  process.exit(1);
}

function electronBinary() {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (existsSync(pathFile)) {
    const exe = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
    if (existsSync(exe)) return exe;
  }
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || process.env.KEYDOCK_NO_ELECTRON) return null;
  // Electron 45 downloads its binary on first use; try once, quietly, with a time limit.
  const got = spawnSync(process.execPath, [join(dir, 'install.js')], { cwd: dir, stdio: 'ignore', timeout: 120_000 });
  if (got.status === 0 && existsSync(pathFile)) return join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return null;
}

const electron = electronBinary();
const child = electron
  ? spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
  : (console.log('keydock: no Electron binary on this machine, so the KeyDock window is served to your browser instead.'),
    spawn(process.execPath, [join(root, 'bin', 'keydock.cjs'), 'ui'], { cwd: root, stdio: 'inherit' }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
