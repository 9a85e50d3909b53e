"""The DCAT catalog and VoID description: DCAT-AP 3.0.0 shapes, sizes and checksums
of every file, two parsers agree, no blank nodes, inline JSON-LD context,
byte-identical reruns, and a CKAN DCAT harvest (ckanext-dcat, euro_dcat_ap_3).

The catalog is written on a staging folder built here (mappings + reconcile +
dataset.write_dataset with an empty validation report), so these tests do not
depend on the SHACL validation of the build; one more test checks a real build.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import FOAF, RDF, Literal, URIRef
from rdflib.compare import isomorphic

from support.paths import FIXTURES, IN_CI, SHARED, SOURCES, need_shared
from zaisei.publication import build, catalog, dataset, manifest, void
from zaisei.publication.project import Project
from zaisei.graph import iris
from zaisei import sources

pytestmark = pytest.mark.slow

DCAT_AP = SHARED / "reference" / "dcat-ap-3.0.0"
SHAPE_FILES = ("html/shacl/shapes.ttl", "html/shacl/shapes_recommended.ttl", "html/shacl/range.ttl",
               "shacl/dcat-ap-SHACL.ttl")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
BASE = Project().base
DOWNLOAD = iris.download(BASE, "")


def stage(target: Path, folders: list[Path], project: Project | None = None) -> list:
    """Every dataset's files, the union and the ontology into target, then the catalog."""
    project = project or Project(output=target.parent / "output")
    results = [dataset.check_dataset(folder, project) for folder in folders]
    target.mkdir(parents=True)
    for result, folder in zip(results, folders):
        dataset.write_dataset(result, folder, target, project)
    build.write_all(results, target, project)
    catalog.write(results, folders, target, project)
    return results


FOLDERS = [SOURCES / "minato-2021", FIXTURES / "sources" / "testtown-2030"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> tuple[Path, list]:
    """A staging folder with two cities' datasets (one real, one invented) and its catalog."""
    target = tmp_path_factory.mktemp("catalog") / "staging"
    return target, stage(target, FOLDERS)


def _graph(path: Path) -> rdflib.Graph:
    if path.suffix != ".jsonld":
        return rdflib.Graph().parse(path, format="turtle")
    # rdflib 7.6's JSON-LD parser builds a ConjunctiveGraph internally and warns about it.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return rdflib.Graph().parse(path, format="json-ld")


def _results(report: rdflib.Graph, severity) -> list[tuple]:
    return sorted((str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)),
                   str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[1],
                   str(report.value(r, SH.resultMessage)))
                  for r in report.subjects(RDF.type, SH.ValidationResult)
                  if report.value(r, SH.resultSeverity) == severity)


def _validate(data: rdflib.Graph, shapes_file: str) -> rdflib.Graph:
    import pyshacl

    shapes = rdflib.Graph().parse(need_shared(DCAT_AP) / shapes_file, format="turtle")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
    return report


def _byte_size_erratum(shapes_file: str) -> bool:
    """Where the two official 3.0.0 shape files disagree on dcat:byteSize's datatype.

    html/shacl/shapes.ttl says xsd:decimal, shacl/dcat-ap-SHACL.ttl (and the
    DCAT-AP 3.0.0 text and DCAT 3) say xsd:nonNegativeInteger:
    SEMICeu/DCAT-AP#399 and #422. Whichever catalog.BYTE_SIZE_DATATYPE picks,
    exactly one file flags every byteSize, and nothing else may be flagged.
    """
    decimal = catalog.BYTE_SIZE_DATATYPE == "xsd:decimal"
    return shapes_file == ("shacl/dcat-ap-SHACL.ttl" if decimal else "html/shacl/shapes.ttl")


@pytest.mark.parametrize("shapes_file", SHAPE_FILES)
def test_catalog_passes_the_dcat_ap_3_shapes(staged, shapes_file):
    target, _ = staged
    data = _graph(target / "catalog.ttl")
    violations = _results(_validate(data, shapes_file), SH.Violation)
    if _byte_size_erratum(shapes_file):
        erratum = [v for v in violations if v[1] == str(DCAT.byteSize) and v[2] == "DatatypeConstraintComponent"]
        assert len(erratum) == len(set(data.subjects(RDF.type, DCAT.Distribution)))
        violations = [v for v in violations if v not in erratum]
    assert violations == []


def test_recommended_shapes_have_nothing_to_warn_about(staged):
    """Every recommended property is present: the city's area has its bounding box and centroid,
    the publisher its agent type, and even the invented town is placed in its country."""
    target, _ = staged
    warnings = _results(_validate(_graph(target / "catalog.ttl"), "html/shacl/shapes_recommended.ttl"), SH.Warning)
    assert warnings == []


def test_every_distribution_matches_its_file(staged):
    target, _ = staged
    g = _graph(target / "catalog.ttl")
    described = Counter()
    for dist in g.subjects(RDF.type, DCAT.Distribution):
        url = str(g.value(dist, DCAT.downloadURL))
        assert url.startswith(DOWNLOAD), url
        path = target / url[len(DOWNLOAD):]
        data = path.read_bytes()
        described[path.relative_to(target).as_posix()] += 1
        assert g.value(dist, DCAT.accessURL) == URIRef(url)
        size = g.value(dist, DCAT.byteSize)
        assert size.datatype == XSD[catalog.BYTE_SIZE_DATATYPE.split(":")[1]] and int(size) == len(data)
        checksum = g.value(dist, SPDX.checksum)
        assert isinstance(checksum, URIRef) and (checksum, RDF.type, SPDX.Checksum) in g
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        value = g.value(checksum, SPDX.checksumValue)
        assert value.datatype == XSD.hexBinary and str(value) == hashlib.sha256(data).hexdigest()
        media = str(g.value(dist, DCAT.mediaType))
        assert media.startswith("http://www.iana.org/assignments/media-types/"), media
        assert g.value(dist, DCT["format"]) is not None
        assert g.value(dist, DCT.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
        assert g.value(dist, DCT.issued).datatype == XSD.date
        assert g.value(dist, DCT.modified).datatype == XSD.date
        assert {t.language for t in g.objects(dist, DCT.title)} == {"ja", "en"}
        if path.name.endswith(".gz"):
            assert str(g.value(dist, DCAT.compressFormat)).endswith("/application/gzip")
    files = {p.relative_to(target).as_posix() for key in ("minato-2021", "testtown-2030")
             for p in (target / key).iterdir()} | {"all.trig", "all.nq.gz"}
    assert described == Counter({name: 1 for name in files})


def test_datasets_say_who_where_when_and_how(staged):
    target, results = staged
    g = _graph(target / "catalog.ttl")
    catalog_iri = URIRef(iris.mint(BASE, "catalog"))
    assert (catalog_iri, RDF.type, DCAT.Catalog) in g
    assert {t.language for t in g.objects(catalog_iri, DCT.title)} == {"ja", "en"}
    for result in results:
        d = URIRef(iris.mint(BASE, "dataset", dataset=result.key))
        description = sources.load_description(next(f for f in FOLDERS if f.name == result.key))
        assert (catalog_iri, DCAT.dataset, d) in g
        assert Literal(description["title_en"], lang="en") in set(g.objects(d, DCT.title))
        assert {k.language for k in g.objects(d, DCAT.keyword)} == {"ja", "en"}
        assert str(g.value(d, DCT.identifier)) == result.key
        # The project publishes what it made; the city made the document it was read from.
        project = URIRef(iris.mint(BASE, "organization", code="zaisei"))
        assert g.value(d, DCT.publisher) == project and g.value(d, DCT.creator) == project
        contact = g.value(d, DCAT.contactPoint)
        assert g.value(contact, rdflib.URIRef("http://www.w3.org/2006/vcard/ns#hasURL")) == URIRef(BASE + "/")
        document = g.value(d, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
        code = description["publisher"]["lg_code"]
        city = URIRef(iris.mint(BASE, "organization", code=code))
        assert document == URIRef(iris.mint(BASE, "document", dataset=result.key))
        assert g.value(document, DCT.creator) == city and g.value(document, DCT.rightsHolder) == city
        assert str(g.value(city, DCT.identifier)) == code
        assert str(g.value(city, FOAF.homepage)) == description["publisher"]["homepage"]
        # The period covers the fiscal year and the years its figures compare with.
        period = g.value(d, DCT.temporal)
        assert str(g.value(period, DCAT.startDate)) <= description["fiscal_year"]["start"]
        assert str(g.value(period, DCAT.endDate)) == description["fiscal_year"]["end"]
        assert g.value(d, DCAT.inSeries) == URIRef(iris.mint(BASE, "series", code=code))
        assert g.value(d, DCT.conformsTo) == URIRef(iris.ONTOLOGY)
        assert str(g.value(d, DCT.accrualPeriodicity)).endswith("/frequency/ANNUAL")
        provenance = g.value(d, DCT.provenance)
        assert f"{result.reconcile.used} figure expressions used" in " ".join(g.objects(provenance, rdflib.RDFS.label))
        if description["publisher"].get("estat_area"):
            assert URIRef(description["publisher"]["estat_area"]) in set(g.objects(d, DCT.spatial))
    service = URIRef(iris.mint(BASE, "service"))
    assert g.value(service, DCAT.endpointURL) == URIRef(iris.sparql_endpoint(BASE))
    assert g.value(service, DCAT.endpointDescription) == URIRef(iris.sparql_endpoint(BASE))
    served = set(g.objects(service, DCAT.servesDataset))
    assert served == set(g.objects(catalog_iri, DCAT.dataset))


def test_every_minted_iri_follows_a_pattern(staged):
    """IRIs under base are all kinds declared in iris.PATTERNS."""
    target, _ = staged
    for name in ("catalog.ttl", "void.ttl"):
        g = _graph(target / name)
        for term in {t for triple in g for t in triple if isinstance(t, URIRef)}:
            iri = str(term)
            if not iri.startswith(BASE + "/id/"):
                continue
            assert iris.classify(BASE, iri), iri


@pytest.mark.parametrize("name", ["catalog.ttl", "catalog.jsonld", "void.ttl"])
def test_rdflib_and_oxigraph_read_the_same_graph_without_blank_nodes(staged, name):
    target, _ = staged
    path = target / name
    ours = _graph(path)
    format = ox.RdfFormat.JSON_LD if path.suffix == ".jsonld" else ox.RdfFormat.TURTLE
    theirs = list(ox.parse(path=str(path), format=format))
    assert len(ours) == len(theirs) > 100
    assert not any(isinstance(t, rdflib.BNode) for triple in ours for t in triple)
    assert not any(isinstance(t, ox.BlankNode) for triple in theirs for t in (triple.subject, triple.object))


def test_jsonld_catalog_is_the_turtle_catalog_with_an_inline_context(staged):
    target, _ = staged
    document = json.loads((target / "catalog.jsonld").read_text(encoding="utf-8"))
    context = document["@context"]
    assert isinstance(context, dict), "the @context must be inline, never a URL to fetch"
    assert all(isinstance(v, str) and v.startswith("http") for v in context.values())
    assert isomorphic(_graph(target / "catalog.jsonld"), _graph(target / "catalog.ttl"))


def test_void_counts_what_the_graphs_hold(staged):
    target, results = staged
    g = _graph(target / "void.ttl")
    union = URIRef(iris.mint(BASE, "catalog") + "/all")
    everything = []
    for result in results:
        d = URIRef(iris.mint(BASE, "dataset", dataset=result.key))
        triples = result.triples
        everything.extend(triples)
        assert (union, VOID.subset, d) in g
        assert int(g.value(d, VOID.triples)) == len(triples)
        assert int(g.value(d, VOID.properties)) == len({t.predicate for t in triples})
        classes = {t.object for t in triples if t.predicate.value == str(RDF.type)}
        assert int(g.value(d, VOID.classes)) == len(classes)
        partitions = list(g.objects(d, VOID.propertyPartition))
        assert sum(int(g.value(p, VOID.triples)) for p in partitions) == len(triples)
        assert len(list(g.objects(d, VOID.classPartition))) == len(classes)
        assert g.value(d, VOID.sparqlEndpoint) == URIRef(iris.sparql_endpoint(BASE))
        assert str(g.value(d, VOID.uriSpace)) == BASE + "/id/"
        dumps = {str(u)[len(DOWNLOAD):] for u in g.objects(d, VOID.dataDump)}
        assert dumps == {f"{result.key}/{result.key}.{s}" for s in ("ttl", "jsonld", "rdf", "nt.gz")}
        assert all((target / dump).is_file() for dump in dumps)
    assert int(g.value(union, VOID.triples)) == len(everything)
    assert {str(u)[len(DOWNLOAD):] for u in g.objects(union, VOID.dataDump)} == {"all.trig", "all.nq.gz"}
    # Links out of the Minato dataset: its Wikidata item, its e-Stat area, the UK government years.
    minato = URIRef(iris.mint(BASE, "dataset", dataset="minato-2021"))
    links = {}
    for linkset in g.objects(minato, VOID.subset):
        assert (linkset, RDF.type, VOID.Linkset) in g
        assert g.value(linkset, VOID.subjectsTarget) == minato
        target_iri = str(g.value(linkset, VOID.objectsTarget)).rsplit("/", 1)[1]
        links[target_iri, str(g.value(linkset, VOID.linkPredicate))] = int(g.value(linkset, VOID.triples))
    assert links[("wikidata", "http://schema.org/sameAs")] == 1
    assert links[("e-stat", str(DCT.spatial))] == 1
    assert links[("reference-data-gov-uk", "http://www.w3.org/2006/time#intervalEquals")] == 2


def test_writing_again_gives_the_same_bytes(staged, tmp_path):
    """Another process (another hash seed), another staging folder, the same bytes."""
    target, _ = staged
    again = tmp_path / "staging"
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import test_catalog as t; "
            "t.stage(Path(sys.argv[2]), t.FOLDERS)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(again)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ("catalog.ttl", "catalog.jsonld", "void.ttl"):
        assert (again / name).read_bytes() == (target / name).read_bytes(), name


def test_counts_from_the_workers_give_the_same_bytes(staged, tmp_path):
    """The build hands the catalog each dataset's counts, the union's and the file sums
    its workers took; the catalog must not differ from one counted here from the triples."""
    target, results = staged
    copy = tmp_path / "staging"
    shutil.copytree(target, copy)
    for name in ("catalog.ttl", "catalog.jsonld", "void.ttl"):
        (copy / name).unlink()
    union, counted = void.Statistics(), []
    for result in results:
        # As a worker does: from the dataset's own dump, counted in another object.
        dump = gzip.decompress((target / result.key / f"{result.key}.nt.gz").read_bytes())
        stats = void.Statistics.of(ox.parse(dump, format=ox.RdfFormat.N_TRIPLES), catalog.settings()["link_targets"])
        union.merge(pickle.loads(pickle.dumps(stats)))
        counted.append(dataclasses.replace(result, statistics=void.dataset_counts(stats, BASE, result.key)))
    sums = manifest.checksums(copy)
    catalog.write(counted, FOLDERS, copy, Project(output=tmp_path / "output"), union.counts(BASE), sums)
    for name in ("catalog.ttl", "catalog.jsonld", "void.ttl"):
        assert (copy / name).read_bytes() == (target / name).read_bytes(), name


def test_an_undescribed_file_stops_the_catalog(staged, tmp_path):
    target, results = staged
    copy = tmp_path / "staging"
    shutil.copytree(target, copy)
    (copy / "minato-2021" / "notes.md").write_text("new file\n", encoding="utf-8")
    with pytest.raises(catalog.CatalogError) as caught:
        catalog.write(results, FOLDERS, copy, Project(output=tmp_path / "output"))
    assert "notes.md" in str(caught.value)


# -- CKAN ----------------------------------------------------------------------

HARVEST = """
import json, sys, warnings
warnings.simplefilter("ignore")
from ckanext.dcat.processors import RDFParser

parser = RDFParser(profiles=["euro_dcat_ap_3"])
parser.parse(open(sys.argv[1], "rb").read(), _format="turtle")
print(json.dumps(list(parser.datasets()), default=str))
"""


def _ckan_python() -> str:
    """An interpreter with ckanext-dcat (and CKAN) importable: ZAISEI_CKAN_PYTHON or this one."""
    python = os.environ.get("ZAISEI_CKAN_PYTHON", sys.executable)
    probe = subprocess.run([python, "-c", "import ckanext.dcat.processors"], capture_output=True, text=True)
    if probe.returncode != 0:
        message = ("ckanext-dcat is not importable by " + python + " (needs ckan and its dependencies; "
                   "docs/catalog.md says how to make a venv and set ZAISEI_CKAN_PYTHON): "
                   + (probe.stderr.strip().splitlines() or ["?"])[-1])
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return python


def test_ckan_dcat_harvester_makes_one_dataset_per_dataset_with_every_file(staged):
    python = _ckan_python()
    target, _ = staged
    done = subprocess.run([python, "-c", HARVEST, str(target / "catalog.ttl")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    harvested = {next(e["value"] for e in d["extras"] if e["key"] == "uri"): d for d in json.loads(done.stdout)}
    g = _graph(target / "catalog.ttl")
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    assert set(harvested) == {str(d) for d in datasets}
    for d in datasets:
        package = harvested[str(d)]
        english = {str(t) for t in g.objects(d, DCT.title) if t.language == "en"}
        assert package["title"] in english
        assert package["license_id"] == "cc-by"
        tags = [t["name"] for t in package["tags"]]
        assert len(tags) == len(set(tags)), "CKAN refuses duplicate tags"
        resources = {r["url"]: r for r in package["resources"]}
        distributions = list(g.objects(d, DCAT.distribution))
        assert len(resources) == len(package["resources"]) == len(distributions)
        for dist in distributions:
            resource = resources[str(g.value(dist, DCAT.downloadURL))]
            assert resource["size"] == int(g.value(dist, DCAT.byteSize))
            assert resource["hash"] == str(g.value(g.value(dist, SPDX.checksum), SPDX.checksumValue))
            assert resource["license"] == str(g.value(dist, DCT.license))
            assert resource["name"] in {str(t) for t in g.objects(dist, DCT.title) if t.language == "en"}


# -- the real build ----------------------------------------------------------------

def test_a_real_build_publishes_the_catalog(tmp_path):
    output = tmp_path / "output"
    build.build(Project(output=output))
    sums = (output / "SHA256SUMS").read_text(encoding="utf-8")
    for name in ("catalog.ttl", "catalog.jsonld", "void.ttl"):
        assert f"  {name}\n" in sums
    data = _graph(output / "catalog.ttl")
    for shapes_file in SHAPE_FILES[1:]:
        if not _byte_size_erratum(shapes_file):
            assert _results(_validate(data, shapes_file), SH.Violation) == [], shapes_file
    for dist in data.subjects(RDF.type, DCAT.Distribution):
        path = output / str(data.value(dist, DCAT.downloadURL))[len(DOWNLOAD):]
        checksum = data.value(dist, SPDX.checksum)
        assert str(data.value(checksum, SPDX.checksumValue)) == hashlib.sha256(path.read_bytes()).hexdigest()
    _covers_every_dataset(output, data)


def _covers_every_dataset(output: Path, data: rdflib.Graph) -> None:
    """Every source folder is a dataset of the catalog and a subset of VoID, in three or more
    municipalities; a cited one's document is the city's page, with no text to fingerprint."""
    keys = sorted(p.name for p in SOURCES.iterdir() if (p / "dataset.toml").is_file())
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    listed = {str(data.value(d, dct.identifier)): d for d in data.objects(None, DCAT.dataset)}
    assert set(keys) <= set(listed) and len(keys) >= 7
    assert len({s for key in keys for s in data.objects(listed[key], dct.spatial)}) >= 3
    void = _graph(output / "void.ttl")
    subsets = {str(o) for o in void.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#subset"))}
    assert {str(listed[key]) for key in keys} <= subsets
    for key in keys:
        document = URIRef(iris.mint(BASE, "document", dataset=key))
        cited = not (SOURCES / key / "document.txt").is_file()
        assert (data.value(document, SPDX.checksum) is None) == cited, key
        assert (output / key / "document.txt").is_file() == (not cited), key
