"""What a build reads and writes (Project), how it fails (BuildError), and its small helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zaisei.settings import DEFAULTS, project_root, publication_settings

ROOT = project_root()


DATASET_FORMATS = ("turtle", "jsonld", "rdfxml")


class BuildError(Exception):
    """The build stopped; `problems` are file:line messages, output/ is untouched."""

    def __init__(self, problems: list[str], exit_code: int = 1):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.exit_code = exit_code

    def __reduce__(self):
        # Raised in a worker process, it crosses back by pickle with its fields intact.
        return BuildError, (self.problems, self.exit_code)


@dataclass
class Project:
    """Where the build reads from and writes to."""

    sources: Path = ROOT / DEFAULTS["sources"]
    output: Path = ROOT / DEFAULTS["output"]
    mappings: Path = ROOT / DEFAULTS["mappings"]
    shapes: Path = ROOT / DEFAULTS["shapes"]
    ontology: Path = ROOT / DEFAULTS["ontology"]
    codes: Path = ROOT / DEFAULTS["codes"]
    base: str | None = DEFAULTS["base"]   # None: the publication file's
    jobs: int = 0  # worker processes for the datasets; 0 = one per available core
    reuse: bool = True  # link an unchanged dataset's files from the previous output
    publication_file: Path = ROOT / DEFAULTS["publication"]
    publication: dict = field(default_factory=dict)   # the publication file, read when the project is made

    def __post_init__(self):
        self.publication = self.publication or publication_settings(self.publication_file)
        if self.base is None:
            self.base = self.publication.get("base")
        if not self.base:
            raise BuildError([f"{self.publication_file}: no base IRI (set `base`, or pass --base)"], exit_code=2)
        self.base = self.base.rstrip("/")


class _Clock:
    def __init__(self):
        self.timings: dict[str, float] = {}

    def __call__(self, stage: str, work: Callable):
        started = time.perf_counter()
        result = work()
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started
        return result


def _step(progress, key: str, message: str) -> None:
    if progress:
        progress(f"{key}: {message}")
