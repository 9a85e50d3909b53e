"""Error pages: HTML for people, JSON for programs, never a stack trace."""

from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from zaisei.rdf.formats import media_type
from zaisei.serving.web.negotiate import parse_accept

HTML = media_type("html")


def wants_html() -> bool:
    """True when the client prefers HTML over JSON (browsers, no Accept)."""
    ranges = {media: q for media, q, _ in parse_accept(request.headers.get("Accept"))}
    html = max(ranges.get(HTML, 0), ranges.get("*/*", 0) * 0.99, 0 if ranges else 1)
    data = max((q for media, q in ranges.items() if media.endswith("json")), default=0)
    return html >= data


def render_error(status: int, title: str, message: str, extra: dict | None = None):
    """An error answer in the representation the client prefers."""
    if wants_html():
        body = render_template("error.html", status=status, title=title, message=message, extra=extra or {})
        return body, status, {"Content-Type": f"{HTML}; charset=utf-8"}
    payload = {"status": status, "error": title, "message": message, **(extra or {})}
    return jsonify(payload), status


def register(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = render_error(error.code or 500, error.name, error.description or "")
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # pragma: no cover - last resort, logged by the server
        app.logger.exception("unexpected error")
        return render_error(500, "Internal Server Error", "The server failed; the error was logged.")
