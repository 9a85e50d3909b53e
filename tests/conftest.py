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
