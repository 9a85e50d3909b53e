"""The SPARQL engine as an app resource with a lifecycle (as the Flask tutorial's init_app):
created with the app, closed when the app is closed (close_app) or the process exits."""

from __future__ import annotations

import atexit
import os

from flask import Flask

from zaisei.serving.engine import LocalEngine, RemoteEngine
from zaisei.serving.web.clients import trusted_proxies


def init_app(app: Flask) -> None:
    """One engine per app: a pool of workers over output/, or a remote engine if configured."""
    config, publication = app.config["ZAISEI"], app.extensions["zaisei"]
    workers = config["sparql_workers"] or min(4, max(2, os.cpu_count() or 2))
    limits = {"per_client": config["client_queries"] or max(1, workers // 2), "queue_size": config["sparql_queue"]}
    if config["sparql_endpoint"]:
        engine = RemoteEngine(config["sparql_endpoint"], publication.graphs, timeout=config["query_timeout"],
                              slots=workers, **limits)
        engine.check_version(publication)   # the pages read the output: it must be what the engine holds
    else:
        engine = LocalEngine(publication.output, size=workers, timeout=config["query_timeout"],
                             memory_mb=config["query_memory_mb"], snapshot=publication.snapshot,
                             in_memory=config["sparql_in_memory"], store=publication.store, **limits)
    app.extensions["zaisei.sparql"] = engine
    app.extensions["zaisei.proxies"] = trusted_proxies(config["trusted_proxies"])
    atexit.register(engine.close)


def close_app(app: Flask) -> None:
    """Stop the app's engine (its workers and zygote)."""
    app.extensions["zaisei.sparql"].close()
