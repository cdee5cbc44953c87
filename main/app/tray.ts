import { Menu, Tray, nativeImage, type BrowserWindow } from 'electron';
import type { AgentManager } from '../agent/manager';

export interface TrayActions {
  showWindow(route?: string): void;
  addKey(): void;
  quit(): void;
}

/** The tray / menu-bar icon: key count at a glance, lock, add, test GitHub, open, quit. */
export class KeyDockTray {
  private readonly tray: Tray;
  private keyCount: number | null = null;

  constructor(
    iconPath: string,
    private readonly agents: AgentManager,
    private readonly actions: TrayActions,
  ) {
    this.tray = new Tray(nativeImage.createFromPath(iconPath));
    this.tray.setToolTip('KeyDock');
    this.tray.on('click', () => actions.showWindow());
    this.render();
  }

  /** Re-reads the key count from the managed agent and redraws the menu. */
  async refresh(): Promise<void> {
    this.keyCount = await this.agents.list().then(
      (l) => l.identities.length,
      () => null,
    );
    this.render();
  }

  private render(): void {
    const countLabel = this.keyCount === null ? 'No agent reachable' : `${this.keyCount} key${this.keyCount === 1 ? '' : 's'} loaded`;
    this.tray.setToolTip(`KeyDock — ${countLabel}`);
    const menu = Menu.buildFromTemplate([
        { label: countLabel, enabled: false },
        { type: 'separator' },
        { label: 'Open KeyDock', click: () => this.actions.showWindow() },
        { label: 'Add key…', click: () => this.actions.addKey() },
        { label: 'Test GitHub', click: () => this.actions.showWindow('test/github') },
        { label: 'Lock agent', click: () => this.actions.showWindow('lock') },
        { type: 'separator' },
        { label: 'Quit KeyDock', click: () => this.actions.quit() },
    ]);
    this.tray.setContextMenu(menu);
    // The e2e test reads the menu through this hook: a tray menu cannot be clicked by Playwright.
    (globalThis as { __keydockTrayLabels?: () => string[] }).__keydockTrayLabels = () => menu.items.map((i) => i.label).filter(Boolean);
  }

  destroy(): void {
    this.tray.destroy();
  }
}

/** Shows and focuses a window that may be hidden or minimised. */
export function reveal(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
