import type { InputOptions, OutputChunk, OutputOptions } from 'rolldown';

/** The repository's root folder. */
export const ROOT: string;
/** The file a CLI bundle starts from, in its output folder. */
export const CLI_ENTRY: string;
/** The rolldown options of a CLI bundle in OUTDIR; EXTRA adds entries (name → source file). */
export function cliOptions(outdir: string, extra?: Record<string, string>): { input: InputOptions; output: OutputOptions };
/** The chunks of a CLI bundle, generated without writing them. */
export function cliChunks(extra?: Record<string, string>): Promise<OutputChunk[]>;
/** Bundles the CLI into OUTDIR; resolves to the path of its keydock.cjs. */
export function buildCli(outdir: string, extra?: Record<string, string>): Promise<string>;
