// SPDX-License-Identifier: GPL-3.0-or-later
// The time-range picker: presets (last hour, today, 7 days, everything) and a custom from/to.
import { useState } from 'preact/hooks';
import { queryTime } from '../format.js';

export const PRESETS = {
  hour: 'Last hour',
  today: 'Today',
  week: 'Last 7 days',
  all: 'Everything',
  custom: 'Custom',
};

// Turns a picker value into the from/to parameters of /api/query (smbtaquery's time syntax) and
// the throughput query that covers it (throughput always ends now).
export function resolveRange(value, now = new Date()) {
  switch (value.preset) {
    case 'hour':
      return { from: queryTime(new Date(now.getTime() - 3600e3)), throughput: 'throughput 60 minutes rw' };
    case 'today': {
      const minutes = now.getHours() * 60 + now.getMinutes() + 1;
      const throughput = minutes <= 360 ? `throughput ${minutes} minutes rw` : `throughput ${now.getHours() + 1} hours rw`;
      return { from: 'today', throughput };
    }
    case 'week':
      return { from: queryTime(new Date(now.getTime() - 7 * 86400e3)), throughput: 'throughput 168 hours rw' };
    case 'custom': {
      const from = value.from ? value.from.replace('T', ' ') : undefined;
      const to = value.to ? value.to.replace('T', ' ') : undefined;
      const start = value.from ? new Date(value.from) : new Date(now.getTime() - 86400e3);
      const span = Math.max(60, (now - start) / 1000);
      const unit = span <= 7200 ? ['minutes', 60] : span <= 14 * 86400 ? ['hours', 3600] : ['days', 86400];
      const n = Math.min(1000, Math.max(1, Math.ceil(span / unit[1])));
      return { from: from && (from.length === 16 ? `${from}:00` : from), to: to && (to.length === 16 ? `${to}:00` : to),
        throughput: `throughput ${n} ${unit[0]} rw` };
    }
    default:
      return { throughput: 'throughput 24 hours rw' };
  }
}

export function TimeRange({ value, onChange }) {
  const [draft, setDraft] = useState({ from: value.from ?? '', to: value.to ?? '' });
  return (
    <div class="timerange no-print" data-testid="timerange">
      {Object.entries(PRESETS).map(([k, label]) => (
        <button
          key={k}
          type="button"
          data-preset={k}
          class={value.preset === k ? 'active' : ''}
          aria-pressed={value.preset === k}
          onClick={() => (k === 'custom' ? onChange({ preset: 'custom', ...draft }) : onChange({ preset: k }))}
        >
          {label}
        </button>
      ))}
      {value.preset === 'custom' && (
        <form
          class="custom-range"
          onSubmit={(e) => {
            e.preventDefault();
            onChange({ preset: 'custom', ...draft });
          }}
        >
          <label>
            From <input type="datetime-local" step="1" name="from" value={draft.from}
              onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })} />
          </label>
          <label>
            To <input type="datetime-local" step="1" name="to" value={draft.to}
              onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })} />
          </label>
          <button type="submit">Apply</button>
        </form>
      )}
    </div>
  );
}
