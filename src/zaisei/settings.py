"""Every setting, declared once: name, default, help. The CLI and docs read this."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    metavar: str | None = None   # what the value is, when its default does not say (None)
    off: str | None = None       # the option that turns an on/off setting off
    server: bool = True          # `zaisei serve` takes it (the build's settings it does not)


SETTINGS = (
    Setting("base", None, "Base IRI of every minted IRI (default: the `base` of the publication file, a "
            "persistent namespace; `zaisei serve` answers its IRIs by path on any host and port).",
            metavar="IRI", server=False),
    Setting("publication", "publication.toml", "The publication file: the publisher, the licence and its "
            "reason, the base IRI (separate from each dataset's description).", server=False),
    Setting("sources", "sources", "Folder holding one source folder per dataset.", server=False),
    Setting("mappings", "mappings", "Folder of the SPARQL CONSTRUCT mappings (*.rq).", server=False),
    Setting("shapes", "shapes", "Folder of the SHACL shapes (*.ttl).", server=False),
    Setting("ontology", "ontology/zaisei.ttl", "The ontology (Turtle).", server=False),
    Setting("codes", "ontology/codes", "Folder of the national code lists (schemes.toml and one CSV per SKOS "
            "scheme), shared by every dataset.", server=False),
    Setting("output", "output", "Folder the build publishes to and the server reads."),
    Setting("host", "127.0.0.1", "Address the server listens on."),
    Setting("port", 8080, "Port the server listens on."),
    Setting("public_url", None, "The URL people and programs reach this server by (behind a proxy: the "
            "proxy's); every absolute URL the server writes starts with it, never with a request's Host "
            "header. Default: http://HOST:PORT.", metavar="URL"),
    Setting("catalog_page", 100, "Datasets per page of the RDF catalog at /catalog; a bigger catalog is paged "
            "with Hydra's PartialCollectionView (?page=2, ...), as CKAN's DCAT harvester reads it."),
    Setting("query_timeout", 10.0, "Seconds a SPARQL query may run before it is stopped."),
    Setting("max_results", 10000, "Most result rows the endpoint returns; more is reported, never cut silently."),
    Setting("max_query_length", 20000, "Longest SPARQL query accepted, in characters."),
    Setting("max_answer_mb", 32, "Largest SPARQL answer, in MiB (before compression); a larger one is "
            "refused with a message naming the limit, never cut."),
    Setting("threads", 8, "Threads that answer requests (SPARQL queries get `sparql_queue` more of their own)."),
    Setting("client_queries", 0, "SPARQL queries one client may have running at once (0: half the query "
            "workers, at least 1); its others wait their turn, and the wait counts against the timeout."),
    Setting("sparql_queue", 128, "SPARQL queries that may be running or waiting at once (one client at most "
            "half of them); past it 503 (429 past a client's half). Each holds a thread of its own, beside "
            "the `threads` that serve everything else."),
    Setting("answer_cache_mb", 0, "Memory for finished SPARQL answers, in MiB (0: none), kept per server "
            "process by the publication's version and the normalised request, from the second time a request "
            "is seen. GET answers carry an ETag whatever this is, and a matching If-None-Match gets 304 "
            "without running the query again. Off by default: it holds memory (docs/deploy.md)."),
    Setting("trusted_proxies", None, "Comma-separated addresses of reverse proxies whose X-Forwarded-For "
            "names the client (for the per-client limit); no other peer's header is believed.",
            metavar="ADDRESSES"),
    Setting("header_timeout", 10.0, "Seconds a client may take to send a request's headers, counted from "
            "its first byte; a connection that sends nothing is closed after as long."),
    Setting("send_timeout", 30.0, "Seconds an answer may wait for a client that reads nothing before the "
            "connection is dropped (slow readers)."),
    Setting("max_connections", 1000, "Open client connections at most; past it the longest-idle ones "
            "are closed."),
    Setting("sparql_workers", 0, "Query worker processes (0: between 2 and 4, by cores); a timed-out "
            "query's worker is killed and replaced, which is what really stops the work."),
    Setting("front_processes", 1, "Server processes answering HTTP on the one port (the kernel hands each "
            "connection to one): each answers small queries and pages on a core of its own, with its own query "
            "workers (`sparql_workers` and `sparql_queue` are shared out among them) and its own answer cache."),
    Setting("query_memory_mb", 1024, "Memory one query worker may use beyond the shared store, in MiB."),
    Setting("store", None, "Folder for persisted stores of the output (one per output version, made on "
            "first use): start-up opens one in milliseconds instead of loading the dumps into memory, "
            "and its data stays in the page cache, shared by every process. Use it above about a "
            "million triples.", metavar="FOLDER"),
    Setting("sparql_in_memory", True, "With a store folder: the SPARQL workers answer from the persisted "
            "store at once, then from an in-memory copy loaded in the background (aggregates 6-9x "
            "faster, ~0.35 GB per million triples). Off: they stay on the persisted store.",
            off="--sparql-on-disk"),
    Setting("sparql_endpoint", None, "Answer /sparql with this SPARQL 1.1 engine over HTTP instead of the "
            "embedded store (same checks, same limits). Pages, downloads and the catalog still read the local "
            "output, which must be the version the engine holds: `zaisei publish --graph-store` names it there, "
            "and the server refuses to start on any other (docs/deploy.md).", metavar="URL"),
)
DEFAULTS = {s.name: s.default for s in SETTINGS}
SETTING = {s.name: s for s in SETTINGS}


def help_for(name: str) -> str:
    """The help text of a setting, with its default, for CLI options."""
    setting = SETTING[name]
    return f"{setting.help} [default: {setting.default}]"


def option(name: str) -> str:
    """The command-line option of a setting: query_timeout -> --query-timeout."""
    setting = SETTING[name]
    flag = "--" + name.replace("_", "-")
    return f"{flag}/{setting.off}" if setting.off else flag


def markdown() -> str:
    """The settings table of docs/settings.md, generated from SETTINGS."""
    rows = ["| setting | option | default | what it does |", "|---|---|---|---|"]
    for setting in SETTINGS:
        text = setting.help.replace("|", r"\|")
        rows.append(f"| `{setting.name}` | `{option(setting.name)}` | `{setting.default}` | {text} |")
    return "\n".join(rows) + "\n"


def publication_settings(path=None) -> dict:
    """The publication file (publication.toml), read once per call; {} when there is none."""
    import tomllib
    from pathlib import Path

    path = Path(path) if path else project_root() / DEFAULTS["publication"]
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def project_root():
    """The folder holding sources/, mappings/, shapes/ and ontology/.

    A source checkout (editable install) is found beside the package; an installed
    package falls back to the current directory, so `zaisei build` runs from the project.
    """
    from pathlib import Path

    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "mappings").is_dir() else Path.cwd()


def document() -> str:
    """docs/settings.md, whole."""
    return ("# Settings\n\nEvery setting, as declared in `src/zaisei/settings.py` (generated: "
            "`python3 -m zaisei.settings docs/settings.md`). Each is a keyword of "
            "`zaisei.serving.web.create_app(output, **settings)`; the commands take those that apply to them "
            "as options (`zaisei COMMAND --help`).\n\n" + markdown())


if __name__ == "__main__":  # python3 -m zaisei.settings docs/settings.md: regenerate it
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_text(document(), encoding="utf-8")
