"""Persisted stores of a publication: made once per output version, opened read-only.

Loading the dumps into memory costs seconds per million triples at every start
(3.4 s at 1M, measured); opening a persisted pyoxigraph store costs ~0.02 s at
any size, and its data stays in the OS page cache, shared by every process that
opens it. A snapshot is named by the output's version (a hash of SHA256SUMS),
so a server never opens a store that does not match the files it has verified.
It is filled under a temporary name and renamed into place, so a crash or a
concurrent start never leaves a half-filled store where a server looks.

Snapshots live outside output/: output/ is committed and byte-reproducible, and
a store's files are neither.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from zaisei.rdf.store import GraphStore, StoreError

KEEP = 2                   # snapshots kept per folder: the current one and the one before it
STALE_STAGING = 24 * 3600  # seconds after which an unfinished snapshot is a crashed one


class SnapshotError(Exception):
    """The snapshot folder cannot be written or read; the message names it."""


def path_for(folder: Path, version: str) -> Path:
    """Where the snapshot of one output version lives."""
    return Path(folder) / version


def open_snapshot(folder: Path, version: str, fill: Callable[[GraphStore], None]) -> GraphStore:
    """The snapshot of `version` opened read-only, made first with fill(store) if missing."""
    target = path_for(folder, version)
    try:
        if not target.is_dir():
            make(folder, version, fill)
        os.utime(target)   # most recently used: the last to be pruned
        return GraphStore(target, read_only=True)
    except (OSError, StoreError) as exc:
        raise SnapshotError(f"{target}: cannot open the persisted store ({exc})") from exc


def make(folder: Path, version: str, fill: Callable[[GraphStore], None]) -> Path:
    """Fill a new store in a staging folder, then rename it to the version's name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=folder))
    try:
        _fill(staging, fill)
        try:
            os.rename(staging, path_for(folder, version))
        except OSError:
            if not path_for(folder, version).is_dir():
                raise
            # another process made the same snapshot first: same version, same content
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    prune(folder, version)
    return path_for(folder, version)


def _fill(staging: Path, fill: Callable[[GraphStore], None]) -> None:
    store = GraphStore(staging)
    fill(store)
    store.flush()
    del store   # pyoxigraph closes the store when the object goes: before the rename


def prune(folder: Path, current: str) -> list[Path]:
    """Remove all but the KEEP most recently used snapshots (never `current`), and
    staging folders a crash left behind; the removed folders."""
    entries = sorted((p for p in Path(folder).iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    finished = [p for p in entries if not p.name.startswith(".")]
    kept = {path_for(folder, current)} | set(finished[:KEEP])
    crashed = [p for p in entries if p.name.startswith(".") and time.time() - p.stat().st_mtime > STALE_STAGING]
    removed = [p for p in finished if p not in kept] + crashed
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
