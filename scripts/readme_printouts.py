"""Regenerate the README's printouts by running the commands they show.

    PYTHONPATH=src .venv/bin/python scripts/readme_printouts.py [--only solve,hedge] [--check]

A printout is a fenced block whose first line is ``$ python -m rsoi <command> ...``. Each is
run from the repository root, in README order (``compare`` reads the folders ``sweep`` wrote),
with its ``--out runs/demo-*`` folders redirected to a scratch folder under ``runs/`` and
written back as shown, and the block is replaced by the command line and what it printed.
The README is rewritten atomically at the end; the scratch folder is removed. ``--check``
only reports which blocks would change (exit 1 if any).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COMMANDS = {"solve", "sweep", "resilience", "frontier", "policies", "compare", "hedge", "interdict"}
BLOCK = re.compile(r"^```(?:text)?\n(\$ python -m rsoi (\S+)[^\n]*)\n(.*?)^```$", re.M | re.S)


def run_printout(command: str, scratch: Path) -> str:
    """What `command` (a README line after ``$ ``) prints, with scratch paths shown as typed."""
    args = shlex.split(command)
    args = [a.replace("runs/demo-", f"{scratch.relative_to(ROOT)}/demo-") for a in args]
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, *args[1:]], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode not in (0, 5):
        raise SystemExit(f"{command}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return done.stdout.replace(f"{scratch.relative_to(ROOT)}/demo-", "runs/demo-").rstrip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated commands to regenerate")
    ap.add_argument("--check", action="store_true", help="report stale blocks, write nothing")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(","))) or COMMANDS
    text = README.read_text(encoding="utf-8")
    (ROOT / "runs").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="readme-", dir=ROOT / "runs"))
    changed = []
    try:
        out, last = [], 0
        for m in BLOCK.finditer(text):
            command, name, body = m.group(1), m.group(2), m.group(3)
            if name not in COMMANDS or (name not in only and name != "sweep"):
                continue
            t = time.perf_counter()
            printed = run_printout(command[2:], scratch)
            print(f"{name}: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
            if name not in only:  # sweep runs for compare's sake only
                continue
            new = f"{command}\n{printed}\n"
            if new != f"{command}\n{body}":
                changed.append(name)
            out.append(text[last : m.start(1)] + new)
            last = m.end(3)
        out.append(text[last:])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("changed: " + (", ".join(changed) or "nothing"))
    if args.check:
        return 1 if changed else 0
    tmp = README.with_suffix(".md.tmp")
    tmp.write_text("".join(out), encoding="utf-8")
    tmp.replace(README)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
