"""Who is asking: the client a request counts against (per-client SPARQL limits).

A client is the peer's address; behind a reverse proxy every request comes from
the proxy, so when the peer is one of the configured trusted proxies, the client
is the rightmost address in X-Forwarded-For that is not itself a trusted proxy
(the leftmost entries are the client's own claims and may be forged).
"""

from __future__ import annotations


def trusted_proxies(setting: str | None) -> frozenset[str]:
    """The trusted_proxies setting (comma-separated addresses) as a set."""
    return frozenset(part.strip() for part in (setting or "").split(",") if part.strip())


def client_of(environ: dict, trusted: frozenset[str]) -> str:
    """The address a request counts against."""
    peer = environ.get("REMOTE_ADDR") or "unknown"
    if peer not in trusted:
        return peer
    forwarded = [part.strip() for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if address not in trusted:
            return address
    return peer
