"""What every benchmark reports the same way: percentiles, the machine, and its section of BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p99 of 1,000 values is the 990th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5 - 1e-9)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table: `12.3 ms` below 100, `123 ms` above."""
    value = seconds * 1000
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def seconds(value: float) -> str:
    """Seconds for a table: `1.23 s`, or `12.3 s` above ten."""
    return f"{value:,.2f} s" if value < 10 else f"{value:,.1f} s"


def ratio(value: float) -> str:
    """A ratio for a table: `1.07×`."""
    return f"{value:.2f}×"


def versions() -> dict[str, str]:
    """Versions of what the figures depend on."""
    from importlib.metadata import version

    found = {"python": platform.python_version()}
    for package in ("slack-bolt", "slack-sdk", "uvicorn", "starlette", "aiohttp", "sqlalchemy", "redis"):
        try:
            found[package] = version(package)
        except Exception:  # an optional package missing is not worth failing a benchmark
            continue
    return found


def postgres_version() -> str:
    """The Postgres server version, as psql reports it (empty when psql is missing)."""
    try:
        output = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version", "test"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return output.split()[0] if output else ""


def machine_line(*, extra: str = "") -> str:
    """`Machine: 2 CPUs, Python 3.11.7, …; one run, 2026-11-22.`"""
    v = versions()
    parts = [f"{os.cpu_count()} CPUs", f"Python {v['python']}"]
    parts += [f"{name} {v[name]}" for name in ("slack-bolt", "uvicorn") if name in v]
    pg = postgres_version()
    if pg:
        parts.append(f"PostgreSQL {pg}")
    parts.append(platform.platform())
    line = "Machine: " + ", ".join(parts)
    if extra:
        line += f"; {extra}"
    return line + f"; one run, {datetime.now(UTC):%Y-%m-%d}."


def write_section(name: str, body: str, path: Path = BENCHMARKS, *, heading: str | None = None) -> None:
    """Replace what lies between `<!-- bench.NAME:begin -->` and `:end -->`; append the block if missing
    (under `## heading`, when given)."""
    begin, end = f"<!-- bench.{name}:begin -->", f"<!-- bench.{name}:end -->"
    content = path.read_text() if path.exists() else ""
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin in content and end in content:
        content = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, content, flags=re.S)
    else:
        title = f"## {heading}\n\n" if heading else ""
        content = content.rstrip() + f"\n\n{title}{block}\n"
    path.write_text(content)
    print(f"written to {path} ({name})")


def publish(
    name: str, table: str, *, write: bool, started: float | None = None, heading: str | None = None
) -> None:
    """Print a benchmark's table (and how long the run took, from `started`), then write it into
    BENCHMARKS.md unless `write` is off (`--no-write`)."""
    print(table)
    if started is not None:
        print(f"took {time.monotonic() - started:,.0f} s ({datetime.now(UTC):%H:%M} UTC)")
    if write:
        write_section(name, table, heading=heading)
