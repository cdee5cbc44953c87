#!/usr/bin/env node
// Bundles the `keydock` CLI into out/cli/keydock.cjs. Starting from the bundle takes a fraction
// of what compiling the TypeScript through tsx on every run takes; bin/keydock.cjs uses the
// bundle only while no source under main/ or shared/ is newer than it. The options are in
// ./cli-bundle.mjs, shared with the tests that run the CLI from a bundle of their own.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, buildCli } from './cli-bundle.mjs';

const outdir = join(ROOT, 'out/cli');
rmSync(outdir, { recursive: true, force: true });
await buildCli(outdir);
