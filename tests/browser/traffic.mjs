// SPDX-License-Identifier: GPL-3.0-or-later
// The known traffic the browser test sends, and the numbers every view must show for it.
import { Op } from './v2.mjs';

const ALICE = { user: 'alice', sid: 'S-1-5-21-1-1-1-1001', domain: 'WORKGROUP' };
const BOB = { user: 'bob', sid: 'S-1-5-21-1-1-1-1002', domain: 'WORKGROUP' };
const CAROL = { user: 'carol', sid: 'S-1-5-21-1-1-1-1003', domain: 'OFFICE' };
// What a module with anonymize_prefix "anon" sends (docs/protocol.md): stored and shown as is.
export const PSEUDONYM = 'anon489043484';
const ANON = { user: PSEUDONYM, sid: 'anon-554215023', domain: 'WORKGROUP' };

// The six R/W records of alice, bob and the pseudonym carry the module's latency (common block
// 8); carol's are from a module that does not time (not counted in latency reports).
// Every record lies in the last minutes but never before today's midnight, so the "today" and
// "last hour" presets both hold all of it.
export function knownTraffic(now = new Date()) {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const at = (secondsAgo) => new Date(Math.max(now.getTime() - secondsAgo * 1000, midnight));
  const records = [
    { ...ALICE, op: Op.open, share: 'data', file: 'docs/report.odt', time: at(300) },
    { ...ALICE, op: Op.write, share: 'data', file: 'docs/report.odt', bytes: 40000, latencyUs: 1500, time: at(290) },
    { ...ALICE, op: Op.read, share: 'data', file: 'docs/report.odt', bytes: 10000, latencyUs: 400, time: at(280) },
    { ...ALICE, op: Op.close, share: 'data', file: 'docs/report.odt', time: at(270) },
    { ...BOB, op: Op.read, share: 'pool', file: 'big.iso', bytes: 300000, latencyUs: 9000, time: at(260) },
    { ...BOB, op: Op.write, share: 'pool', file: 'notes.txt', bytes: 2000, latencyUs: 250, time: at(250) },
    { ...ALICE, op: Op.read, share: 'pool', file: 'big.iso', bytes: 50000, latencyUs: 1200, time: at(240) },
    { ...ANON, op: Op.write, share: 'pool', file: 'anon.txt', bytes: 700, latencyUs: 90, time: at(230) },
  ];
  // Enough rows for last_activity to need a second page (the tables show 20 per page).
  for (let i = 1; i <= 25; ++i)
    records.push({ ...CAROL, op: Op.read, share: 'misc', file: `f${String(i).padStart(2, '0')}.txt`, bytes: 100 + i, time: at(200 - i) });
  return records;
}

const isRead = (r) => r.op === Op.read || r.op === Op.pread;
const isWrite = (r) => r.op === Op.write || r.op === Op.pwrite;

function sumBy(records, key) {
  const m = new Map();
  for (const r of records) if (isRead(r) || isWrite(r)) m.set(key(r), (m.get(key(r)) ?? 0) + r.bytes);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

export function expectations(records) {
  const rw = records.filter((r) => isRead(r) || isWrite(r));
  return {
    read: rw.filter(isRead).reduce((a, r) => a + r.bytes, 0),
    written: rw.filter(isWrite).reduce((a, r) => a + r.bytes, 0),
    total: rw.reduce((a, r) => a + r.bytes, 0),
    rwRecords: rw.length,
    timedRw: rw.filter((r) => r.latencyUs !== undefined).length,
    maxLatencyUs: Math.max(...rw.map((r) => r.latencyUs ?? 0)),
    topUsers: sumBy(records, (r) => r.user),
    topShares: sumBy(records, (r) => r.share),
    topFiles: sumBy(records, (r) => r.file),
    usersOf: (share) => [...new Set(rw.filter((r) => r.share === share).map((r) => r.user))].sort(),
    filesOf: (share) => [...new Set(rw.filter((r) => r.share === share).map((r) => r.file))].sort(),
    sharesOf: (domain) => [...new Set(rw.filter((r) => r.domain === domain).map((r) => r.share))].sort(),
    topUsersOf: (share) => sumBy(records.filter((r) => r.share === share), (r) => r.user),
    domains: [...new Set(rw.map((r) => r.domain))].sort(),
  };
}
