// SPDX-License-Identifier: GPL-3.0-or-later
// Builds smbtaquery query text from the UI's selection and parameters (names always quoted).

// The parser takes any character after a backslash literally inside quotes.
export function quote(name) {
  return `'${String(name).replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

// selection: { domain, share, user, file } (each optional). Objects are ANDed by the engine.
export function objectPrefix(sel = {}) {
  const parts = [];
  if (sel.domain) parts.push(`domain ${quote(sel.domain)}`);
  if (sel.share) parts.push(`share ${quote(sel.share)}`);
  if (sel.user) parts.push(`user ${quote(sel.user)}`);
  if (sel.file) parts.push(`file ${quote(sel.file)}`);
  return parts.length ? parts.join(', ') : 'global';
}

export function selectionLabel(sel = {}) {
  const parts = [];
  for (const k of ['domain', 'share', 'user', 'file']) if (sel[k]) parts.push(`${k} ${sel[k]}`);
  return parts.length ? parts.join(' · ') : 'global';
}

const positive = (v, max = 100000) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= max;
};

// Every smbtaquery function with its parameters; `admin` ones run on the system object.
export const FUNCTIONS = {
  total: {
    label: 'Total',
    help: 'Bytes read, written or both, and the number of R/W records.',
    params: [{ name: 'mode', kind: 'mode' }],
    text: (p) => `total ${p.mode}`,
  },
  list: {
    label: 'List',
    help: 'The users, shares, files or domains that were read or written.',
    params: [{ name: 'what', kind: 'choice', choices: ['users', 'shares', 'files', 'domains'] }],
    text: (p) => `list ${p.what}`,
  },
  top: {
    label: 'Top',
    help: 'The N objects with the most (desc) or least (asc) bytes.',
    params: [
      { name: 'n', kind: 'number' },
      { name: 'what', kind: 'choice', choices: ['users', 'shares', 'files', 'domains'] },
      { name: 'mode', kind: 'mode' },
      { name: 'order', kind: 'choice', choices: ['desc', 'asc'] },
    ],
    text: (p) => `top ${p.n} ${p.what} ${p.mode} ${p.order}`,
  },
  usage: {
    label: '24h usage',
    help: 'Bytes per hour of the day over the selected time, with each hour\u2019s percentage.',
    params: [{ name: 'mode', kind: 'mode' }],
    text: (p) => `usage ${p.mode}`,
  },
  last_activity: {
    label: 'Last activity',
    help: 'The N latest operations, oldest first; chdir only when asked for.',
    params: [
      { name: 'n', kind: 'number' },
      { name: 'chdir', kind: 'bool', label: 'with chdir' },
    ],
    text: (p) => `last_activity ${p.n}${p.chdir ? ' with chdir' : ''}`,
  },
  search: {
    label: 'Search',
    help: 'Shares, users, files, SIDs and domains matching the pattern (% and _ make it a LIKE pattern).',
    params: [{ name: 'pattern', kind: 'text' }],
    text: (p) => `search ${quote(p.pattern)}`,
    global: true,
  },
  throughput: {
    label: 'Throughput',
    help: 'Bytes and bytes per second in each of the last N intervals.',
    params: [
      { name: 'n', kind: 'number' },
      { name: 'unit', kind: 'choice', choices: ['seconds', 'minutes', 'hours', 'days'] },
      { name: 'mode', kind: 'mode' },
    ],
    text: (p) => `throughput ${p.n} ${p.unit} ${p.mode}`,
  },
  latency: {
    label: 'Latency',
    help: 'Operations the module timed and their median, 95th and 99th percentile and maximum in microseconds (within 6.25 %).',
    params: [
      { name: 'percentile', kind: 'choice', choices: ['all', 'p50', 'p95', 'p99', 'max'] },
      { name: 'timed', kind: 'choice', choices: ['rw', 'r', 'w', 'ops'] },
    ],
    text: (p) => `latency${p.percentile === 'all' ? '' : ` ${p.percentile}`} ${p.timed}`,
  },
  slowest: {
    label: 'Slowest',
    help: 'The N users, shares or files with the highest latency percentile, with their timed operations.',
    params: [
      { name: 'n', kind: 'number' },
      { name: 'what', kind: 'choice', choices: ['users', 'shares', 'files'] },
      { name: 'rank', kind: 'choice', choices: ['p95', 'p50', 'p99', 'max'] },
      { name: 'timed', kind: 'choice', choices: ['rw', 'r', 'w', 'ops'] },
    ],
    text: (p) => `top ${p.n} ${p.what} slowest ${p.rank} ${p.timed}`,
  },
  trend: {
    label: 'Trend',
    help: 'Bytes per day over the last N days, with the growth per day and the busiest hour of the week.',
    params: [{ name: 'days', kind: 'number', max: 3660 }],
    text: (p) => `trend ${p.days} days`,
  },
  alerts: {
    label: 'Alerts',
    help: 'The burst alerts smbtad raised (ransomware-like renames and overwrites, mass reads), newest first.',
    params: [{ name: 'n', kind: 'number' }],
    text: (p) => `alerts ${p.n}`,
  },
  loss: {
    label: 'Loss',
    help: 'Records received, stored, dropped and missing per Samba server.',
    params: [],
    text: () => 'loss',
    admin: true,
    system: true,
  },
  'smbtad-report': {
    label: 'smbtad report',
    help: 'smbtad\u2019s configuration as stored in the database.',
    params: [{ name: 'detail', kind: 'choice', choices: ['full', 'short'] }],
    text: (p) => `smbtad-report ${p.detail}`,
    admin: true,
    system: true,
  },
  'self-check': {
    label: 'Self-check',
    help: 'Versions of smbtad, smbtaquery and the schema, and the VFS modules smbtad has seen.',
    params: [],
    text: () => 'self-check offline',
    admin: true,
    system: true,
  },
};

export const DEFAULT_PARAMS = {
  mode: 'rw',
  what: 'users',
  n: 10,
  order: 'desc',
  chdir: false,
  pattern: '',
  unit: 'minutes',
  detail: 'short',
  percentile: 'all',
  timed: 'rw',
  rank: 'p95',
  days: 30,
};

export function paramsValid(fn, params) {
  for (const p of FUNCTIONS[fn].params) {
    const v = params[p.name];
    if (p.kind === 'number' && !positive(v, p.max)) return false;
    if (p.kind === 'text' && !String(v ?? '').trim()) return false;
    if (p.kind === 'choice' && !p.choices.includes(v)) return false;
    if (p.kind === 'mode' && !['r', 'w', 'rw'].includes(v)) return false;
  }
  return true;
}

export function functionQuery(fn, params, sel) {
  const def = FUNCTIONS[fn];
  const prefix = def.system ? 'system' : def.global ? objectPrefixForSearch(sel) : objectPrefix(sel);
  return `${prefix}, ${def.text({ ...DEFAULT_PARAMS, ...params })};`;
}

// search looks at names; a selected object narrows it the same way as other functions.
function objectPrefixForSearch(sel) {
  return objectPrefix(sel);
}
