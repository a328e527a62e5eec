// SPDX-License-Identifier: GPL-3.0-or-later
// Object browser: domains → shares and users → files, with a live search over all four kinds.
import { useEffect, useState } from 'preact/hooks';
import { objects } from '../api.js';
import { selectionLabel } from '../querylang.js';

const REFRESH_MS = 120000;

function useObjects(kind, filters, enabled, tick) {
  const [s, setS] = useState({ items: [], truncated: false });
  const key = JSON.stringify(filters);
  useEffect(() => {
    if (!enabled) {
      setS({ items: [], truncated: false });
      return undefined;
    }
    let stale = false;
    objects(kind, filters)
      .then((r) => !stale && setS({ items: r.items, truncated: r.truncated }))
      .catch((e) => !stale && setS({ items: [], truncated: false, error: e.message }));
    return () => {
      stale = true;
    };
  }, [kind, key, enabled, tick]);
  return s;
}

function ObjectList({ title, kind, list, selected, onPick, allLabel }) {
  return (
    <div class="objlist" data-testid={`list-${kind}`}>
      <h3>{title}</h3>
      {list.error && <p class="error">{list.error}</p>}
      <ul>
        {allLabel && (
          <li>
            <button type="button" class={!selected ? 'selected' : ''} onClick={() => onPick(undefined)}>
              {allLabel}
            </button>
          </li>
        )}
        {list.items.map((name) => (
          <li key={name}>
            <button
              type="button"
              data-name={name}
              class={selected === name ? 'selected' : ''}
              onClick={() => onPick(selected === name ? undefined : name)}
            >
              {name}
            </button>
          </li>
        ))}
      </ul>
      {list.truncated && <p class="note">More exist: narrow with the search.</p>}
    </div>
  );
}

function LiveSearch({ onPick }) {
  const [text, setText] = useState('');
  const [hits, setHits] = useState(null);
  useEffect(() => {
    if (!text.trim()) {
      setHits(null);
      return undefined;
    }
    let stale = false;
    const timer = setTimeout(() => {
      Promise.all(['domains', 'shares', 'users', 'files'].map((k) => objects(k, { match: text, limit: 20 })))
        .then(([domains, shares, users, files]) => !stale && setHits({ domains, shares, users, files }))
        .catch((e) => !stale && setHits({ error: e.message }));
    }, 300);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [text]);
  return (
    <div class="livesearch" data-testid="live-search">
      <input
        type="search"
        name="search"
        placeholder="Search domains, shares, users, files…"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      {hits?.error && <p class="error">{hits.error}</p>}
      {hits && !hits.error && (
        <div class="hits">
          {['domains', 'shares', 'users', 'files'].map((k) =>
            hits[k].items.length ? (
              <div key={k} class="hit-group" data-kind={k}>
                <h4>{k}</h4>
                {hits[k].items.map((name) => (
                  <button type="button" key={name} data-name={name} onClick={() => onPick(k, name)}>
                    {name}
                  </button>
                ))}
              </div>
            ) : null,
          )}
          {['domains', 'shares', 'users', 'files'].every((k) => !hits[k].items.length) && (
            <p class="empty">Nothing matches.</p>
          )}
        </div>
      )}
    </div>
  );
}

export function ObjectBrowser({ sel, setSel, openPanel, watch }) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const dom = sel.domain ? { domain: sel.domain } : {};
  const domains = useObjects('domains', {}, true, tick);
  const shares = useObjects('shares', { ...dom, user: sel.user }, true, tick);
  const users = useObjects('users', { ...dom, share: sel.share }, true, tick);
  const files = useObjects('files', { ...dom, share: sel.share, user: sel.user }, Boolean(sel.share || sel.user), tick);
  const watchTarget = sel.file ? `file:${sel.file}` : sel.user ? `user:${sel.user}` : sel.share ? `share:${sel.share}` : sel.domain ? `domain:${sel.domain}` : 'global';
  return (
    <section class="browser" data-testid="browser">
      <h2>Objects</h2>
      <LiveSearch
        onPick={(kind, name) => {
          const k = kind.replace(/s$/, '');
          setSel({ [k]: name });
        }}
      />
      <div class="selection">
        Selected: <strong data-testid="selection">{selectionLabel(sel)}</strong>
        <button type="button" data-action="open-panel" onClick={() => openPanel(sel)}>
          Run a function on it
        </button>
        <button type="button" data-action="watch" onClick={() => watch(watchTarget)}>
          Watch live
        </button>
      </div>
      <div class="objlists">
        <ObjectList title="Domains" kind="domains" list={domains} selected={sel.domain} allLabel="(All)"
          onPick={(v) => setSel({ domain: v })} />
        <ObjectList title="Shares" kind="shares" list={shares} selected={sel.share}
          onPick={(v) => setSel({ ...sel, share: v, file: undefined })} />
        <ObjectList title="Users" kind="users" list={users} selected={sel.user}
          onPick={(v) => setSel({ ...sel, user: v, file: undefined })} />
        {(sel.share || sel.user) && (
          <ObjectList title="Files" kind="files" list={files} selected={sel.file}
            onPick={(v) => setSel({ ...sel, file: v })} />
        )}
      </div>
    </section>
  );
}
