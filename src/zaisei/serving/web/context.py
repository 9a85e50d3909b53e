"""What every view reads from the app: the publication, the settings, the engine, the public URL."""

from __future__ import annotations

from flask import Flask, current_app

from zaisei.graph.iris import path


def publication():
    return current_app.extensions["zaisei"]


def engine():
    return current_app.extensions["zaisei.sparql"]


def settings() -> dict:
    return current_app.config["ZAISEI"]


def endpoint_url(app: Flask) -> str:
    """This endpoint's URL under the server's public URL (never the request's Host header)."""
    return public_url(app) + path("sparql-page")


def public_url(app: Flask) -> str:
    config = app.config["ZAISEI"]
    return (config["public_url"] or f"http://{config['host']}:{config['port']}").rstrip("/")


def absolute(app: Flask, url_path: str) -> str:
    """A URL of this server for people and programs: the public URL and a path."""
    return public_url(app) + url_path
