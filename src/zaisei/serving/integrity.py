"""Is output/ still what the build wrote? Files checked against SHA256SUMS while serving.

Start-up verifies the files the store is loaded from (publication.py); the
other files are hashed once in the background and again whenever their size,
mtime or inode changes, so /healthz can say "damaged" within one probe of a file
being changed, and a download that no longer matches its published checksum is
refused instead of sent. A file is hashed only when its stat changes: a probe
costs a stat() per file.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from zaisei.publication.manifest import MANIFEST, SUMS, parse_sums  # noqa: F401 - parse_sums: serving's too

def file_digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class Integrity:
    """The published files against their checksums, remembered by stat."""

    def __init__(self, output: Path, sums: dict[str, str], sums_digest: str | None):
        self.output, self.sums, self.sums_digest = output, sums, sums_digest
        self._checked: dict[str, tuple[tuple, str | None]] = {}   # name -> (stat key, problem)
        self._lock = threading.Lock()

    def problem(self, name: str) -> str | None:
        """Why the file `name` (relative to output/) is not what the build wrote, or None.

        Files SHA256SUMS does not list are only checked to exist."""
        path = self.output / name
        try:
            status = path.stat()
        except OSError:
            return f"{path}: missing; run `zaisei build` or restore the file"
        if name not in self.sums:
            return None
        key = (status.st_size, status.st_mtime_ns, status.st_ino)
        with self._lock:
            known = self._checked.get(name)
        if known and known[0] == key:
            return known[1]
        problem = self._hash_problem(path, name)
        with self._lock:
            self._checked[name] = (key, problem)
        return problem

    def _hash_problem(self, path: Path, name: str) -> str | None:
        try:
            digest = file_digest(path)
        except OSError as exc:
            return f"{path}: unreadable ({exc})"
        if digest != self.sums[name]:
            return f"{path}: corrupt (its SHA-256 is not the one in {SUMS}; rebuild or restore the file)"
        return None

    def problems(self) -> list[str]:
        """Every problem with output/ now: the manifest, the sums file, every listed file."""
        found = [self.problem(MANIFEST)] + [self._sums_problem()]
        found += [self.problem(name) for name in sorted(self.sums) if name != MANIFEST]
        return [problem for problem in found if problem]

    def _sums_problem(self) -> str | None:
        if self.sums_digest is None:
            return None
        path = self.output / SUMS
        try:
            digest = file_digest(path)
        except OSError:
            return f"{path}: missing; run `zaisei build` or restore the file"
        return None if digest == self.sums_digest else f"{path}: changed since the server started; restart it"

    def verify_in_background(self) -> threading.Thread:
        """Hash every listed file once, off the request path (the first /healthz is then cheap)."""
        thread = threading.Thread(target=self.problems, name="zaisei-integrity", daemon=True)
        thread.start()
        return thread
