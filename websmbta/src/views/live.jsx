// SPDX-License-Identifier: GPL-3.0-or-later
// Live view of one object over /api/live (Server-Sent Events): numbers, moving graph, activity log.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Chart, liveOpts } from '../components/chart.jsx';
import { bytes, clock, rate } from '../format.js';

const LOG_LINES = 200;

// Why a hook: the overview's "throughput now" and the live view read the same stream.
export function useLive(object, seconds) {
  const [s, setS] = useState({ points: [], last: { read: 0, write: 0 }, read: 0, write: 0, log: [], dropped: 0, status: 'connecting', events: 0 });
  useEffect(() => {
    if (!object) return undefined;
    setS({ points: [], last: { read: 0, write: 0 }, read: 0, write: 0, log: [], dropped: 0, status: 'connecting', events: 0 });
    const es = new EventSource(`/api/live?object=${encodeURIComponent(object)}`);
    es.onopen = () => setS((p) => ({ ...p, status: 'live' }));
    es.onerror = () => setS((p) => ({ ...p, status: es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting' }));
    es.addEventListener('throughput', (ev) => {
      const d = JSON.parse(ev.data);
      setS((p) => ({
        ...p,
        status: 'live',
        points: [...p.points, d].slice(-seconds),
        last: d,
        read: p.read + d.read,
        write: p.write + d.write,
      }));
    });
    es.addEventListener('activity', (ev) => {
      const d = JSON.parse(ev.data);
      setS((p) =>
        d.dropped !== undefined
          ? { ...p, dropped: p.dropped + d.dropped }
          : { ...p, events: p.events + 1, log: [d, ...p.log].slice(0, LOG_LINES) },
      );
    });
    return () => es.close();
  }, [object, seconds]);
  return s;
}

const KINDS = ['global', 'domain', 'share', 'user', 'file'];

export function parseObject(spec) {
  if (!spec || spec === 'global') return { kind: 'global', name: '' };
  const i = spec.indexOf(':');
  return { kind: spec.slice(0, i), name: spec.slice(i + 1) };
}

export function LiveView({ object, setObject }) {
  const current = parseObject(object);
  const [draft, setDraft] = useState(current);
  const live = useLive(object, 120);
  const data = useMemo(
    () => [live.points.map((p) => p.t), live.points.map((p) => p.read), live.points.map((p) => p.write)],
    [live.points],
  );
  return (
    <section class="live" data-testid="live">
      <h2>Live: {current.kind === 'global' ? 'global' : `${current.kind} ${current.name}`}</h2>
      <form
        class="live-pick no-print"
        onSubmit={(e) => {
          e.preventDefault();
          setObject(draft.kind === 'global' || !draft.name ? 'global' : `${draft.kind}:${draft.name}`);
        }}
      >
        <select name="kind" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value })}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <input name="name" placeholder="name" value={draft.name} disabled={draft.kind === 'global'}
          onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
        <button type="submit">Watch</button>
        <span class={`status status-${live.status}`} data-testid="live-status">{live.status}</span>
      </form>
      <div class="cards">
        <div class="card" data-testid="live-read-now">
          <span class="card-label">Read now</span>
          <span class="card-value" data-rate={live.last.read}>{rate(live.last.read)}</span>
        </div>
        <div class="card" data-testid="live-write-now">
          <span class="card-label">Write now</span>
          <span class="card-value" data-rate={live.last.write}>{rate(live.last.write)}</span>
        </div>
        <div class="card" data-testid="live-read-total">
          <span class="card-label">Read since opened</span>
          <span class="card-value" data-bytes={live.read}>{bytes(live.read)}</span>
        </div>
        <div class="card" data-testid="live-write-total">
          <span class="card-label">Written since opened</span>
          <span class="card-value" data-bytes={live.write}>{bytes(live.write)}</span>
        </div>
        <div class="card" data-testid="live-events">
          <span class="card-label">Operations seen</span>
          <span class="card-value" data-count={live.events}>{live.events}</span>
        </div>
      </div>
      {live.dropped > 0 && <p class="note">{live.dropped} operations not shown (rate limit).</p>}
      <figure>
        <figcaption>Bytes per second, last two minutes</figcaption>
        <Chart opts={liveOpts} data={data} testid="live-chart" />
      </figure>
      <h3>Activity</h3>
      <table class="log" data-testid="live-log">
        <thead>
          <tr>
            <th>Time</th>
            <th>Operation</th>
            <th>User</th>
            <th>Share</th>
            <th>File</th>
            <th class="num">Bytes</th>
          </tr>
        </thead>
        <tbody>
          {live.log.map((a, i) => (
            <tr key={`${live.events - i}`}>
              <td>{clock(a.t)}</td>
              <td data-col="op">{a.op}</td>
              <td data-col="user">{a.user}</td>
              <td data-col="share">{a.share}</td>
              <td data-col="file">{a.file}</td>
              <td class="num" data-col="bytes" data-value={a.bytes}>{bytes(a.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
