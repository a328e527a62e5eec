#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Every message smbtad logs at warning level or above is documented in smbtad(8), DIAGNOSTICS,
# so that an administrator who greps the log finds what it means (and the two cannot drift).
# A message's placeholders ({}) stand for any text: the page writes them as italic words.
# Usage: diagnostics_test.py SOURCE_DIR
import pathlib
import re
import sys

src = pathlib.Path(sys.argv[1])
call = re.compile(r'log::(?:warning|error)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
literal = re.compile(r'"((?:[^"\\]|\\.)*)"')

messages = set()
for f in sorted((src / "smbtad").glob("*.cpp")):
    for m in call.finditer(f.read_text()):
        text = "".join(literal.findall(m.group(1)))
        text = text.replace('\\"', '"').replace("\\\\", "\\")
        if text.replace("{}", "").strip():  # "{}": a message composed elsewhere
            messages.add((f.name, text))
if len(messages) < 20:
    sys.exit(f"found only {len(messages)} log messages in {src}/smbtad: this test needs updating")


def roff_text(line):
    line = re.sub(r"\\f[BIRP]", "", line)
    line = line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\").replace("\\&", "")
    if line.startswith((".B ", ".I ")):
        line = line[3:]
    return " ".join(line.split())


page = (src / "docs" / "smbtad.8").read_text().splitlines()
try:
    start = page.index(".SH DIAGNOSTICS")
except ValueError:
    sys.exit("smbtad.8 has no DIAGNOSTICS section")
end = next((i for i in range(start + 1, len(page)) if page[i].startswith(".SH ")), len(page))
lines = [roff_text(l) for l in page[start + 1 : end] if not l.startswith(".") or l.startswith((".B ", ".I "))]

missing = []
for where, text in sorted(messages):
    pattern = ".*".join(re.escape(" ".join(p.split())) for p in text.split("{}"))
    if not any(re.fullmatch(pattern, l) for l in lines):
        missing.append(f"{where}: {text}")
if missing:
    print("smbtad(8) DIAGNOSTICS does not describe these log messages (placeholders {} may be any text):")
    print("\n".join("  " + m for m in missing))
    sys.exit(1)
print(f"smbtad(8) DIAGNOSTICS describes all {len(messages)} warning and error messages")
