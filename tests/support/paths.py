"""Where things are, and what a test needs that may be missing: a tool, or third-party material."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


SOURCES = ROOT / "sources"


FIXTURES = ROOT / "tests" / "fixtures"


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



def need_shared(path: Path) -> Path:
    """Third-party reference material from ../shared/ (beside the project in CI only):
    skip with the missing folder named when it is absent, fail in CI."""
    if not path.exists():
        message = (f"{path} is missing: third-party reference material, beside the project only in "
                   f"its CI (../shared/); this test needs it")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `zaisei ARGS` as a user would, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "zaisei.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


if str(ROOT) not in sys.path:  # benchmarks/ is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))
