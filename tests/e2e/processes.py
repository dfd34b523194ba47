"""Real `swarmbot serve` processes for multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def swarmbot_process(*arguments: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `swarmbot ARGUMENTS…` with `env`; its output goes to `log`; killed on exit."""
    full_env = {**os.environ, **env}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", *arguments], env=full_env, cwd=REPO, stdout=output, stderr=output
        )
        try:
            yield process
        finally:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def serve_process(env: dict[str, str], log: Path, *, verbose: bool = False) -> Iterator[str]:
    """`swarmbot serve` on a free port; yields its events URL once /healthz answers."""
    port = free_port()
    options = ["-v"] if verbose else []
    arguments = [*options, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with swarmbot_process(*arguments, env=env, log=log) as process:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"swarmbot serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"swarmbot serve did not become healthy:\n{log.read_text()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/slack/events"
