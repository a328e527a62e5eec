// SPDX-License-Identifier: GPL-3.0-or-later
// Protocol V2 module records (docs/protocol.md), written here so the browser test sends the same
// frames a Samba VFS module does.
import net from 'node:net';

export const Op = { read: 0, pread: 1, write: 2, pwrite: 3, mkdir: 4, rmdir: 5, rename: 6, chdir: 7, open: 8, close: 9 };

function block(value) {
  const b = Buffer.from(String(value), 'utf8');
  if (b.length > 9999) throw new Error('sub-block too long');
  return Buffer.concat([Buffer.from(String(b.length).padStart(4, '0')), b]);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// The module's timestamp: local time, milliseconds truncated.
export function v2Timestamp(d) {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

// r: { op, user, sid, share, domain, time (Date), ip, file, bytes, latencyUs }; read/write ops
// only need file and bytes, open/close file and result. latencyUs: common block 8 (without it
// the record is one of a module that does not time its calls).
export function encodeRecord(r) {
  const common = [r.op, r.user, r.sid, r.share, r.domain, v2Timestamp(r.time), r.ip ?? '127.0.0.1'];
  if (r.latencyUs !== undefined) common.push(r.latencyUs);
  let tail;
  switch (r.op) {
    case Op.read:
    case Op.pread:
    case Op.write:
    case Op.pwrite:
      tail = [r.file, r.bytes];
      break;
    case Op.open:
      tail = [r.file, 0, r.result ?? 3];
      break;
    case Op.close:
      tail = [r.file, r.result ?? 0];
      break;
    default:
      throw new Error(`op ${r.op} not supported by this encoder`);
  }
  const count = block(common.length);
  const body = Buffer.concat([count, ...common.map(block), ...tail.map(block)]);
  return Buffer.concat([Buffer.from(`V2.000000${String(body.length).padStart(17, '0')}`), body]);
}

// Sends the frames over one module connection and closes it once they are written.
export function sendRecords(port, records) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      sock.end(Buffer.concat(records.map(encodeRecord)), () => resolve());
    });
    sock.on('error', reject);
  });
}

// A connection kept open, for traffic sent while the browser watches.
export function openModule(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () =>
      resolve({
        send: (records) => new Promise((res) => sock.write(Buffer.concat(records.map(encodeRecord)), res)),
        close: () => new Promise((res) => sock.end(res)),
      }),
    );
    sock.on('error', reject);
  });
}
