"""The fixtures every test may use: a copy of a source folder to break, the session's build, and
the session's server (`zaisei serve` over that build). Helpers are in tests/support/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.paths import SOURCES
from support.servers import Served


@pytest.fixture
def minato_copy(tmp_path: Path) -> Path:
    """A writable copy of sources/minato-2021 to break in a test."""
    target = tmp_path / "minato-2021"
    shutil.copytree(SOURCES / "minato-2021", target)
    return target


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Path:
    """A fresh build of every dataset into a temporary output folder."""
    from zaisei.publication.build import build
    from zaisei.publication.project import Project

    output = tmp_path_factory.mktemp("published") / "output"
    build(Project(output=output))
    return output


@pytest.fixture(scope="session")
def server(published) -> Served:
    """`zaisei serve` over the session's build, on loopback (its .url and .port)."""
    served = Served(published)
    yield served
    served.stop()
