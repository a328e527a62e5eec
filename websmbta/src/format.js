// SPDX-License-Identifier: GPL-3.0-or-later
// Display helpers: byte units, rates, local smbtaquery timestamps.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '';
  let v = Number(n);
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

export function rate(n) {
  return `${bytes(Math.round(Number(n) || 0))}/s`;
}

// A cell of a smbtaquery JSON result, shown for its column type.
export function cell(value, type) {
  if (value === null || value === undefined) return '';
  if (type === 'bytes') return bytes(value);
  if (type === 'rate') return rate(value);
  if (type === 'percent') return `${Number(value).toFixed(2)} %`;
  return String(value);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// smbtaquery's time syntax, local time: YYYY-MM-DD HH:MM:SS.
export function queryTime(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

export function clock(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
