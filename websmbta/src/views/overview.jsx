// SPDX-License-Identifier: GPL-3.0-or-later
// Overview: totals and throughput now, top shares/users/files, usage profile and throughput charts.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { query } from '../api.js';
import { Chart, throughputOpts, usageOpts } from '../components/chart.jsx';
import { ResultTable } from '../components/table.jsx';
import { resolveRange, TimeRange } from '../components/timerange.jsx';
import { bytes, rate } from '../format.js';
import { useLive } from './live.jsx';

const PARTS = [
  ['total_r', 'total r'],
  ['total_w', 'total w'],
  ['total_rw', 'total rw'],
  ['top_shares', 'top 10 shares rw'],
  ['top_users', 'top 10 users rw'],
  ['top_files', 'top 10 files rw'],
  ['usage', 'usage rw'],
];

function usageData(result) {
  const x = [];
  const y = [];
  result.rows.forEach((r, i) => {
    x.push(i);
    y.push(r.bytes);
  });
  return [x, y];
}

// smbtaquery's timestamps are local "YYYY-MM-DD hh:mm:ss.mmm"; uPlot wants unix seconds.
function localSeconds(ts) {
  const [d, t] = ts.split(' ');
  const [y, mo, da] = d.split('-').map(Number);
  const [h, mi, s] = t.split(':');
  return new Date(y, mo - 1, da, Number(h), Number(mi), Math.floor(Number(s))).getTime() / 1000;
}

function throughputData(result) {
  return [result.rows.map((r) => localSeconds(r.start)), result.rows.map((r) => r.rate)];
}

export function Overview({ range, setRange }) {
  const [state, setState] = useState({ loading: true });
  const resolved = useMemo(() => resolveRange(range), [range]);
  const params = { from: resolved.from, to: resolved.to };
  const live = useLive('global', 60);

  useEffect(() => {
    let stale = false;
    setState((s) => ({ ...s, loading: true, error: null }));
    const q = `global, ${PARTS.map((p) => p[1]).join(', ')};`;
    Promise.all([query(q, params), query(`global, ${resolved.throughput};`)])
      .then(([main, tp]) => {
        if (stale) return;
        const byName = {};
        PARTS.forEach(([name], i) => (byName[name] = main.results[i]));
        byName.throughput = tp.results[0];
        setState({ loading: false, results: byName });
      })
      .catch((e) => !stale && setState({ loading: false, error: e.message }));
    return () => {
      stale = true;
    };
  }, [resolved]);

  const r = state.results;
  const total = (name) => r?.[name]?.rows?.[0]?.bytes ?? 0;
  const source = (fn) => ({ q: `global, ${fn};`, range: params });
  const usage = useMemo(() => r && usageData(r.usage), [r]);
  const tput = useMemo(() => r && throughputData(r.throughput), [r]);
  return (
    <section class="overview" data-testid="overview">
      <h2>Overview</h2>
      <TimeRange value={range} onChange={setRange} />
      {state.error && <p class="error" role="alert">{state.error}</p>}
      <div class="cards">
        <div class="card" data-testid="total-read">
          <span class="card-label">Read</span>
          <span class="card-value" data-bytes={total('total_r')}>{bytes(total('total_r'))}</span>
        </div>
        <div class="card" data-testid="total-written">
          <span class="card-label">Written</span>
          <span class="card-value" data-bytes={total('total_w')}>{bytes(total('total_w'))}</span>
        </div>
        <div class="card" data-testid="total-rw">
          <span class="card-label">Read + written</span>
          <span class="card-value" data-bytes={total('total_rw')}>{bytes(total('total_rw'))}</span>
        </div>
        <div class="card" data-testid="records">
          <span class="card-label">R/W records</span>
          <span class="card-value">{r?.total_rw?.rows?.[0]?.records ?? 0}</span>
        </div>
        <div class="card" data-testid="now-read">
          <span class="card-label">Read now</span>
          <span class="card-value" data-rate={live.last.read}>{rate(live.last.read)}</span>
        </div>
        <div class="card" data-testid="now-write">
          <span class="card-label">Write now</span>
          <span class="card-value" data-rate={live.last.write}>{rate(live.last.write)}</span>
        </div>
      </div>
      {state.loading && <p class="loading">Loading…</p>}
      {r && (
        <>
          <div class="charts">
            <figure>
              <figcaption>24-hour usage profile (bytes per hour of the day)</figcaption>
              <Chart opts={usageOpts} data={usage} testid="usage-chart" />
            </figure>
            <figure>
              <figcaption>Throughput ({resolved.throughput.replace(/^throughput /, 'last ').replace(/ rw$/, '')})</figcaption>
              <Chart opts={throughputOpts} data={tput} testid="throughput-chart" />
            </figure>
          </div>
          <div class="tops">
            <ResultTable result={r.top_shares} source={source('top 10 shares rw')} testid="top-shares" pageSize={10} />
            <ResultTable result={r.top_users} source={source('top 10 users rw')} testid="top-users" pageSize={10} />
            <ResultTable result={r.top_files} source={source('top 10 files rw')} testid="top-files" pageSize={10} />
          </div>
        </>
      )}
    </section>
  );
}
