"""The national code lists a dataset's categories are linked to, by key.

A table's ``national`` column names a key of the scheme its kind implies
(accounts -> account-kind, revenue -> revenue, expenditure -> expenditure) and
its ``match`` column how closely the city's category matches it (a SKOS
mapping property). The keys are those of the shared SKOS schemes (one concept
per key under the code namespace): read from ontology/codes/, the tables the
build publishes them from, so a key is valid exactly when the published list has it.
"""

from __future__ import annotations

import difflib
import functools

from zaisei.settings import DEFAULTS, project_root
from zaisei.sources import codelists
from zaisei.sources.codelists import MATCHES

@functools.lru_cache(maxsize=1)
def schemes() -> dict[str, dict[str, str]]:
    """{scheme: {key: Japanese name}} of the project's national code lists (ontology/codes/)."""
    found = codelists.read(project_root() / DEFAULTS["codes"])
    return {name: {key: concept.label_ja for key, concept in scheme.concepts.items()} for name, scheme in found.items()}


def link_problem(scheme: str, national: str, match: str) -> str | None:
    """Why a (national, match) pair is wrong for the scheme, or None if it is right."""
    national, match = national.strip(), match.strip()
    if not national:
        return f"match {match!r} given without a national key" if match else None
    keys = schemes()[scheme]
    if national not in keys:
        near = difflib.get_close_matches(national, keys, n=1)
        hint = f"; did you mean {near[0]!r} ({keys[near[0]]})?" if near else ""
        return f"{national!r} is not a key of the national code list {scheme!r}{hint}"
    if match not in MATCHES:
        return f"national {national!r} needs a match, one of {', '.join(MATCHES)} (found {match!r})"
    return None
