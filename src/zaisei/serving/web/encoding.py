"""gzip for compressible answers; decided before ETags are compared, so tags stay per-encoding."""

from __future__ import annotations

import gzip

from flask import request

from zaisei.rdf.formats import compressible

MINIMUM = 1024
# Larger answers are sent as they are: compressing 200 MiB costs seconds of this process's CPU,
# outside any time limit (SPARQL answers are compressed by their worker, inside it).
MAXIMUM = 8 * 2**20


def wants_gzip(accept_encoding: str | None) -> bool:
    """True when an Accept-Encoding header value asks for gzip (read loosely, as always here)."""
    return "gzip" in (accept_encoding or "").lower()


def compress(body: bytes) -> bytes:
    """The gzip encoding of an answer: level 6, no timestamp, so equal bodies give equal bytes."""
    return gzip.compress(body, compresslevel=6, mtime=0)


def will_gzip(response) -> bool:
    """True when this answer will be sent gzip-encoded."""
    return (not response.direct_passthrough and 200 <= response.status_code < 300
            and wants_gzip(request.headers.get("Accept-Encoding"))
            and "Content-Encoding" not in response.headers
            and compressible(response.mimetype)
            and response.content_length is not None and MINIMUM <= response.content_length <= MAXIMUM)


def gzip_response(response):
    """Compress the body in place; the ETag gets a "-gzip" suffix (a different representation)."""
    if not will_gzip(response):
        return response
    response.set_data(compress(response.get_data()))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    tag, weak = response.get_etag()
    if tag and not tag.endswith("-gzip"):
        response.set_etag(tag + "-gzip", weak=weak)
    return response
