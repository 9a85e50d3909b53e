"""Who may have a query in the engine at once, and who gets the next free worker.

Without limits one client could hold every worker (everyone else waits out the
timeout) or every thread (pages wait too). Two limits:
- the fair queue runs at most `cap` queries of one client at a time and hands a
  freed worker to the waiting client with the fewest queries running (then the
  one waiting longest), so one client can never take every worker;
- admission bounds the queries waiting or running, per client and in all; past
  it a query is refused at once (429 for the client over its share, 503 when the
  queue is full). Each admitted query holds a server thread while it waits; the
  server runs that many threads beside those for pages (server.py), so pages and
  downloads never wait behind SPARQL.

A client is an address: the peer's, or, behind a trusted proxy, the one the
proxy names in X-Forwarded-For (web/clients.py).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count

from zaisei.serving.engine.jobs import Overloaded, TooManyQueries


class Admission:
    """At most per_client queries running or waiting for each client, at most total in all."""

    def __init__(self, per_client: int, total: int):
        self.per_client, self.total = max(1, per_client), max(1, total)
        self._lock = threading.Lock()
        self._clients: Counter[str] = Counter()
        self._admitted = 0

    @contextmanager
    def admit(self, client: str):
        """Hold a place for one query of client; TooManyQueries (429) or Overloaded (503) if full."""
        with self._lock:
            if self._clients[client] >= self.per_client:
                raise TooManyQueries(f"this client already has {self._clients[client]} queries running or waiting, "
                                     f"the most one client may have; wait for an answer first", status=429)
            if self._admitted >= self.total:
                raise Overloaded(f"the endpoint has {self._admitted} queries running or waiting, its limit; "
                                 f"try again shortly", status=503)
            self._clients[client] += 1
            self._admitted += 1
        try:
            yield
        finally:
            with self._lock:
                self._admitted -= 1
                self._clients[client] -= 1
                if not self._clients[client]:
                    del self._clients[client]

    def load(self) -> dict:
        with self._lock:
            return {"admitted": self._admitted, "clients": len(self._clients), "queue": self.total,
                    "queue_per_client": self.per_client}


@dataclass(eq=False)
class _Waiter:
    client: str
    number: int
    item: object = None
    served: bool = False


@dataclass
class FairQueue:
    """Idle items (workers) handed to waiters: never more than `cap` to one client at once; the
    client with the fewest items in use first, then the longest waiting."""

    cap: int = 1
    _condition: threading.Condition = field(default_factory=threading.Condition)
    _idle: list = field(default_factory=list)
    _waiting: list = field(default_factory=list)
    _in_use: Counter = field(default_factory=Counter)
    _numbers: count = field(default_factory=count)

    def get(self, client: str, deadline: float, usable=lambda item: True, abort=lambda: False):
        """An idle item for client, waiting until the deadline (TimeoutError past it, or as
        soon as abort() is true). Items for which usable() is False are dropped on the way."""
        with self._condition:
            waiter = _Waiter(client, next(self._numbers))
            self._waiting.append(waiter)
            self._dispatch()
            while True:
                if waiter.served:
                    if usable(waiter.item):
                        return waiter.item
                    self._drop_use(client)
                    waiter.served, waiter.item = False, None
                    self._waiting.append(waiter)
                    self._dispatch()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or abort():
                    self._waiting.remove(waiter)
                    raise TimeoutError
                self._condition.wait(remaining)

    def put(self, item) -> None:
        """An item becomes idle (a new worker, or one whose job is done)."""
        with self._condition:
            self._idle.append(item)
            self._dispatch()

    def done(self, client: str) -> None:
        """client stops using an item (put() it back, or drop it)."""
        with self._condition:
            self._drop_use(client)
            self._dispatch()   # a waiter of this client may now be eligible

    def _drop_use(self, client: str) -> None:
        self._in_use[client] -= 1
        if self._in_use[client] <= 0:
            del self._in_use[client]

    def drain(self) -> list:
        """Take every idle item out (to replace them)."""
        with self._condition:
            items, self._idle = self._idle, []
            return items

    def remove(self, item) -> bool:
        """Take one idle item out; False if it is not idle (in use: its user will notice)."""
        with self._condition:
            if item in self._idle:
                self._idle.remove(item)
                return True
            return False

    def _dispatch(self) -> None:
        while self._idle:
            eligible = [w for w in self._waiting if self._in_use[w.client] < self.cap]
            if not eligible:
                break
            waiter = min(eligible, key=lambda w: (self._in_use[w.client], w.number))
            self._waiting.remove(waiter)
            waiter.item, waiter.served = self._idle.pop(), True
            self._in_use[waiter.client] += 1
        self._condition.notify_all()

    def in_use(self, client: str) -> int:
        with self._condition:
            return self._in_use[client]

    def wake(self) -> None:
        """Wake every waiter (to look at abort())."""
        with self._condition:
            self._condition.notify_all()

    def waiting(self) -> int:
        with self._condition:
            return len(self._waiting)
