import { createContext, useContext } from 'react';
import type { Settings } from '../shared/contract/app';
import type { AppError } from '../shared/result';

export type View = 'identities' | 'test' | 'setup' | 'doctor' | 'activity' | 'settings';

export interface Route {
  view: View;
  /** Test view: the host to show in the host field. */
  target?: string;
  /** Test view: run the test on arrival (tray and menu); a link from outside only fills the host. */
  run?: boolean;
  /** Keys view: open the add or lock dialog on arrival. */
  action?: 'add' | 'lock';
  /** Bumps on every navigation so the same route can be re-requested (tray → "Test GitHub" twice). */
  seq: number;
}

let seq = 0;

/** Turns a route string from main (tray, menu, deep link) into a view; unknown → keys view. */
export function parseRoute(route: string): Route {
  const fillOnly = route.startsWith('fill/');
  const [head, ...rest] = route.replace(/^fill\//, '').replace(/^\/+/, '').split('/');
  seq += 1;
  switch (head) {
    case 'test':
      return { view: 'test', target: rest.join('/') || undefined, run: !fillOnly, seq };
    case 'add':
      return { view: 'identities', action: 'add', seq };
    case 'lock':
      return { view: 'identities', action: 'lock', seq };
    case 'setup':
    case 'doctor':
    case 'activity':
    case 'settings':
      return { view: head, seq };
    default:
      return { view: 'identities', seq };
  }
}

export interface AppState {
  settings: Settings | null;
  settingsError: AppError | null;
  /** Saves part of the settings; resolves to the error, if any, for inline display. */
  updateSettings(patch: Partial<Settings>): Promise<AppError | null>;
  navigate(route: string): void;
  route: Route;
}

export const AppStateContext = createContext<AppState | null>(null);

/** The settings and navigation every view may need. */
export function useAppState(): AppState {
  const s = useContext(AppStateContext);
  if (!s) throw new Error('useAppState outside the app shell');
  return s;
}
