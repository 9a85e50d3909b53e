"""DCAT catalog and VoID description of the publication (placeholder: being written)."""

from __future__ import annotations


def write(results, folders, target, project) -> None:
    """Write catalog.ttl, catalog.jsonld and void.ttl into target."""
