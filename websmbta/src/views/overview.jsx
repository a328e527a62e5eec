// SPDX-License-Identifier: GPL-3.0-or-later
// Overview: totals and throughput now, top shares/users/files, usage profile and throughput charts.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { query } from '../api.js';
import { Chart, throughputOpts, usageOpts } from '../components/chart.jsx';
import { ResultTable } from '../components/table.jsx';
import { resolveRange, TimeRange } from '../components/timerange.jsx';
import { bytes, rate } from '../format.js';
import { useLive } from './live.jsx';

// Why four requests: each part is drawn as soon as it is there, so a slow part (top files over
// millions of rows) does not hold back the charts and totals.
const REQUESTS = [
  [['total_r', 'total r'], ['total_w', 'total w'], ['total_rw', 'total rw'], ['usage', 'usage rw']],
  [['top_shares', 'top 10 shares rw'], ['top_users', 'top 10 users rw']],
  [['top_files', 'top 10 files rw']],
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
  const [state, setState] = useState({ loading: true, results: {} });
  const resolved = useMemo(() => resolveRange(range), [range]);
  const params = { from: resolved.from, to: resolved.to };
  const live = useLive('global', 60);

  useEffect(() => {
    let stale = false;
    setState({ loading: true, results: {} });
    const merge = (part) => !stale && setState((st) => ({ ...st, results: { ...st.results, ...part } }));
    const fail = (e) => !stale && setState((st) => ({ ...st, error: e.message }));
    const pending = REQUESTS.map((parts) =>
      query(`global, ${parts.map((p) => p[1]).join(', ')};`, params)
        .then((doc) => merge(Object.fromEntries(parts.map(([name], i) => [name, doc.results[i]]))))
        .catch(fail),
    );
    pending.push(
      query(`global, ${resolved.throughput};`)
        .then((doc) => merge({ throughput: doc.results[0] }))
        .catch(fail),
    );
    Promise.all(pending).then(() => !stale && setState((st) => ({ ...st, loading: false })));
    return () => {
      stale = true;
    };
  }, [resolved]);

  const r = state.results;
  const total = (name) => r[name]?.rows?.[0]?.bytes ?? 0;
  const source = (fn) => ({ q: `global, ${fn};`, range: params });
  const usage = useMemo(() => r.usage && usageData(r.usage), [r.usage]);
  const tput = useMemo(() => r.throughput && throughputData(r.throughput), [r.throughput]);
  return (
    <section class="overview" data-testid="overview">
      <h2>Overview</h2>
      <TimeRange value={range} onChange={setRange} />
      {state.error && <p class="error" role="alert">{state.error}</p>}
      <div class="cards">
        <div class="card" data-testid="total-read">
          <span class="card-label">Read</span>
          <span class="card-value" data-bytes={r.total_r ? total('total_r') : undefined}>{bytes(total('total_r'))}</span>
        </div>
        <div class="card" data-testid="total-written">
          <span class="card-label">Written</span>
          <span class="card-value" data-bytes={r.total_w ? total('total_w') : undefined}>{bytes(total('total_w'))}</span>
        </div>
        <div class="card" data-testid="total-rw">
          <span class="card-label">Read + written</span>
          <span class="card-value" data-bytes={r.total_rw ? total('total_rw') : undefined}>{bytes(total('total_rw'))}</span>
        </div>
        <div class="card" data-testid="records">
          <span class="card-label">R/W records</span>
          <span class="card-value">{r.total_rw?.rows?.[0]?.records ?? 0}</span>
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
      <div class="charts">
        <figure>
          <figcaption>24-hour usage profile (bytes per hour of the day)</figcaption>
          {usage ? <Chart opts={usageOpts} data={usage} testid="usage-chart" /> : <p class="loading">Loading…</p>}
        </figure>
        <figure>
          <figcaption>Throughput ({resolved.throughput.replace(/^throughput /, 'last ').replace(/ rw$/, '')})</figcaption>
          {tput ? <Chart opts={throughputOpts} data={tput} testid="throughput-chart" /> : <p class="loading">Loading…</p>}
        </figure>
      </div>
      <div class="tops">
        {r.top_shares && <ResultTable result={r.top_shares} source={source('top 10 shares rw')} testid="top-shares" pageSize={10} />}
        {r.top_users && <ResultTable result={r.top_users} source={source('top 10 users rw')} testid="top-users" pageSize={10} />}
        {r.top_files ? (
          <ResultTable result={r.top_files} source={source('top 10 files rw')} testid="top-files" pageSize={10} />
        ) : (
          <p class="loading">Loading top files…</p>
        )}
      </div>
    </section>
  );
}
