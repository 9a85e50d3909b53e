"""The answer cache: finished /sparql answers, keyed by the publication's version and the
normalised request, bounded in bytes. No HTTP here (web/answers.py sends them).

A SPARQL answer is a function of the data and the request, so while the version
(SHA-256 of output/SHA256SUMS) is the same, the same normalised request gets the
same bytes. The request is normalised to what decides the answer: the query text,
the negotiated formats (not the raw Accept header), the protocol dataset, and
whether the client takes gzip. The entity tag is a digest of exactly that key, so
a client or CDN holding it can be told 304 before the query runs again; a new
build changes the version and with it every key and tag.

Queries whose answer may differ between runs (RAND, NOW, UUID, STRUUID, BNODE)
are neither cached nor tagged.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from zaisei.serving.safety import unescape_codepoints

_UNSTABLE = re.compile(r"\b(RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
_OVERHEAD = 256   # bytes an entry costs beyond its body and headers (key, bookkeeping), roughly


def stable(query: str) -> bool:
    """False for a query whose answer may change from one run to the next on the same data."""
    return not _UNSTABLE.search(query) and not ("\\u" in query.lower() and _UNSTABLE.search(unescape_codepoints(query)))


@dataclass(frozen=True)
class Key:
    """What decides an answer, beside the data."""

    version: str
    query: str
    results_format: str | None
    rdf_format: str | None
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    gzip: bool

    def etag(self) -> str:
        """The entity tag of the answer to this request (quoted, strong)."""
        digest = hashlib.blake2b(repr(self).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
        return f'"{self.version}-{digest}"'


SEEN = 512   # requests remembered (by hash) for the second-request rule: ~50 KB


class AnswerCache:
    """A least-recently-used map from Key to (body, headers), at most max_bytes in all.

    Thread-safe (the server answers on many threads). An answer is kept the second time
    its request is seen among the last SEEN distinct ones: a client sending a different
    query every time fills nothing (memory stays flat under such load), while any request
    asked twice is answered from here from its third time on. An answer larger than an
    eighth of the cache is not kept: one big answer must not flush every small one."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size = max_bytes, 0
        self.hits = self.misses = self.not_modified = 0
        self._entries: OrderedDict[Key, tuple[bytes, list, int]] = OrderedDict()
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> tuple[bytes, list] | None:
        if self.max_bytes <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0], entry[1]

    def put(self, key: Key, body: bytes, headers: list) -> None:
        cost = len(body) + sum(len(n) + len(v) for n, v in headers) + len(key.query) + _OVERHEAD
        if self.max_bytes <= 0 or cost > self.max_bytes // 8:
            return
        with self._lock:
            if not self._second(key):
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old[2]
            self._entries[key] = (body, headers, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self.size -= dropped

    def _second(self, key: Key) -> bool:
        """True when the request was seen before (and is forgotten now); else remember it."""
        if self._seen.pop(hash(key), False) is None:
            return True
        self._seen[hash(key)] = None
        if len(self._seen) > SEEN:
            self._seen.popitem(last=False)
        return False

    def forget(self, version: str) -> None:
        """Drop every answer of another version than this one (a new build is served)."""
        with self._lock:
            for key in [k for k in self._entries if k.version != version]:
                self.size -= self._entries.pop(key)[2]

    def status(self) -> dict:
        return {"entries": len(self._entries), "bytes": self.size, "max_bytes": self.max_bytes,
                "hits": self.hits, "misses": self.misses, "not_modified": self.not_modified}


def matches(if_none_match: str | None, etag: str) -> bool:
    """True when an If-None-Match header names this entity tag (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
