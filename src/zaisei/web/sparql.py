"""/sparql: the SPARQL 1.1 Protocol endpoint (minimal first version)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ..query import QueryError, run
from ..store import StoreError

blueprint = Blueprint("sparql", __name__)
RESULTS = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
           "text/csv": "csv", "text/tab-separated-values": "tsv"}


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint():
    pub = current_app.extensions["zaisei"]
    query = request.values.get("query")
    if request.mimetype == "application/sparql-query":
        query = request.get_data(as_text=True)
    if not query:
        return Response("SPARQL endpoint: send ?query=", mimetype="text/plain")
    try:
        result = run(pub.store, query, pub.graphs)
        accept = request.headers.get("Accept", "")
        media = next((m for m in RESULTS if m in accept), "application/sparql-results+json")
        text = pub.store.format(result, RESULTS[media])
    except (QueryError, StoreError) as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    return Response(text, mimetype=media)
