"""Every setting, declared once: name, default, help. The CLI and docs read this."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


SETTINGS = (
    Setting("base", "http://127.0.0.1:8080",
            "Base IRI of every minted IRI; the default is the local server's own address, "
            "so a default build dereferences against `zaisei serve`."),
    Setting("sources", "sources", "Folder holding one source folder per dataset."),
    Setting("output", "output", "Folder the build publishes to and the server reads."),
    Setting("host", "127.0.0.1", "Address the server listens on."),
    Setting("port", 8080, "Port the server listens on."),
    Setting("query_timeout", 10.0, "Seconds a SPARQL query may run before it is stopped."),
    Setting("max_results", 10000, "Most result rows the endpoint returns; more is reported, never cut silently."),
    Setting("max_query_length", 20000, "Longest SPARQL query accepted, in characters."),
    Setting("threads", 8, "Worker threads of the WSGI server."),
    Setting("sparql_workers", 0, "Query worker processes (0: between 2 and 4, by cores); a timed-out "
            "query's worker is killed and replaced, which is what really stops the work."),
    Setting("query_memory_mb", 1024, "Memory one query worker may use beyond the shared store, in MiB."),
    Setting("store", None, "Folder for persisted stores of the output (one per output version, made on "
            "first use): start-up opens one in milliseconds instead of loading the dumps into memory, "
            "and its data stays in the page cache, shared by every process. Use it above about a "
            "million triples."),
    Setting("sparql_in_memory", True, "With a store folder: the SPARQL workers answer from the persisted "
            "store at once, then from an in-memory copy loaded in the background (aggregates 6-9x "
            "faster, ~0.35 GB per million triples). Off: they stay on the persisted store."),
    Setting("sparql_endpoint", None, "Answer /sparql with this SPARQL 1.1 engine instead of the embedded store."),
)
DEFAULTS = {s.name: s.default for s in SETTINGS}


def help_for(name: str) -> str:
    """The help text of a setting, with its default, for CLI options."""
    setting = next(s for s in SETTINGS if s.name == name)
    return f"{setting.help} [default: {setting.default}]"


def project_root():
    """The folder holding sources/, mappings/, shapes/ and ontology/.

    A source checkout (editable install) is found beside the package; an installed
    package falls back to the current directory, so `zaisei build` runs from the project.
    """
    from pathlib import Path

    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "mappings").is_dir() else Path.cwd()
