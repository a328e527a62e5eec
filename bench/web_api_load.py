#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Load on webSMBTA's /api/query: N concurrent clients (keep-alive connections) ask the same query
# for D seconds; prints requests/s, p50/p99 latency and smbtad's CPU seconds meanwhile.
# Usage: web_api_load.py HOST:PORT USER PASSWORD [CLIENTS] [SECONDS] [QUERY] [SMBTAD_PID]
# (the password is read from the environment variable WEB_PASSWORD when PASSWORD is "-").
# SIGTERM ends the run early, with its figures printed (bench/web_bench.sh runs it beside ingest).
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse


def cpu_seconds(pid):
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    user, password = sys.argv[2], sys.argv[3]
    if password == "-":
        password = os.environ["WEB_PASSWORD"]
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 10
    query = sys.argv[6] if len(sys.argv) > 6 else "global, top 10 users rw;"
    pid = int(sys.argv[7]) if len(sys.argv) > 7 else 0

    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request("POST", "/api/login", json.dumps({"user": user, "password": password}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"login failed: {r.status} {body!r}")
    cookie = r.getheader("Set-Cookie").split(";", 1)[0]
    path = "/api/query?" + urllib.parse.urlencode({"q": query, "format": "json"})

    latencies, errors, lock = [], [0], threading.Lock()
    stop = [time.monotonic() + seconds]

    def end_early(signo, frame):
        stop[0] = 0

    signal.signal(signal.SIGTERM, end_early)

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine = []
        while time.monotonic() < stop[0]:
            t0 = time.monotonic()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            if ok:
                mine.append(time.monotonic() - t0)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    cpu1 = cpu_seconds(pid)
    latencies.sort()
    n = len(latencies)
    pct = lambda p: latencies[min(n - 1, int(p * n))] * 1000 if n else float("nan")
    print(f"{clients} clients, {elapsed:.1f} s, query {query!r}: {n} answers, {errors[0]} errors, "
          f"{n / elapsed:.1f} requests/s, p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms"
          + (f", smbtad {cpu1 - cpu0:.2f} CPU s" if cpu0 is not None else ""))


if __name__ == "__main__":
    main()
