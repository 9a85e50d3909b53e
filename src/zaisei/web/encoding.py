"""gzip for compressible answers; decided before ETags are compared, so tags stay per-encoding."""

from __future__ import annotations

import gzip

from flask import request

COMPRESSIBLE = ("text/", "application/ld+json", "application/n-triples", "application/rdf+xml",
                "application/json", "application/sparql-results", "application/xml", "image/svg+xml",
                "application/trig", "application/n-quads")
MINIMUM = 1024


def will_gzip(response) -> bool:
    """True when this answer will be sent gzip-encoded."""
    return (not response.direct_passthrough and 200 <= response.status_code < 300
            and "gzip" in request.headers.get("Accept-Encoding", "").lower()
            and "Content-Encoding" not in response.headers
            and response.mimetype.startswith(COMPRESSIBLE)
            and response.content_length is not None and response.content_length >= MINIMUM)


def gzip_response(response):
    """Compress the body in place; the ETag gets a "-gzip" suffix (a different representation)."""
    if not will_gzip(response):
        return response
    response.set_data(gzip.compress(response.get_data(), compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    tag, weak = response.get_etag()
    if tag and not tag.endswith("-gzip"):
        response.set_etag(tag + "-gzip", weak=weak)
    return response
