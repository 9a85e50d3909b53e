"""SHACL validation of a built graph: with validate_sparql.py, the only modules that import pyshacl.

``validate(graph)`` (the build: ``validate_triples(triples)``) checks a graph
against every shape in ``shapes/`` with the ontology as pyshacl's ontology
graph, SHACL-SPARQL enabled and no inference:
RDFS inference would add types from rdfs:domain/range (anything with zs:line
would become a zs:SourceQuote) and so hide the missing types the shapes exist
to catch. The ontology still contributes its rdfs:subClassOf links, so
sh:targetClass qb:Observation reaches zs:AccountFigure.

pyshacl runs twice over the same shapes graph: SHACL Core shapes over the
rdflib graph, SHACL-SPARQL shapes over pyshacl's Oxigraph backend. rdflib
re-parses a constraint's query for every focus node (~12 ms each, over a minute
for Minato); Oxigraph answers the same query in a fraction of a millisecond,
while it is the slower backend for Core. validate_sparql.py answers most
constraints with one query instead of one per focus node. docs/shapes.md has
the figures.

A report conforms when it has no sh:Violation; warnings and infos are kept.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyshacl
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from zaisei.rdf.formats import of_kind, rdf_file
from zaisei.rdf.namespaces import ALL, PREFIXES, VOCAB, select
from zaisei.settings import DEFAULTS, project_root
from zaisei.validation.constraints import oxigraph_data

ROOT = project_root()
SHAPES = ROOT / DEFAULTS["shapes"]
ONTOLOGY = ROOT / DEFAULTS["ontology"]

SH = Namespace(PREFIXES["sh"])
ZS = Namespace(VOCAB)
# Where a report is minted when the caller names no dataset and the data has no single budget.
FALLBACK_BASE = "urn:zaisei:data"
SEVERITIES = ("Violation", "Warning", "Info")
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)

# Prefixes for readable text reports; data IRIs stay whole.
REPORT_PREFIXES = select("zs", "zsh", "qb", "obeu-dimension", "obeu-attribute", "obeu-measure", "sdmx-attribute", "skos",
                         "schema", "oa", "dcterms",
                         "dcat", "time", "rdf", "rdfs", "xsd", "sh")


class GraphLoadError(Exception):
    """An RDF file that could not be read; the message names the file."""


@dataclass(frozen=True)
class ValidationResult:
    """One sh:ValidationResult, flattened. Terms are rdflib terms; path is a SPARQL path string."""

    severity: str
    focus: Node
    path: str | None
    value: Node | None
    messages: dict[str, str]
    source_shape: str
    component: str

    def message(self, lang: str = "en") -> str:
        """The message in lang, else any message there is."""
        return self.messages.get(lang) or next(iter(self.messages.values()), "")

    def __str__(self) -> str:
        return f"{self.severity}: <{self.focus}> {_short(self.source_shape)}: {self.message('en')}"

    @property
    def key(self) -> tuple:
        """A stable sort key."""
        return (SEVERITIES.index(self.severity), str(self.focus), self.source_shape, self.path or "",
                _nt(self.value), self.component, sorted(self.messages.items()))


@dataclass
class ValidationReport:
    """What validation found. ``conforms`` is True when there is no sh:Violation.

    ``base`` is the IRI the machine-readable report is minted under (graph()).
    """

    results: list[ValidationResult]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    base: str = FALLBACK_BASE
    _reports: list[Graph] = field(default_factory=list, repr=False)

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def infos(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Info"]

    def by_focus(self) -> dict[str, list[ValidationResult]]:
        """Results grouped by focus node (the figure or thing), worst first."""
        groups: dict[str, list[ValidationResult]] = defaultdict(list)
        for result in sorted(self.results, key=lambda r: r.key):
            groups[str(result.focus)].append(result)
        worst = {focus: min(SEVERITIES.index(r.severity) for r in rs) for focus, rs in groups.items()}
        return {focus: groups[focus] for focus in sorted(groups, key=lambda f: (worst[f], f))}

    def summary(self) -> str:
        """One line: conforms or not, and how many of each severity."""
        verdict = "conforms" if self.conforms else "does not conform"
        return (f"{verdict}: {len(self.violations)} violation(s), {len(self.warnings)} warning(s), "
                f"{len(self.infos)} info(s)")

    def text(self, lang: str = "en") -> str:
        """A readable report grouped by figure: each result's rule, message, and the value found."""
        lines = [self.summary()]
        for focus, results in self.by_focus().items():
            label = self.labels.get(focus, {})
            name = label.get(lang) or label.get("ja") or label.get("en")
            lines.append("")
            lines.append(f"{name} <{focus}>" if name else f"<{focus}>")
            for result in results:
                lines.append(f"  {result.severity}: {_short(result.source_shape)}"
                             + (f" [{_short(result.path)}]" if result.path else ""))
                lines.append(f"    {result.message(lang)}")
                if result.value is not None and result.value != result.focus:
                    lines.append(f"    {'記載値' if lang == 'ja' else 'found'}: {_short(_nt(result.value))}")
        return "\n".join(lines) + "\n"

    def graph(self, base: str | None = None) -> Graph:
        """The sh:ValidationReport without blank nodes.

        The report is <{base}/validation> and each result <{base}/validation/{hash}>,
        the hash taken over everything the result says (focus, path, value, shape,
        component, messages), so the same findings always give the same triples.
        """
        out = Graph()
        for prefix in ("sh", "zsh", "zs", "xsd"):
            out.bind(prefix, ALL[prefix])
        report = URIRef(f"{(base or self.base).rstrip('/')}/validation")
        out.add((report, RDF.type, SH.ValidationReport))
        out.add((report, SH.conforms, Literal(self.conforms)))
        for source in self._reports:
            for node in source.subjects(RDF.type, SH.ValidationResult):
                result = URIRef(f"{report}/{_digest(source, node)}")
                out.add((report, SH.result, result))
                _copy(source, node, result, out)
        return out

    def serialize(self, format: str = "turtle", base: str | None = None) -> bytes:
        """graph(base) serialised; N-Triples lines are sorted, so output is byte-identical across runs."""
        graph = self.graph(base)
        if format in ("nt", "ntriples"):
            lines = sorted(set(graph.serialize(format="nt", encoding="utf-8").splitlines()))
            return b"\n".join(line for line in lines if line) + b"\n"
        return graph.serialize(format=format, encoding="utf-8")


def load_graph(paths: list[Path]) -> Graph:
    """Parse RDF files (format from each suffix) into one graph; GraphLoadError names a bad file."""
    graph = Graph()
    for path in map(Path, paths):
        found = rdf_file(path.suffix)
        if found is None:
            known = sorted(s for f in of_kind("graph", "dataset") for s in (f.suffix, *f.other_suffixes))
            raise GraphLoadError(f"{path}: unknown RDF file suffix {path.suffix!r} (known: {', '.join(known)})")
        rdf_format, quads = found.rdflib, found.kind == "dataset"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise GraphLoadError(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            _parse(graph, data, rdf_format, path.resolve().as_uri(), quads)
        except Exception as exc:  # rdflib's parsers raise many unrelated types
            raise GraphLoadError(f"{path}: cannot read as {rdf_format}: {exc}") from exc
    return graph


def _parse(graph: Graph, data: bytes, rdf_format: str, base: str, quads: bool) -> None:
    with warnings.catch_warnings():
        # rdflib's JSON-LD and quad parsers use its own deprecated ConjunctiveGraph API.
        warnings.simplefilter("ignore", DeprecationWarning)
        if quads:
            dataset = Dataset()
            dataset.parse(data=data, format=rdf_format, publicID=base)
            graph += ((s, p, o) for s, p, o, _ in dataset.quads())
        else:
            graph.parse(data=data, format=rdf_format, publicID=base)


def load_shapes(shapes_dir: Path = SHAPES) -> Graph:
    """Every *.ttl file of the shapes folder, as one shapes graph."""
    files = sorted(Path(shapes_dir).glob("*.ttl"))
    if not files:
        raise GraphLoadError(f"{shapes_dir}: no *.ttl shapes files")
    return _one_line_queries(load_graph(files))


def _one_line_queries(shapes: Graph) -> Graph:
    """Put each SPARQL query on one line (unless it has a # comment to keep).

    pyshacl screens every query for MINUS/SERVICE before each focus node with
    regexes that cost time in lines × length: a 20-line query took ~1 ms per
    focus node, over a second per run. On one line the screening is negligible.
    """
    for node, text in list(shapes.subject_objects(SH.select)):
        if "#" not in text:
            shapes.set((node, SH.select, Literal(" ".join(str(text).split()))))
    return shapes


def shape_sets(shapes: Graph) -> tuple[list[str], list[str]]:
    """The targeted shapes, split into SHACL Core ones and SHACL-SPARQL ones."""
    targeted = {s for t in _TARGETS for s in shapes.subjects(t, None) if isinstance(s, URIRef)}
    sparql = sorted(str(s) for s in targeted if (s, SH.sparql, None) in shapes)
    core = sorted(str(s) for s in targeted if (s, SH.sparql, None) not in shapes)
    return core, sparql


def validate(data: Graph, shapes_dir: Path = SHAPES, ontology: Path = ONTOLOGY,
             base: str | None = None) -> ValidationReport:
    """Validate data against the shapes of shapes_dir, with ontology as pyshacl's ontology graph.

    base: the IRI to mint the report under (the dataset's, {base}/id/{dataset});
    by default the dataset of the data's one zs:Budget, if it has exactly one.
    data is not changed: validation works on a copy.
    """
    return _validate(_copy_graph(data), shapes_dir, ontology, base)


def validate_triples(triples: Iterable, shapes_dir: Path = SHAPES, ontology: Path = ONTOLOGY,
                     base: str | None = None) -> ValidationReport:
    """validate() of pyoxigraph triples (a build's mapped triples): the same report as validate()
    of rdflib_graph(triples), without a second copy of the graph (a fifth of the time)."""
    return _validate(rdflib_graph(triples), shapes_dir, ontology, base)


def _validate(owned: Graph, shapes_dir: Path, ontology: Path, base: str | None) -> ValidationReport:
    """Validate a graph of our own: the Core pass adds the ontology's axioms to it (pyshacl, inplace)."""
    shapes, ontology_graph = _cached(load_shapes, shapes_dir), _cached(_load_one, ontology)
    core, sparql = shape_sets(shapes)
    # Taken before pyshacl adds the ontology to owned: the data's own labels, budget and triples.
    labels, base = _label_table(owned), base or _dataset(owned)
    sparql_data = oxigraph_data(owned) if sparql else None
    reports = []
    if core:
        reports.append(_run(owned, shapes, ontology_graph, core))
    if sparql:
        reports.append(_run(sparql_data, shapes, ontology_graph, sparql))
    for report in reports:
        _tag_messages(report, shapes)
    results = sorted((_result(g, node) for g in reports for node in g.subjects(RDF.type, SH.ValidationResult)),
                     key=lambda r: r.key)
    return ValidationReport(results, _labels(labels, {r.focus for r in results}), base, reports)


def _dataset(data: Graph) -> str:
    """The dataset IRI of the data's only budget ({dataset}/budget), else a fallback."""
    budgets = list(data.subjects(RDF.type, ZS.Budget))
    if len(budgets) == 1 and str(budgets[0]).endswith("/budget"):
        return str(budgets[0]).removesuffix("/budget")
    return FALLBACK_BASE


def _run(data, shapes: Graph, ontology: Graph, use_shapes: list[str]) -> Graph:
    # inplace: data is always our own graph (a copy, or built from triples), so pyshacl need not clone it.
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True,
        allow_warnings=True, allow_infos=True, inplace=True, use_shapes=use_shapes)
    return report


def _copy_graph(data: Graph) -> Graph:
    copy = Graph()
    copy += data
    return copy


def rdflib_graph(triples: Iterable) -> Graph:
    """pyoxigraph triples as an rdflib graph, term by term.

    Parsing their N-Triples with rdflib's pure-Python parser took a fifth of the
    validation. The terms are the parser's (a literal keeps rdflib's lexical
    form, xsd:string and language tags carry no datatype; one fresh BNode per
    blank node), so pyshacl sees the very same graph.
    """
    graph, terms = Graph(), _RdflibTerms()
    graph.addN((terms[t.subject], terms[t.predicate], terms[t.object], graph) for t in triples)
    return graph


class _RdflibTerms(dict):
    """pyoxigraph term -> rdflib term, each converted once."""

    def __missing__(self, term):
        kind = type(term).__name__
        if kind == "NamedNode":
            converted = URIRef(term.value)
        elif kind == "BlankNode":
            converted = BNode()
        else:
            language = term.language or None
            plain = language or term.datatype.value == str(XSD.string)
            converted = Literal(term.value, language, None if plain else URIRef(term.datatype.value))
        self[term] = converted
        return converted


def _load_one(path: Path) -> Graph:
    return load_graph([path])


_CACHE: dict[tuple, Graph] = {}


def _cached(loader, path: Path) -> Graph:
    """loader(path), parsed once per process while the files are unchanged (tests validate hundreds of graphs)."""
    path = Path(path).resolve()
    files = sorted(path.glob("*.ttl")) if path.is_dir() else [path]
    key = (loader.__name__, path, tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    if key not in _CACHE:
        _CACHE[key] = loader(path)
    return _CACHE[key]


def _tag_messages(report: Graph, shapes: Graph) -> None:
    """Give SHACL-SPARQL messages back the language tag of their sh:message template.

    pyshacl fills in {?var} placeholders but returns the text untagged; the
    template whose literal parts all occur in the text, in order, is its source.
    """
    for node in list(report.subjects(RDF.type, SH.ValidationResult)):
        templates = list(shapes.objects(report.value(node, SH.sourceConstraint), SH.message))
        for message in list(report.objects(node, SH.resultMessage)):
            if message.language is None:
                language = next((t.language for t in templates if _fills(t, str(message))), None)
                if language:
                    report.remove((node, SH.resultMessage, message))
                    report.add((node, SH.resultMessage, Literal(str(message), lang=language)))


def _fills(template: Literal, text: str) -> bool:
    """Whether text could be template with its {?var}/{$var} placeholders filled in."""
    position = 0
    for part in re.split(r"\{[$?][^{}]+\}", str(template)):
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _result(report: Graph, node: Node) -> ValidationResult:
    messages: dict[str, str] = {}
    for message in sorted(report.objects(node, SH.resultMessage)):
        messages.setdefault(getattr(message, "language", None) or "", str(message))
    path = report.value(node, SH.resultPath)
    return ValidationResult(
        severity=str(report.value(node, SH.resultSeverity)).removeprefix(str(SH)),
        focus=report.value(node, SH.focusNode),
        path=None if path is None else _path(report, path),
        value=report.value(node, SH.value),
        messages=messages,
        source_shape=_term(report.value(node, SH.sourceShape)),
        component=str(report.value(node, SH.sourceConstraintComponent)).removeprefix(str(SH)),
    )


def _path(graph: Graph, path: Node) -> str:
    """A SHACL path as a SPARQL property path with full IRIs."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (path, RDF.first, None) in graph:
        return "/".join(_path(graph, p) for p in Collection(graph, path))
    for predicate, operator in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                                (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = graph.value(path, predicate)
        if inner is not None:
            return operator.format(_path(graph, inner))
    options = graph.value(path, SH.alternativePath)
    if options is not None:
        return "(" + "|".join(_path(graph, p) for p in Collection(graph, options)) + ")"
    return _term(path)


def _label_table(data: Graph) -> dict[Node, list[Node]]:
    """Every rdfs:label of the data, by subject."""
    table = defaultdict(list)
    for node, label in data.subject_objects(RDFS.label):
        table[node].append(label)
    return table


def _labels(table: dict[Node, list[Node]], nodes) -> dict[str, dict[str, str]]:
    """rdfs:label of each focus node by language, for headings in text reports."""
    labels = {}
    for node in nodes:
        found = {l.language or "": str(l) for l in sorted(table.get(node, ())) if isinstance(l, Literal)}
        if found:
            labels[str(node)] = found
    return labels


def _term(node: Node | None) -> str:
    return "" if node is None else str(node) if isinstance(node, URIRef) else node.n3()


def _nt(node: Node | None) -> str:
    return "" if node is None else node.n3()


def _short(text: str) -> str:
    """An IRI, or the <IRI>s of a SPARQL path, as prefixed names where a prefix is known."""
    def shorten(iri: str) -> str:
        for prefix, namespace in REPORT_PREFIXES.items():
            if iri.startswith(namespace):
                return f"{prefix}:{iri[len(namespace):]}"
        return f"<{iri}>"

    return re.sub(r"<([^<>]*)>", lambda m: shorten(m[1]), text) if "<" in text else shorten(text)


def _canonical(graph: Graph, node: Node) -> str:
    """N-Triples-like text of a node and, for blank nodes, everything below it."""
    if not isinstance(node, BNode):
        return node.n3()
    inner = sorted(f"{p.n3()} {_canonical(graph, o)}" for p, o in graph.predicate_objects(node))
    return "[" + " ; ".join(inner) + "]"


def _digest(graph: Graph, result: Node) -> str:
    """A result's IRI suffix: a hash of all it says (focus, path, component, shape, value, messages)."""
    return hashlib.sha256(_canonical(graph, result).encode("utf-8")).hexdigest()[:16]


def _copy(source: Graph, node: Node, iri: URIRef, out: Graph) -> None:
    """Copy a result into out, naming every blank node below it <iri>/{n} in a stable order."""
    named = {node: iri}

    def name(term: Node) -> Node:
        if isinstance(term, BNode) and term not in named:
            named[term] = URIRef(f"{iri}/{len(named)}")
            walk(term)
        return named.get(term, term)

    def walk(subject: Node) -> None:
        for p, o in sorted(source.predicate_objects(subject), key=lambda po: (po[0], _canonical(source, po[1]))):
            out.add((named[subject], p, name(o)))

    walk(node)
