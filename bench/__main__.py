"""`python -m bench`: every benchmark, one after another, each writing its section of BENCHMARKS.md.

    python -m bench [--only ack_latency,burst] [--skip scheduler] [--no-write]

Each runs in a process of its own (`python -m bench.<name>`, also runnable alone), so none inherits
another's memory, threads or warm caches, and the machine runs one benchmark at a time. `transcript` runs
when bench/transcript.py is present (with `--small`, as its section says). About half an hour in all:
the burst, paced to Slack's own limits, takes ten minutes, matching seven.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).parents[1]
# (name, arguments, about how long), in the order they run.
BENCHMARKS = (
    ("ack_latency", (), "3 min"),
    ("time_to_swarm", (), "3 min"),
    ("burst", (), "10 min"),
    ("matching", (), "7 min"),
    ("scheduler", (), "2 min"),
    ("transcript", ("--small",), "5 min"),
)


def available(name: str) -> bool:
    return importlib.util.find_spec(f"bench.{name}") is not None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    names = [name for name, _, _ in BENCHMARKS]
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--skip", default="", help="comma-separated names to leave out")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    only = {name for name in args.only.split(",") if name}
    skip = {name for name in args.skip.split(",") if name}
    unknown = (only | skip) - set(names)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    chosen = [b for b in BENCHMARKS if (not only or b[0] in only) and b[0] not in skip and available(b[0])]
    failed: list[str] = []
    started = time.monotonic()
    for name, arguments, duration in chosen:
        print(f"\n== bench.{name} (about {duration}) ==", flush=True)
        began = time.monotonic()
        command = [sys.executable, "-m", f"bench.{name}", *arguments]
        command += ["--no-write"] if args.no_write else []
        if subprocess.run(command, cwd=REPO, check=False).returncode != 0:
            failed.append(name)
        print(f"== bench.{name}: {time.monotonic() - began:,.0f} s ==", flush=True)
    print(f"\nall done in {(time.monotonic() - started) / 60:,.1f} min", flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
