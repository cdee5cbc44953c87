import { Suspense, lazy, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Settings } from '../shared/contract/app';
import type { AppError } from '../shared/result';
import { currentConnection, invoke, on, onConnection, type ConnectionState } from './api';
import { AppStateContext, parseRoute, type AppState, type Route, type View } from './app-state';
import { ConfirmHost } from './features/confirm/ConfirmHost';
import { IdentitiesView } from './features/identities/IdentitiesView';
import { Loading, requestHeadingFocus } from './components/ui';
import { invokeShared, startupAnswer, takePrefetched } from './lib/shared-invoke';
import { windowHint } from './lib/window-hints';

const NAV: Array<{ view: View; label: string; route: string }> = [
  { view: 'identities', label: 'Keys', route: 'identities' },
  { view: 'test', label: 'Connection test', route: 'test' },
  { view: 'setup', label: 'Set up a key', route: 'setup' },
  { view: 'doctor', label: 'Doctor', route: 'doctor' },
  { view: 'activity', label: 'Activity', route: 'activity' },
  { view: 'settings', label: 'Settings', route: 'settings' },
];

/** The window: navigation, the current view, the connection banner and the confirm prompt. */
export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute('identities'));
  // Settings read at page start and already in: the first paint has the right theme, not a restyle after it.
  const [early] = useState(() => takePrefetched('settings:get-settings', {}));
  const [settings, setSettings] = useState<Settings | null>(early?.ok ? early.value : null);
  const [settingsError, setSettingsError] = useState<AppError | null>(early && !early.ok ? early.error : null);
  const [connection, setConnection] = useState(() => currentConnection());
  const firstRoute = useRef(true);

  const navigate = useCallback((r: string) => setRoute(parseRoute(r)), []);

  const loadSettings = useCallback(async () => {
    const r = await invokeShared('settings:get-settings', {});
    if (r.ok) {
      setSettings(r.value);
      setSettingsError(null);
    } else setSettingsError(r.error);
  }, []);

  useEffect(() => {
    if (!early) void loadSettings();
    const offs = [
      on('settings:changed', (s) => setSettings(s)),
      on('app:navigate', (n) => navigate(n.route)),
      onConnection((state: ConnectionState, reconnected) => {
        setConnection(currentConnection());
        if (state === 'open' && reconnected) void loadSettings();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [early, loadSettings, navigate]);

  // First run: nothing loaded and no key files → open the walkthrough instead of an empty list.
  useEffect(() => {
    let live = true;
    void (async () => {
      // What the window opened to: the answers read at page start, even after the keys view took them.
      const [ids, files] = await Promise.all([
        startupAnswer('agent:list-identities', {}) ?? invokeShared('agent:list-identities', {}),
        startupAnswer('keys:list-files', {}) ?? invokeShared('keys:list-files', {}),
      ]);
      if (!live) return;
      const empty = ids.ok && ids.value.identities.length === 0 && files.ok && files.value.length === 0;
      if (empty) setRoute((r) => (r.view === 'identities' && !r.action && r.seq === 1 ? parseRoute('setup') : r));
    })();
    return () => {
      live = false;
    };
  }, []);

  useTheme(settings?.theme ?? 'system');

  // Move focus to the new view's heading so keyboard and screen-reader users land in it.
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    // A route that opens a dialog (Ctrl+O, tray "Lock") leaves focus to the dialog and gives it back to where it was.
    if (route.action) return;
    requestHeadingFocus();
  }, [route.view, route.seq, route.action]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || document.querySelector('dialog[open]')) return;
      const n = Number(e.key);
      if (n >= 1 && n <= NAV.length) {
        e.preventDefault();
        navigate(NAV[n - 1]!.route);
      } else if (e.key.toLowerCase() === 'o') {
        e.preventDefault();
        navigate('add');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);

  // Controls follow the user's click at once; a failed save puts the old value back.
  const updateSettings = useCallback(async (patch: Partial<Settings>) => {
    let before: Settings | null = null;
    setSettings((s) => {
      before = s;
      return s ? { ...s, ...patch } : s;
    });
    const r = await invoke('settings:update-settings', patch);
    if (r.ok) {
      setSettings(r.value);
      return null;
    }
    if (before) setSettings(before);
    return r.error;
  }, []);

  const state: AppState = useMemo(() => ({ settings, settingsError, updateSettings, navigate, route }), [settings, settingsError, updateSettings, navigate, route]);

  return (
    <AppStateContext.Provider value={state}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="app">
        <nav className="sidebar" aria-label="Main">
          <div className="brand" aria-hidden="true">
            <svg className="brand-mark" viewBox="0 0 24 24" width="20" height="20" focusable="false">
              <circle cx="8" cy="12" r="4.5" fill="none" stroke="currentColor" strokeWidth="2.2" />
              <path d="M12.5 12H21M18 12v3.5M21 12v2.5" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" />
            </svg>
            KeyDock
          </div>
          <ul>
            {NAV.map((item, i) => (
              <li key={item.view}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={route.view === item.view ? 'page' : undefined}
                  aria-keyshortcuts={`Control+${i + 1}`}
                  onClick={() => navigate(item.route)}
                >
                  {item.label}
                </button>
              </li>
            ))}
          </ul>
          <p className="shortcut-hint">Ctrl+1–6 switch views · Ctrl+O add a key</p>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          {connection.state === 'lost' && connection.error && (
            <div className="banner banner-lost" role="alert" data-code={connection.error.code}>
              <p className="notice-title">{connection.error.message}</p>
              <p className="notice-hint">{windowHint(connection.error)}</p>
            </div>
          )}
          {settingsError && !settings && connection.state !== 'lost' && (
            <div className="banner banner-lost" role="alert">
              <p className="notice-title">{settingsError.message}</p>
              <p className="notice-hint">{windowHint(settingsError)}</p>
            </div>
          )}
          <CurrentView view={route.view} />
        </main>
      </div>
      <ConfirmHost />
    </AppStateContext.Provider>
  );
}

// The keys view is the first thing drawn; the others load when first opened.
const TesterView = lazy(() => import('./features/tester/TesterView').then((m) => ({ default: m.TesterView })));
const SetupView = lazy(() => import('./features/setup/SetupView').then((m) => ({ default: m.SetupView })));
const DoctorView = lazy(() => import('./features/doctor/DoctorView').then((m) => ({ default: m.DoctorView })));
const ActivityView = lazy(() => import('./features/activity/ActivityView').then((m) => ({ default: m.ActivityView })));
const SettingsView = lazy(() => import('./features/settings/SettingsView').then((m) => ({ default: m.SettingsView })));

function CurrentView({ view }: { view: View }) {
  return (
    // Keyed by view: the old view leaves at once instead of hiding behind the fallback, so the
    // new heading is the only one there to take focus.
    <Suspense key={view} fallback={<Loading label="Opening…" />}>
      <ViewFor view={view} />
    </Suspense>
  );
}

function ViewFor({ view }: { view: View }) {
  switch (view) {
    case 'identities':
      return <IdentitiesView />;
    case 'test':
      return <TesterView />;
    case 'setup':
      return <SetupView />;
    case 'doctor':
      return <DoctorView />;
    case 'activity':
      return <ActivityView />;
    case 'settings':
      return <SettingsView />;
  }
}

/** Applies the chosen theme, following the system's light/dark setting when asked to. */
function useTheme(theme: Settings['theme']): void {
  // Before the paint: a theme set after it would restyle and lay out the whole window again.
  useLayoutEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      document.documentElement.dataset.theme = theme === 'system' ? (media.matches ? 'dark' : 'light') : theme;
    };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}
