import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

// electron-builder's own loader and schema validation over electron-builder.yml.
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(dir: string, path: string | null, fromOptions: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

// The parts of the loaded configuration this test reads.
interface BuilderConfig {
  win: { target: string[]; icon: string };
  nsis: Record<string, unknown>;
  mac: { target: string[]; entitlements: string; icon: string };
  linux: { target: string[] };
  deb: { depends: string[] };
  asar: boolean;
  fileAssociations: Array<{ ext: string }>;
  protocols: Array<{ schemes: string[] }>;
  files: Array<{ filter: string[] }>;
  afterSign: string;
  electronFuses: Record<string, boolean>;
}

describe('electron-builder.yml', () => {
  it('passes electron-builder validation', async () => {
    const config = await getConfig(process.cwd(), 'electron-builder.yml', null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('rejects an invalid option (the validation really runs)', async () => {
    const config = await getConfig(process.cwd(), 'electron-builder.yml', null);
    await expect(validateConfiguration({ ...config, nsis: { oneClick: 'maybe' } }, new DebugLogger(false))).rejects.toThrow();
  });

  it('declares every target, association and hook the release needs', async () => {
    const config = (await getConfig(process.cwd(), 'electron-builder.yml', null)) as unknown as BuilderConfig;
    expect(config.win.target).toEqual(['nsis', 'portable']);
    expect(config.nsis).toMatchObject({ perMachine: false, allowElevation: false, oneClick: false });
    expect(config.mac).toMatchObject({ target: ['dmg', 'zip'], hardenedRuntime: true, entitlements: 'build/entitlements.mac.plist' });
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.deb.depends).toContain('libsecret-1-0');
    expect(config.asar).toBe(true);
    expect(config.fileAssociations[0]!.ext).toBe('ppk');
    expect(config.protocols[0]!.schemes).toEqual(['keydock']);
    expect(config.files[0]!.filter).toEqual(expect.arrayContaining(['out/**/*', '!**/*.map', '!test/**']));
    for (const f of [config.afterSign, config.mac.entitlements, config.win.icon, config.mac.icon]) {
      expect((await stat(f)).isFile()).toBe(true);
    }
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true });
  });
});
