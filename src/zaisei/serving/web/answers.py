"""/sparql answers through the answer cache (serving/answers.py): ETag, 304, hits.

Both the fast path and the view answer through respond(): the query has been
checked and its formats negotiated (the Job) before the cache or a tag is looked
at, so a refused query never gets a 304 or a cached answer.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Request

from zaisei.serving.answers import AnswerCache, Key, matches, stable
from zaisei.serving.engine import Job
from zaisei.serving.web.encoding import wants_gzip

EXTENSION = "zaisei.answers"
CORS_HEADERS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type, Accept"))


def cache(app: Flask) -> AnswerCache:
    """The cache of the app's engine's answers: an engine put in another's place starts empty."""
    engine, held = app.extensions["zaisei.sparql"], app.extensions.get(EXTENSION)
    if held is None or held[0] is not engine:
        held = app.extensions[EXTENSION] = (engine, AnswerCache(app.config["ZAISEI"]["answer_cache_mb"] * 2**20))
    return held[1]


def version(app: Flask) -> str:
    """The version of the data answers come from (the engine's, checked at start in remote mode)."""
    return app.extensions["zaisei"].version


def key(app: Flask, req: Request, job: Job, form: str | None) -> Key | None:
    """The normalised request, or None when its answer may change between runs: of the two
    negotiated formats only the one the query's form answers in counts."""
    if form is None or not stable(job.query):
        return None
    triples = form in ("CONSTRUCT", "DESCRIBE")
    return Key(version(app), job.query, None if triples else job.results_format, job.rdf_format if triples else None,
               job.default_graphs, job.named_graphs, wants_gzip(req.headers.get("Accept-Encoding")))


def respond(app: Flask, req: Request, job: Job, form: str | None, answer) -> tuple[int, bytes, list]:
    """(status, body, headers): 304 when a GET names the answer's tag, the cached answer when there
    is one, else answer(job) (body, headers), kept for the next time."""
    found = key(app, req, job, form)
    if found is None:
        return (200, *answer(job))
    answers, etag = cache(app), found.etag()
    tag = [("ETag", etag)] if req.method == "GET" else []
    if tag and matches(req.headers.get("If-None-Match"), etag):
        answers.not_modified += 1
        return 304, b"", [*not_modified_headers(), *tag]
    hit = answers.get(found)
    if hit is None:
        hit = answer(job)
        answers.put(found, *hit)
    return 200, hit[0], [*hit[1], *tag]


def not_modified_headers() -> list[tuple[str, str]]:
    """What a 304 repeats of the 200 it stands for (RFC 9110 15.4.5): Vary, and CORS so a
    browser elsewhere may read it."""
    return [("Vary", "Accept, Accept-Encoding"), *CORS_HEADERS, ("X-Content-Type-Options", "nosniff")]
