// SPDX-License-Identifier: GPL-3.0-or-later
// Function panels: one per smbtaquery function run, several at once, kept per user in localStorage.
import { useEffect, useState } from 'preact/hooks';
import { query } from '../api.js';
import { Chart, trendOpts, usageOpts } from '../components/chart.jsx';
import { ResultTable } from '../components/table.jsx';
import { bytes } from '../format.js';
import { DEFAULT_PARAMS, FUNCTIONS, functionQuery, paramsValid, selectionLabel } from '../querylang.js';

const storageKey = (user) => `websmbta.panels.${user}`;

export function loadPanels(user) {
  try {
    const v = JSON.parse(localStorage.getItem(storageKey(user)) ?? '[]');
    return Array.isArray(v) ? v.filter((p) => p && FUNCTIONS[p.fn]) : [];
  } catch {
    return [];
  }
}

export function savePanels(user, panels) {
  localStorage.setItem(storageKey(user), JSON.stringify(panels));
}

function ParamInput({ def, value, onChange }) {
  const name = `param-${def.name}`;
  switch (def.kind) {
    case 'mode':
      return (
        <label>
          Mode
          <select name={name} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
            <option value="r">read</option>
            <option value="w">write</option>
            <option value="rw">read + write</option>
          </select>
        </label>
      );
    case 'choice':
      return (
        <label>
          {def.name}
          <select name={name} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
            {def.choices.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      );
    case 'number':
      return (
        <label>
          Number
          <input name={name} type="number" min="1" step="1" inputMode="numeric" value={value}
            onInput={(e) => onChange(e.currentTarget.value.replace(/[^0-9]/g, ''))} />
        </label>
      );
    case 'bool':
      return (
        <label class="check">
          <input name={name} type="checkbox" checked={Boolean(value)} onChange={(e) => onChange(e.currentTarget.checked)} />
          {def.label}
        </label>
      );
    default:
      return (
        <label>
          Pattern
          <input name={name} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
        </label>
      );
  }
}

// The browser's calendar and clock for a From/To field: fills it in the query language's
// "YYYY-MM-DD HH:MM:SS", which can still be edited (or typed, or "today", without it).
function TimePicker({ name, label, onPick }) {
  return (
    <label class="picker">
      {label}
      <input type="datetime-local" step="1" name={name} aria-label={label}
        onChange={(e) => {
          const v = e.currentTarget.value;
          if (v) onPick(`${v.replace('T', ' ')}${v.length === 16 ? ':00' : ''}`);
        }} />
    </label>
  );
}

function NewPanel({ role, sel, clearSel, onAdd }) {
  const [fn, setFn] = useState('total');
  const [params, setParams] = useState({ ...DEFAULT_PARAMS });
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const def = FUNCTIONS[fn];
  const valid = paramsValid(fn, params) && (!to || from);
  return (
    <form
      class="new-panel no-print"
      data-testid="new-panel"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid) return;
        const p = {};
        for (const d of def.params) p[d.name] = params[d.name];
        onAdd({ id: `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, fn, params: p,
          sel: def.system ? {} : sel, range: def.system ? {} : { from: from.trim() || undefined, to: to.trim() || undefined } });
      }}
    >
      <h3>New function panel</h3>
      <p>
        Object: <strong data-testid="panel-object">{def.system ? 'system' : selectionLabel(sel)}</strong>
        {!def.system && Object.keys(sel).some((k) => sel[k]) && (
          <button type="button" onClick={clearSel}>
            global
          </button>
        )}
      </p>
      <label>
        Function
        <select name="function" value={fn} onChange={(e) => setFn(e.currentTarget.value)}>
          {Object.entries(FUNCTIONS)
            .filter(([, d]) => !d.admin || role === 'admin')
            .map(([k, d]) => (
              <option key={k} value={k}>
                {d.label}
              </option>
            ))}
        </select>
      </label>
      <p class="help">{def.help}</p>
      <div class="params">
        {def.params.map((d) => (
          <ParamInput key={d.name} def={d} value={params[d.name]} onChange={(v) => setParams({ ...params, [d.name]: v })} />
        ))}
      </div>
      {!def.system && (
        <div class="params">
          <label>
            From
            <input name="from" value={from} placeholder="YYYY-MM-DD HH:MM:SS, today, yesterday" onInput={(e) => setFrom(e.currentTarget.value)} />
          </label>
          <TimePicker name="from-picker" label="pick From" onPick={setFrom} />
          <label>
            To
            <input name="to" value={to} placeholder="(now)" onInput={(e) => setTo(e.currentTarget.value)} />
          </label>
          <TimePicker name="to-picker" label="pick To" onPick={setTo} />
        </div>
      )}
      <button type="submit" data-action="go" disabled={!valid}>
        Go
      </button>
    </form>
  );
}

// A day "YYYY-MM-DD" of smbtaquery's (local time) as uPlot's unix seconds.
const daySeconds = (day) => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d).getTime() / 1000;
};

function chartFor(result) {
  const rows = result.rows;
  if (result.function === 'usage') return { opts: usageOpts, data: [rows.map((r, i) => i), rows.map((r) => r.bytes)] };
  if (result.function === 'trend')
    return { opts: trendOpts, data: [rows.map((r) => daySeconds(r.day)), rows.map((r) => r.read), rows.map((r) => r.written)] };
  return null;
}

// What a function reports beside its table, as smbtaquery's text output prints it under the
// table: trend's totals, growth and busiest hour; elsewhere only the notes a reader needs (the
// others repeat the query's parameters).
const NOTE_KEYS = new Set(['truncated', 'error_bound', 'error']);
const BYTE_NOTES = new Set(['read', 'written', 'total', 'mean_per_day', 'growth_per_day', 'busiest_hour_bytes']);

function Notes({ result }) {
  const all = Object.entries(result.notes ?? {});
  const entries =
    result.function === 'trend'
      ? all.map(([k, v]) => [k, BYTE_NOTES.has(k) && /^-?[0-9]+$/.test(v) ? bytes(Number(v)) : v])
      : all.filter(([k]) => NOTE_KEYS.has(k));
  if (entries.length === 0) return null;
  return (
    <dl class="notes" data-testid="panel-notes">
      {entries.map(([k, v]) => (
        <div key={k} data-note={k}>
          <dt>{k.replace(/_/g, ' ')}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Panel({ panel, onRemove }) {
  const [state, setState] = useState({ loading: true });
  const [tick, setTick] = useState(0);
  const q = functionQuery(panel.fn, panel.params, panel.sel);
  useEffect(() => {
    let stale = false;
    setState({ loading: true });
    query(q, panel.range)
      .then((r) => !stale && setState({ results: r.results }))
      .catch((e) => !stale && setState({ error: e.message }));
    return () => {
      stale = true;
    };
  }, [q, tick]);
  // The print view: only this panel, without buttons (style.css @media print).
  const print = () => {
    const el = document.querySelector(`[data-panel="${CSS.escape(panel.id)}"]`);
    document.body.classList.add('print-one');
    el?.classList.add('print-target');
    const done = () => {
      document.body.classList.remove('print-one');
      el?.classList.remove('print-target');
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  };
  const rangeText = panel.range?.from ? `from ${panel.range.from}${panel.range.to ? ` to ${panel.range.to}` : ''}` : '';
  return (
    <article class="panel" data-testid="panel" data-panel={panel.id} data-fn={panel.fn}>
      <header>
        <h3>
          {FUNCTIONS[panel.fn].label} <span class="panel-object">{FUNCTIONS[panel.fn].system ? 'system' : selectionLabel(panel.sel)}</span>{' '}
          <span class="panel-range">{rangeText}</span>
        </h3>
        <code class="panel-query">{q}</code>
        <div class="panel-buttons no-print">
          <button type="button" data-action="refresh" onClick={() => setTick(tick + 1)}>
            Refresh
          </button>
          <button type="button" data-action="print" onClick={print}>
            Print view
          </button>
          <button type="button" data-action="remove" onClick={onRemove}>
            Remove
          </button>
        </div>
      </header>
      {state.loading && <p class="loading">Running…</p>}
      {state.error && <p class="error" role="alert">{state.error}</p>}
      {state.results?.map((res, i) => {
        const chart = chartFor(res);
        return (
          <div key={i}>
            {chart && <Chart opts={chart.opts} data={chart.data} testid="panel-chart" height={180} />}
            <ResultTable result={res} source={{ q, range: panel.range }} testid="panel-table" />
            <Notes result={res} />
          </div>
        );
      })}
    </article>
  );
}

export function Panels({ user, role, sel, setSel, panels, setPanels }) {
  useEffect(() => savePanels(user, panels), [user, panels]);
  return (
    <section class="panels" data-testid="panels">
      <h2>Functions</h2>
      <NewPanel role={role} sel={sel} clearSel={() => setSel({})} onAdd={(p) => setPanels([p, ...panels])} />
      {panels.length === 0 && <p class="empty">No panels yet: choose a function above.</p>}
      {panels.map((p) => (
        <Panel key={p.id} panel={p} onRemove={() => setPanels(panels.filter((x) => x.id !== p.id))} />
      ))}
    </section>
  );
}
