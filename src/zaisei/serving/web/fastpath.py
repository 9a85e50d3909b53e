"""The fast path: plain /sparql requests answered in front of Flask, with the view's functions.

A plain request is GET /sparql?query=... (that one parameter) or a POST of an
application/sparql-query body, with no "html" in the Accept header. For such a
request Flask's per-request machinery cost more than our own checks, so this
WSGI middleware runs the view's protocol checks and the engine itself and writes
the 200 answer with the headers the view and the hooks would give; anything else,
and every error, is Flask's (tests/test_sparql_fastpath.py compares the two paths).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Request

from zaisei.serving.query import QueryError
from zaisei.serving.web.views.sparql import error_response, operation, respond

STATUS = {200: "200 OK", 304: "304 Not Modified"}


class FastPath:
    """WSGI middleware answering the plainest /sparql requests without Flask's request machinery.

    For a small query Flask's share (request context, URL matching, Response object, hooks)
    outweighed our own checks: measured ~300 us of ~400 us per request outside the engine.
    Plain means GET /sparql?query=... (that one parameter) or POST /sparql with an
    application/sparql-query body, and no "html" in the Accept header (so _prefers_page() is
    False: no query page). Such a request goes through the view's own functions (_operation,
    _job: checks, negotiation); only the 200 answer is written here, with the headers the view
    and the hooks (_cors, web._finish, gzip) give it. Anything else, and any error, is Flask's:
    an error met here is rendered by Flask as if the view had met it (HTML error pages
    included); tests/test_sparql_fastpath.py compares the two paths.
    """

    def __init__(self, app: Flask, flask_wsgi):
        self.app, self.flask_wsgi = app, flask_wsgi
        config = app.config["ZAISEI"]
        self.max_query_length, self.max_results = config["max_query_length"], config["max_results"]
        self.max_body = app.config["MAX_CONTENT_LENGTH"]

    def __call__(self, environ, start_response):
        if not self._plain(environ):
            return self.flask_wsgi(environ, start_response)
        req = Request(environ)   # werkzeug's parsing, as under Flask (its Request subclasses this one)
        try:
            query, params = operation(req, self.max_query_length)
            if query is None:   # no query (not plain after all; a GET, so no body was read): the view's
                return self.flask_wsgi(environ, start_response)
            status, body, headers = respond(self.app, req, query, params)
        except Exception as exc:  # noqa: BLE001 - Flask answers it, as it would have from the view
            return self._through_flask(environ, start_response, exc)
        start_response(STATUS[status], headers)
        return [body]

    def _plain(self, environ) -> bool:
        """True for a request this path answers exactly as the view would (see the class)."""
        if environ.get("PATH_INFO") != "/sparql" or "html" in environ.get("HTTP_ACCEPT", ""):
            return False
        length = environ.get("CONTENT_LENGTH") or "0"
        # _refuse_large_bodies (before_request) is Flask's, as is any body of unknown length.
        if "HTTP_TRANSFER_ENCODING" in environ or not length.isdigit() or int(length) > self.max_body:
            return False
        method, parameters = environ.get("REQUEST_METHOD"), environ.get("QUERY_STRING", "")
        if method == "GET":
            return parameters.startswith("query=") and "&" not in parameters
        return (method == "POST" and not parameters
                and environ.get("CONTENT_TYPE", "").startswith("application/sparql-query"))

    def _through_flask(self, environ, start_response, exc: Exception):
        """What Flask answers when the view meets exc: error_response() for a QueryError, the app's
        error handlers for anything else; then the after_request hooks."""
        app = self.app
        with app.request_context(environ):
            try:
                if not isinstance(exc, QueryError):
                    raise exc
                result = error_response(exc.status, str(exc))
            except Exception as error:  # noqa: BLE001 - as Flask's full_dispatch_request does
                result = app.handle_user_exception(error)
            return app.finalize_request(result)(environ, start_response)
