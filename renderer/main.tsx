import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { prefetch } from './lib/shared-invoke';
import './styles/app.css';

// The keys view is the first screen: ask for what it shows now, so the socket's handshake and
// main's answers run while React draws the shell (measured by bench/ui.ts).
prefetch('agent:list-identities', {});
prefetch('keys:list-files', {});
prefetch('settings:get-settings', {});
prefetch('agent:list-agents', {});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
