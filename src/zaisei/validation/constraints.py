"""The SHACL-SPARQL pass of validate.py: pyshacl's Oxigraph backend, made cheap per focus node.

pyshacl runs each SPARQL constraint once per focus node, with $this pre-bound
(about 1,100 queries for a dataset of 5,000 triples). Oxigraph parses and plans
each one afresh, 0.2-0.8 ms even on an empty store, and pyshacl re-derives the
query text each time: together four fifths of the pass. Here:

- A constraint whose query provably answers the same either way
  (``one_query_equivalent``) runs once with $this unbound, and pyshacl's
  per-focus queries are answered with the rows whose ?this is that focus node
  (``_OxigraphData.query``). pyshacl still builds every result from the rows.
- Any other constraint runs per focus node as before, its text derived once
  per query helper (``_memoise_query_text``).
- ``datagraph or shapes_graph`` no longer counts the store (``__bool__``).

Only validate.py and this module import pyshacl.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from pyshacl.constraints.sparql.sparql_based_constraints import SPARQLBasedConstraint
from pyshacl.graph_abstraction import DataGraph, OxigraphDataGraph, to_rdf
from pyshacl.helper import get_query_helper_cls
from rdflib import Graph, Variable
from rdflib.paths import MulPath, Path
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.query import Result

from zaisei.rdf.terms import native_store

THIS = Variable("this")
# Off: every SPARQL constraint runs once per focus node, as pyshacl does (the tests compare both).
ONE_QUERY = True


class _OxigraphData(OxigraphDataGraph):
    """pyshacl's Oxigraph data graph: always true, and answering per-focus queries from one query.

    pyshacl tests ``datagraph or shapes_graph`` several times per result; that
    calls __len__, which on Oxigraph counts every distinct triple (~10 ms for
    Minato), so a report with 50 results took over a second longer.
    """

    def __init__(self, store):
        super().__init__(store)
        # query text -> (variables, rows by ?this, the focus nodes they answer for)
        self._answers: dict[str, tuple[list, dict, frozenset]] = {}

    def __bool__(self) -> bool:
        return True

    def answer_all(self, text: str, focus_nodes) -> None:
        """Run text once with $this unbound and keep its rows by ?this, for query() to hand out.

        The rows are converted exactly as OxigraphDataGraph.query converts them.
        """
        solutions = self.query_oxigraph(text)
        variables = [Variable(v.value) for v in solutions.variables]
        rows = defaultdict(list)
        for solution in solutions:
            row = {v: to_rdf(value) for v, value in zip(variables, solution)}
            rows[row[THIS]].append(row)
        self._answers[text] = (variables, rows, frozenset(focus_nodes))

    def query(self, query_object, processor="sparql", result="sparql", initNs=None,  # noqa: N803
              initBindings=None, use_store_provided=True, **kwargs):  # noqa: N803
        """The rows answer_all kept for this focus node, or else a real query."""
        answer = self._answers.get(query_object) if isinstance(query_object, str) else None
        if (answer and initNs is None and not kwargs and initBindings is not None
                and initBindings.keys() == {"this"} and initBindings["this"] in answer[2]):
            variables, rows, _ = answer
            out = Result("SELECT")
            out.vars = list(variables)
            out.bindings = [dict(row) for row in rows.get(initBindings["this"], ())]
            return out
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided,
                             **kwargs)


def oxigraph_data(data: Graph) -> DataGraph:
    """The data in a pyoxigraph store (built by store.py) wrapped for pyshacl's Oxigraph backend."""
    return _OxigraphData(native_store(data))


# --- one query per constraint -------------------------------------------------------------

class _NotSeparable(Exception):
    """The query might answer differently with $this pre-bound than with its rows filtered by ?this."""


@functools.lru_cache(maxsize=None)
def one_query_equivalent(text: str) -> bool:
    """Whether the rows of text with ?this = f are exactly its answer with $this pre-bound to f, for any f.

    Pre-binding (SHACL; Oxigraph's substitutions, SEP-0007) puts the focus node
    in place of $this everywhere. Evaluating once with ?this free and keeping
    the rows with ?this = f gives the same solutions when, in the query's
    algebra (rdflib's translation, the spec's):
    - ?this is bound in every row and projected;
    - every expression that reads ?this (FILTER, BIND, an OPTIONAL's condition,
      EXISTS) and every OPTIONAL part that mentions it sees ?this already bound;
    - aggregates are grouped by ?this (an implicit group would merge the focus nodes);
    - no subquery, VALUES, MINUS, GRAPH, SERVICE or LIMIT/OFFSET, and no
      zero-length path (p*, p?) from or to ?this (it matches a focus node that
      is in no triple when pre-bound, never when free).
    Anything else, or a query rdflib cannot read, is answered per focus node.
    """
    try:
        algebra = prepareQuery(text).algebra
        return algebra.name == "SelectQuery" and THIS in _certain(algebra.p, set())
    except Exception:  # _NotSeparable, or any of the many errors of rdflib's parser and translator
        return False


def _certain(node: CompValue, samples: set) -> set:
    """The variables bound in every solution of node; _NotSeparable if ?this could matter there.

    samples collects the aggregates that are SAMPLE(?this) of a group by ?this
    (rdflib re-binds a projected group key as one).
    """
    name = node.name
    if name == "Project":
        bound = _certain(node.p, samples)
        _require(THIS in node.PV and THIS in bound)
        return bound
    if name in ("Distinct", "Reduced", "OrderBy"):
        return _certain(node.p, samples)
    if name == "BGP":
        _require(not any(_zero_length_from_this(triple) for triple in node.triples))
        return {term for triple in node.triples for term in triple if isinstance(term, Variable)}
    if name == "Join":
        return _certain(node.p1, samples) | _certain(node.p2, samples)
    if name == "Union":
        return _certain(node.p1, samples) & _certain(node.p2, samples)
    if name == "LeftJoin":
        left, _ = _certain(node.p1, samples), _certain(node.p2, samples)
        _require(THIS in left or not (_mentions(node.p2) or _mentions(node.expr)))
        return left
    if name == "Filter":
        bound = _certain(node.p, samples)
        _require(THIS in bound or not _mentions(node.expr))
        return bound
    if name == "Extend":
        return _extend(node, _certain(node.p, samples), samples)
    if name == "AggregateJoin":
        return _aggregate(node, samples)
    raise _NotSeparable(name)


def _extend(node: CompValue, bound: set, samples: set) -> set:
    """BIND: reads ?this only once bound; binds ?this only as the SAMPLE of a group by ?this."""
    if node.var == THIS:
        _require(node.expr in samples and node.expr in bound)
        return bound | {THIS}
    _require(THIS in bound or not _mentions(node.expr))
    return bound


def _aggregate(node: CompValue, samples: set) -> set:
    """GROUP BY ?this (...): each group is one focus node's; SAMPLE(?this) is that node."""
    group = node.p
    _require(group.name == "Group" and group.expr is not None)
    _require(any(isinstance(key, Variable) and key == THIS for key in group.expr))
    _require(THIS in _certain(group.p, samples))
    mine = {a.res for a in node.A if a.name == "Aggregate_Sample" and a.vars == THIS}
    samples |= mine
    return mine


def _require(condition: bool) -> None:
    if not condition:
        raise _NotSeparable()


def _mentions(node) -> bool:
    """Whether ?this occurs anywhere in an algebra or parse-tree node (expressions, EXISTS patterns)."""
    if isinstance(node, Variable):
        return node == THIS
    if isinstance(node, dict):
        return any(_mentions(value) for key, value in node.items() if key != "_vars")
    if isinstance(node, (list, tuple, set)):
        return any(_mentions(item) for item in node)
    return False


def _zero_length_from_this(triple) -> bool:
    subject, path, obj = triple
    return THIS in (subject, obj) and isinstance(path, Path) and _can_be_empty(path)


def _can_be_empty(path) -> bool:
    """Whether a property path could match zero steps (p*, p?, inside any sequence, alternative or ^)."""
    if isinstance(path, MulPath):
        return path.mod != "+" or _can_be_empty(path.path)
    parts = list(getattr(path, "args", ())) + [getattr(path, "arg", None), getattr(path, "path", None)]
    return any(isinstance(part, Path) and _can_be_empty(part) for part in parts)


def _answer_in_one_query(evaluate):
    """Wrap SPARQLBasedConstraint._evaluate_sparql_constraint to run a separable query once first."""

    @functools.wraps(evaluate)
    def _evaluate_sparql_constraint(self, sparql_constraint, target_graph, f_v_dict):
        if ONE_QUERY and isinstance(target_graph, _OxigraphData) and len(f_v_dict) > 1:
            _answer_for_all(sparql_constraint, target_graph, list(f_v_dict))
        return evaluate(self, sparql_constraint, target_graph, f_v_dict)

    return _evaluate_sparql_constraint


def _answer_for_all(helper, data: _OxigraphData, focus_nodes: list) -> None:
    """Answer the constraint's per-focus queries from one query, when that is provably the same.

    The text is the very text pyshacl sends for each focus node. Anything that
    fails here is left to the per-focus queries, which then fail as before.
    """
    try:
        bindings, text = helper.pre_bind_variables(focus_nodes[0])
        text = helper.apply_prefixes(text)
        if set(bindings) == {"this"} and one_query_equivalent(text):
            data.answer_all(text, focus_nodes)
    except Exception:  # noqa: BLE001 - the per-focus path reports it
        return


# --- the query text, once per helper ------------------------------------------------------

# The bindings pre_bind_variables fills in from its arguments; any other binding
# ($currentShape) is the constraint's own and the same for every focus node.
_FROM_ARGUMENTS = {"this": "thisnode", "value": "valuenode"}


def _memoise_query_text(helper_class) -> None:
    """Make SPARQLQueryHelper derive each query text once per helper instead of once per focus node.

    pre_bind_variables(thisnode, valuenode, extravars) returns the bindings
    {this: thisnode[, value: valuenode][, currentShape: the shape]} and a text
    that depends on the helper's query, shape and prefixes, and on valuenode and
    extravars only through whether valuenode is None or true and which extravars
    there are: nine regex scans (MINUS, VALUES, SERVICE, nested SELECT, $this,
    $PATH...) that were a third of the pass. Both methods are pure; an error is
    never remembered, so a bad query still raises for every focus node. A helper
    lives for one pyshacl run, so nothing is carried from one graph to the next.
    """
    if getattr(helper_class, "_zaisei_memoised", False):
        return
    pre_bind, apply_prefixes = helper_class.pre_bind_variables, helper_class.apply_prefixes

    def pre_bind_variables(self, thisnode, valuenode=None, extravars=None):
        key = (valuenode is None, valuenode is not None and bool(valuenode),
               frozenset(extravars) if extravars is not None else None)
        memo = self.__dict__.setdefault("_zaisei_pre_bound", {})
        if key not in memo:
            memo[key] = pre_bind(self, thisnode, valuenode, extravars)
        bindings, text = memo[key]
        arguments = {"thisnode": thisnode, "valuenode": valuenode}
        return {name: arguments[_FROM_ARGUMENTS[name]] if name in _FROM_ARGUMENTS else value
                for name, value in bindings.items()}, text

    def apply_prefixes_once(self, sparql):
        key = (sparql, tuple(self.prefixes.items()))
        memo = self.__dict__.setdefault("_zaisei_prefixed", {})
        if key not in memo:
            memo[key] = apply_prefixes(self, sparql)
        return memo[key]

    helper_class.pre_bind_variables = pre_bind_variables
    helper_class.apply_prefixes = apply_prefixes_once
    helper_class._zaisei_memoised = True


def _install() -> None:
    """Apply both changes to pyshacl's classes, once per process.

    They rest on pyshacl 0.40's internals; where those are missing, pyshacl runs as it is.
    """
    _memoise_query_text(get_query_helper_cls())
    internals = (hasattr(SPARQLBasedConstraint, "_evaluate_sparql_constraint")
                 and hasattr(OxigraphDataGraph, "query_oxigraph"))
    if internals and not getattr(SPARQLBasedConstraint, "_zaisei_one_query", False):
        SPARQLBasedConstraint._evaluate_sparql_constraint = _answer_in_one_query(
            SPARQLBasedConstraint._evaluate_sparql_constraint)
        SPARQLBasedConstraint._zaisei_one_query = True


_install()
