"""CKAN's read-only Action API (/api/3/action/...), answered from the DCAT catalog (serving/ckan.py).

Actions take their parameters from the query string (GET) or a JSON body (POST, as the ckanapi
client sends them); answers are CKAN's envelope: {"help", "success", "result"} or, on failure,
{"success": false, "error": {"__type", "message"}} with CKAN's status codes.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from zaisei import __version__
from zaisei.serving import ckan
from zaisei.serving.web.context import absolute, publication

blueprint = Blueprint("ckan", __name__)
MAX_ROWS = 1000


class BadRequest(Exception):
    pass


def _parameters() -> dict:
    if request.method == "POST" and request.content_length:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object of the action's parameters")
        return body
    return request.args.to_dict()


def _ok(action: str, result):
    return jsonify({"help": absolute(current_app, f"/api/3/action/help_show?name={action}"), "success": True,
                    "result": result})


def _error(status: int, kind: str, message: str):
    response = jsonify({"help": absolute(current_app, "/api/3/action/help_show"), "success": False,
                        "error": {"__type": kind, "message": message}})
    response.status_code = status
    return response


def _integer(parameters: dict, name: str, default: int, largest: int | None = None) -> int:
    value = parameters.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name}={value!r} is not a whole number") from None
    if number < 0:
        raise BadRequest(f"{name} may not be negative")
    return min(number, largest) if largest else number


ACTIONS = {}


def action(name: str):
    def register(function):
        ACTIONS[name] = function
        return function
    return register


@action("package_list")
def package_list(parameters: dict):
    names = list(ckan.packages(publication()))
    start = _integer(parameters, "offset", 0)
    limit = _integer(parameters, "limit", len(names))
    return names[start:start + limit]


@action("package_show")
def package_show(parameters: dict):
    if not parameters.get("id"):
        raise BadRequest("package_show needs id (a name from package_list)")
    return ckan.package(publication(), str(parameters["id"]))


@action("package_search")
def package_search(parameters: dict):
    query = ckan.Query(str(parameters.get("q", "")), str(parameters.get("fq", "")),
                       _integer(parameters, "rows", 10, MAX_ROWS), _integer(parameters, "start", 0))
    return ckan.search(publication(), query)


@action("organization_list")
def organization_list(parameters: dict):
    found = ckan.organizations(publication())
    return list(found.values()) if str(parameters.get("all_fields", "")).lower() in ("true", "1") else list(found)


@action("status_show")
def status_show(parameters: dict):
    return {"site_title": "zaisei", "site_url": absolute(current_app, "/"), "site_description":
            "Japanese municipal budgets as Linked Open Data", "api_version": ckan.API_VERSION,
            "ckan_version": "2.10.0", "zaisei_version": __version__, "locale_default": "ja", "extensions": []}


@blueprint.route("/api/3/action/<name>", methods=["GET", "POST"])
@blueprint.route("/api/action/<name>", methods=["GET", "POST"])
def dispatch(name: str):
    if name not in ACTIONS:
        return _error(400, "Bad request", f"Action name not known: {name} (this API answers "
                      f"{', '.join(sorted(ACTIONS))}; it is read-only)")
    try:
        return _ok(name, ACTIONS[name](_parameters()))
    except BadRequest as exc:
        return _error(409, "Validation Error", str(exc))
    except ValueError as exc:
        return _error(409, "Validation Error", str(exc))
    except ckan.NotFound as exc:
        return _error(404, "Not Found Error", str(exc))
