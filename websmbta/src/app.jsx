// SPDX-License-Identifier: GPL-3.0-or-later
// The webSMBTA single-page app: session check, navigation by URL hash, the views.
import 'uplot/dist/uPlot.min.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { logout, session as getSession } from './api.js';
import { PRESETS } from './components/timerange.jsx';
import { Account } from './views/account.jsx';
import { Admin } from './views/admin.jsx';
import { ObjectBrowser } from './views/browser.jsx';
import { LiveView } from './views/live.jsx';
import { Overview } from './views/overview.jsx';
import { loadPanels, Panels } from './views/panels.jsx';

function parseHash() {
  const h = window.location.hash.replace(/^#\/?/, '');
  const [view, qs] = h.split('?');
  return { view: view || 'overview', params: new URLSearchParams(qs ?? '') };
}

function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const go = (view, params) => {
  window.location.hash = `#/${view}${params ? `?${new URLSearchParams(params)}` : ''}`;
};

function App({ session }) {
  const route = useRoute();
  // #/overview?range=hour|today|week|all opens the overview on that preset (bookmarks, scripts).
  const [range, setRange] = useState(() => {
    const preset = parseHash().params.get('range');
    return { preset: preset && preset in PRESETS && preset !== 'custom' ? preset : 'today' };
  });
  const [sel, setSel] = useState({});
  const [panels, setPanels] = useState(() => loadPanels(session.user));
  const views = [
    ['overview', 'Overview'],
    ['browse', 'Objects'],
    ['functions', 'Functions'],
    ['live', 'Live'],
    ...(session.role === 'admin' ? [['admin', 'Admin']] : []),
  ];
  let body;
  switch (route.view) {
    case 'browse':
      body = <ObjectBrowser sel={sel} setSel={setSel} openPanel={() => go('functions')} watch={(o) => go('live', { object: o })} />;
      break;
    case 'functions':
      body = <Panels user={session.user} role={session.role} sel={sel} setSel={setSel} panels={panels} setPanels={setPanels} />;
      break;
    case 'live':
      body = <LiveView object={route.params.get('object') || 'global'} setObject={(o) => go('live', { object: o })} />;
      break;
    case 'admin':
      body = <Admin session={session} />;
      break;
    case 'account':
      body = <Account session={session} />;
      break;
    default:
      body = <Overview range={range} setRange={setRange} />;
  }
  return (
    <>
      <header class="top no-print">
        <h1>webSMBTA</h1>
        <nav>
          {views.map(([k, label]) => (
            <a key={k} href={`#/${k}`} data-view={k} class={route.view === k || (k === 'overview' && route.view !== 'account' && !views.some((v) => v[0] === route.view)) ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <a class="who" data-testid="who" data-view="account" href="#/account" title="Your account: change your password">
          {session.user} ({session.role})
        </a>
        <button
          type="button"
          data-action="logout"
          onClick={async () => {
            try {
              await logout();
            } finally {
              window.location.assign('/login.html');
            }
          }}
        >
          Sign out
        </button>
      </header>
      <main>{body}</main>
    </>
  );
}

getSession()
  .then((s) => {
    const root = document.getElementById('app');
    root.textContent = '';
    render(<App session={s} />, root);
  })
  .catch(() => window.location.assign('/login.html'));
