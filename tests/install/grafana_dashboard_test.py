#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# docs/grafana-smbtad.json is valid JSON, a Grafana dashboard, and every smbtad_* metric its
# queries use is one a running smbtad exports on /metrics (so renaming a metric breaks this test,
# not an administrator's dashboard). Usage: grafana_dashboard_test.py DASHBOARD SMBTAD
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

dashboard_path, smbtad = sys.argv[1], sys.argv[2]
with open(dashboard_path) as f:
    dashboard = json.load(f)  # a syntax error fails here
for key in ("title", "panels", "uid"):
    if key not in dashboard:
        sys.exit(f"{dashboard_path}: no '{key}': not a Grafana dashboard")

exprs = []


def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "query", "definition") and isinstance(v, str):
                exprs.append(v)
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)


walk(dashboard)
used = {m for e in exprs for m in re.findall(r"\bsmbtad_[a-z_]+", e)}
if len(used) < 10:
    sys.exit(f"the dashboard uses only {sorted(used)}: this test needs updating")
for p in dashboard["panels"]:
    if not p.get("targets"):
        sys.exit(f"panel {p.get('title')} has no query")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


with tempfile.TemporaryDirectory(prefix="smbta-grafana-") as home:
    mport, port, qport = free_port(), free_port(), free_port()
    argv = [smbtad, "-o", "-U", "0", "-i", str(port), "-q", str(qport),
            "--metrics-listen", f"127.0.0.1:{mport}"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    env = dict(os.environ, HOME=home, ASAN_OPTIONS="detect_leaks=0")
    with open(os.path.join(home, "smbtad.log"), "w") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    text = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=2) as r:
                    text = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(30)
    if text is None:
        sys.exit("smbtad served no /metrics:\n" + open(os.path.join(home, "smbtad.log")).read())

exported = set()
for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
    exported.add(name)
    if kind == "histogram":
        exported |= {name + "_bucket", name + "_sum", name + "_count"}
unknown = sorted(used - exported)
if unknown:
    sys.exit(f"the dashboard uses metrics smbtad does not export: {unknown}")
unused = sorted(n for n in exported - used if not n.endswith(("_sum", "_count", "_bucket")))
print(f"dashboard: {len(dashboard['panels'])} panels, {len(used)} smbtad metrics, all exported"
      + (f" (not on the dashboard: {unused})" if unused else ""))
