// The one place the version is read: bundlers (the CLI's esbuild, electron-vite) inline this single
// field from package.json at build time, so no bundle needs package.json at run time.
import { version } from '../../package.json';

/** KeyDock's version, as package.json says. */
export const KEYDOCK_VERSION: string = version;
