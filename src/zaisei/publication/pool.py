"""The datasets' work in parallel: a pool of spawned worker processes that die with the build."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from zaisei.publication.dataset import Outcome, Task, dataset_task
from zaisei.publication.project import BuildError, Project

def _orphan_guard() -> None:
    """Worker initializer: die with the build (Linux), so a killed build leaves no workers behind."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def jobs(project: Project, tasks: int) -> int:
    """Worker processes to use: as asked, else one per core we may run on; never more than tasks."""
    cores = project.jobs or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    return max(1, min(cores or 1, tasks))


def _attempt(call, *args):
    try:
        return call(*args)
    except BuildError as exc:
        return exc


def run_tasks(tasks: list[Task], workers: int) -> Iterator[Outcome]:
    """Outcomes in task order; every dataset's problems are gathered before raising."""
    problems, exit_code, pool = [], 1, None
    if workers == 1:
        outcomes = (_attempt(dataset_task, task) for task in tasks)
    else:
        # spawn, not fork: the caller may be threaded (a server, a test runner),
        # and fork() there can deadlock the child.
        pool = ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), initializer=_orphan_guard)
        futures = [pool.submit(dataset_task, task) for task in tasks]
        outcomes = (_attempt(future.result) for future in futures)
    try:
        for outcome in outcomes:
            if isinstance(outcome, BuildError):
                problems += outcome.problems
                exit_code = max(exit_code, outcome.exit_code)
            elif not problems:
                yield outcome
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if problems:
        raise BuildError(problems, exit_code)
