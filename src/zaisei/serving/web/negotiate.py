"""Content negotiation: one function picks the format from a suffix or Accept.

Formats are data (name, media type, suffix); q-values are honoured and a
browser's `text/html,...,*/*;q=0.8` gets HTML. Malformed headers never raise.
"""

from __future__ import annotations

from zaisei.rdf.formats import FORMATS, Format, of_kind

HTML = FORMATS["html"]
# The RDF formats documents are served in, in the server's order of preference.
RDF_FORMATS = tuple(FORMATS[name] for name in ("turtle", "jsonld", "ntriples", "rdfxml"))
DOCUMENT_FORMATS = (HTML,) + RDF_FORMATS
# Media types some clients send for the same formats (application/json means JSON-LD here).
ALIASES = {alias: f.media_type for f in of_kind("graph", "page") for alias in f.aliases}


def split_suffix(path: str, formats=DOCUMENT_FORMATS) -> tuple[str, Format | None]:
    """("/doc/x.ttl") -> ("/doc/x", turtle); no known suffix -> (path, None)."""
    for fmt in formats:
        if path.endswith(fmt.suffix):
            return path[: -len(fmt.suffix)], fmt
    return path, None


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """[(media range, q, position)] from an Accept header; junk entries are skipped."""
    ranges = []
    for position, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media or " " in media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((ALIASES.get(media, media), q, position))
    return ranges


def _quality(fmt: Format, ranges) -> tuple[float, int, int]:
    best = (0.0, 0, 0)
    for media, q, position in ranges:
        main, _, sub = media.partition("/")
        if media == fmt.media_type:
            specificity = 3
        elif sub == "*" and fmt.media_type.startswith(main + "/"):
            specificity = 2
        elif media == "*/*":
            specificity = 1
        else:
            continue
        candidate = (q, specificity, -position)
        if candidate[1] > best[1] or (candidate[1] == best[1] and candidate > best):
            best = candidate
    return best


def choose(accept: str | None, formats=DOCUMENT_FORMATS) -> Format | None:
    """The best format for an Accept header; the first format if none is sent; None -> 406."""
    ranges = parse_accept(accept)
    if not accept or not accept.strip() or not ranges:
        return formats[0]
    scored = [(_quality(fmt, ranges), -index, fmt) for index, fmt in enumerate(formats)]
    scored = [s for s in scored if s[0][0] > 0]
    if not scored:
        return None
    # Highest q wins; among equals, the explicitly named type, then the server's preference.
    return max(scored, key=lambda s: (s[0][0], s[0][1], s[1]))[2]
