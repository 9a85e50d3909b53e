"""Shared fixtures: paths, a throw-away copy of a source folder, the CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI") == "true"
if str(ROOT) not in sys.path:  # benchmarks/ is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))


def need_tool(name: str) -> str:
    """Path of an external tool; skip locally when missing, fail in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package needed; .ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def minato_copy(tmp_path: Path) -> Path:
    """A writable copy of sources/minato-2021 to break in a test."""
    target = tmp_path / "minato-2021"
    shutil.copytree(SOURCES / "minato-2021", target)
    return target


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `zaisei ARGS` as a user would, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "zaisei.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Path:
    """A fresh build of every dataset into a temporary output folder."""
    from zaisei.publication.build import build
    from zaisei.publication.project import Project

    output = tmp_path_factory.mktemp("published") / "output"
    build(Project(output=output))
    return output


def start_server(output: Path, *extra: str):
    """`zaisei serve` in a subprocess on a free loopback port; returns (process, url)."""
    import time
    import urllib.request

    import tempfile

    port = free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "-m", "zaisei.cli", "serve", "--output", str(output),
                                "--port", str(port), *extra], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as answer:
                answer.read()
            return process, url
        except OSError:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace"))
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


def stop_server(process) -> None:
    process.terminate()
    process.wait(timeout=10)
    process.log.close()


@pytest.fixture(scope="session")
def server(published):
    """A live server over the fresh build, on loopback."""
    process, url = start_server(published)
    yield url
    stop_server(process)
