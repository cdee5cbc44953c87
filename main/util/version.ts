// The one place the version is read. Bundlers (the CLI's rolldown, electron-vite) inline the file
// at build time, so no bundle needs package.json at run time.
import pkg from '../../package.json' with { type: 'json' };

/** KeyDock's version, as package.json says. */
export const KEYDOCK_VERSION: string = pkg.version;
