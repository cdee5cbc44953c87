import type { BuildOptions } from 'esbuild';

/** The repository's root folder. */
export const ROOT: string;
/** The esbuild options of a CLI bundle in OUTDIR; EXTRA adds entries (name → source file). */
export function cliBuildOptions(outdir: string, extra?: Record<string, string>): BuildOptions;
/** Bundles the CLI into OUTDIR; resolves to the path of its keydock.mjs. */
export function buildCli(outdir: string, extra?: Record<string, string>, overrides?: BuildOptions): Promise<string>;
