// SPDX-License-Identifier: GPL-3.0-or-later
// What the browser test runs against: a real smbtad (build tree) on a temporary sqlite database
// with its web listener, its users file, smbtaquery on the same database, and bounded waits.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// Polls `cond` until it returns a truthy value; never a fixed sleep, always bounded.
export async function waitFor(cond, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(file, args, { env, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ status: err ? (err.code ?? -1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

// Why a class: the test needs the ports, paths and the process together, and one stop() that
// reports a non-zero exit (the sanitizers' leak check runs at exit).
export class Smbtad {
  constructor({ smbtad, smbtaquery, webRoot, db }) {
    this.bin = smbtad;
    this.query = smbtaquery;
    this.webRoot = webRoot;
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), 'smbta-browser-'));
    fs.chmodSync(this.home, 0o700);
    this.db = db ?? path.join(this.home, 'staddb');
    this.users = path.join(this.home, 'web-users');
    this.logFile = path.join(this.home, 'smbtad.log');
    this.env = { ...process.env, HOME: this.home };
  }

  get base() {
    return `http://127.0.0.1:${this.webPort}`;
  }

  async addUser(user, password, role) {
    const r = await run(this.bin, ['--web-users', this.users, '--web-passwd', user, '--web-role', role], {
      env: this.env,
      input: `${password}\n`,
    });
    if (r.status !== 0) throw new Error(`smbtad --web-passwd ${user} failed (${r.status}): ${r.stdout}${r.stderr}`);
  }

  async start() {
    this.modulePort = await freePort();
    this.clientPort = await freePort();
    this.webPort = await freePort();
    const args = [
      '-o',
      '-i', String(this.modulePort),
      '-q', String(this.clientPort),
      '-p', '0',
      '-M', 'sqlite3',
      '-N', this.db,
      '--web-listen', `127.0.0.1:${this.webPort}`,
      '--web-root', this.webRoot,
      '--web-users', this.users,
      // The suite runs as root in CI; smbtad refuses root unless told.
      ...(process.getuid() === 0 ? ['--allow-root'] : []),
    ];
    const log = fs.openSync(this.logFile, 'a');
    this.child = spawn(this.bin, args, { env: this.env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.child.on('exit', () => (this.child = null));
    await waitFor(async () => {
      if (!this.child) throw new Error(`smbtad exited:\n${this.log()}`);
      const res = await fetch(`${this.base}/login.html`);
      return res.status === 200;
    }, 'smbtad to serve /login.html', 30000);
    await waitFor(() => canConnect(this.modulePort), 'the module port');
  }

  log() {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  // smbtaquery in direct mode on smbtad's database: the reference the dashboard must match.
  async smbtaquery(q, format = 'csv') {
    const r = await run(this.query, ['-M', 'sqlite3', '-N', this.db, '-o', format, '-q', q], { env: this.env });
    if (r.status !== 0) throw new Error(`smbtaquery -q '${q}' failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  async stop() {
    if (!this.child) return this.exited ? (await this.exited).code : 0;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 30000);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    return signal ? `signal ${signal}` : code;
  }

  cleanup() {
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
