import { Menu, type MenuItemConstructorOptions } from 'electron';

/** Standard menus so copy/paste, zoom and window shortcuts work as users expect on each OS. */
export function installAppMenu(actions: { addKey(): void; testGitHub(): void; openSettings(): void }): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Add Key…', accelerator: 'CmdOrCtrl+O', click: () => actions.addKey() },
        { label: 'Test GitHub Connection', accelerator: 'CmdOrCtrl+T', click: () => actions.testGitHub() },
        { label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: () => actions.openSettings() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
