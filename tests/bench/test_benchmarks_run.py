"""Every benchmark still runs end to end: each at a toy size, printing its report and writing nothing.

The figures are made with `python -m bench` and live in BENCHMARKS.md; this only keeps the code that makes
them from rotting between runs (a benchmark that fails at a size nobody tried is a broken benchmark).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS
from tests.conftest import POSTGRES_ADMIN_URL

REPO = Path(__file__).parents[2]
TOY_SIZES: dict[str, list[str]] = {
    "ack_latency": ["--requests", "60", "--concurrency", "5", "--rounds", "1", "--rate", "0"],
    "time_to_swarm": ["--repeats", "1", "--latency", "0.01"],
    "burst": ["--escalations", "4", "--scale", "20", "--latency", "0.01", "--timeout", "120"],
    # Fewer experts than the open swarms engage at full size (6,000): it once failed there.
    "matching": ["--experts", "300", "--skills", "40", "--queries", "20"],
    "scheduler": ["--swarms", "60", "--spread", "2"],
    "transcript": ["--messages", "400", "--threads", "40", "--database", "both"],
}


def test_every_benchmark_has_a_toy_size():
    assert {name for name, _, _ in BENCHMARKS} == set(TOY_SIZES)


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(TOY_SIZES))
def test_the_benchmark_runs_at_a_toy_size_and_prints_its_report(name):
    environment = {**os.environ, "SWARMBOT_BENCH_POSTGRES": POSTGRES_ADMIN_URL, "PYTHONPATH": str(REPO)}
    finished = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *TOY_SIZES[name], "--no-write"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-4000:]
    assert "| " in finished.stdout, finished.stdout[-2000:]  # the report's table
