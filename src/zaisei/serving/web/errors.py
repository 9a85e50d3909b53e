"""Error pages: HTML for people (in the reader's language, inside the site's frame), JSON for
programs, never a stack trace."""

from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from zaisei.rdf.formats import media_type
from zaisei.serving.web.negotiate import parse_accept
from zaisei.serving.web.present import language

HTML = media_type("html")
# The status lines readers see on Japanese pages (the English ones are HTTP's own).
TITLES_JA = {
    400: "リクエストが正しくありません", 403: "禁止されています", 404: "ページが見つかりません",
    405: "この方法では使えません", 406: "その形式では提供できません", 413: "リクエストが大きすぎます",
    414: "アドレスが長すぎます", 415: "その種類の本文は受け付けません", 429: "リクエストが多すぎます",
    431: "ヘッダーが大きすぎます", 500: "サーバーの内部エラー", 501: "実装されていません",
    503: "一時的に利用できません", 504: "時間切れになりました",
}
# Messages the site writes for common cases; a message given as {"ja": ..., "en": ...} is localised.
MESSAGES = {
    404: {"ja": "このアドレスのページはありません。", "en": "There is no page at this address."},
}


def wants_html() -> bool:
    """True when the client prefers HTML over JSON (browsers, no Accept)."""
    ranges = {media: q for media, q, _ in parse_accept(request.headers.get("Accept"))}
    html = max(ranges.get(HTML, 0), ranges.get("*/*", 0) * 0.99, 0 if ranges else 1)
    data = max((q for media, q in ranges.items() if media.endswith("json")), default=0)
    return html >= data


def render_error(status: int, title: str, message: str | dict[str, str], extra: dict | None = None):
    """An error answer in the representation the client prefers; message is text (English) or
    {"ja": ..., "en": ...}."""
    if wants_html():
        lang = language()
        text = message.get(lang) or message["en"] if isinstance(message, dict) else message
        body = render_template("error.html", lang=lang, path=request.path, status=status, extra=extra or {},
                               title=TITLES_JA.get(status, title) if lang == "ja" else title, message=text)
        return body, status, {"Content-Type": f"{HTML}; charset=utf-8"}
    text = message["en"] if isinstance(message, dict) else message
    payload = {"status": status, "error": title, "message": text, **(extra or {})}
    return jsonify(payload), status


def register(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = MESSAGES.get(error.code) if error.code == 404 else None
        return render_error(error.code or 500, error.name, message or error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # pragma: no cover - last resort, logged by the server
        app.logger.exception("unexpected error")
        return render_error(500, "Internal Server Error", "The server failed; the error was logged.")
