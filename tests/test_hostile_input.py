"""Hostile web input: fuzzed routes and headers never give a 5xx; markup is escaped."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from support.paths import FIXTURES
from zaisei.publication.build import build
from zaisei.publication.project import Project
from zaisei.serving.web import create_app
from zaisei.serving.web.negotiate import choose, parse_accept

pytestmark = pytest.mark.slow

PATH_PARTS = st.sampled_from(["id", "doc", "download", "source", "datasets", "def", "catalog", "minato-2021",
                              "priority", "pillar-1", "..", "%2e%2e", "%00", "%ff", "a.ttl", ".jsonld", "x"])
# No empty first segment: the test client would read "//x" as a host name, not a path.
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@given(st.text(max_size=200))
def test_accept_parsing_never_raises(header):
    parse_accept(header)
    choose(header)


@pytest.fixture(scope="module")
def client(published):
    app = create_app(published)
    app.config["TESTING"] = False
    return app.test_client()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(PATH_PARTS, min_size=1, max_size=5), accept=HEADER_TEXT, etag=HEADER_TEXT,
       query=HEADER_TEXT, lang=HEADER_TEXT)
def test_fuzzed_requests_never_fail_on_the_server(client, parts, accept, etag, query, lang):
    path = "/" + "/".join(parts)
    answer = client.get(path, query_string=query, headers={"Accept": accept, "If-None-Match": etag,
                                                            "Accept-Language": lang})
    status = answer.status_code
    answer.close()  # file responses (send_file) stay open until closed
    assert status < 500, (path, status)


@pytest.mark.parametrize("path", ["/doc/%ff%fe", "/id/%c3%28", "/download/%ff", "/doc/minato-2021/account/general?page=%ff"])
def test_bad_utf8_is_a_client_error(client, path):
    assert 300 <= client.get(path).status_code < 500


@pytest.fixture(scope="module")
def marked_up_output(tmp_path_factory):
    """The test town with markup and quotes in an English label (TEST DATA)."""
    root = tmp_path_factory.mktemp("markup")
    sources = root / "sources"
    shutil.copytree(FIXTURES / "sources" / "testtown-2030", sources / "testtown-2030")
    table = sources / "testtown-2030" / "priorities.csv"
    text = table.read_text(encoding="utf-8").replace(
        "A town for raising children", "\"<script>alert('x')</script> & <b>bold</b>\"\"\"")
    table.write_text(text, encoding="utf-8")
    # The landing page shows municipalities and budgets: their names carry markup too.
    description = sources / "testtown-2030" / "dataset.toml"
    description.write_text(description.read_text(encoding="utf-8").replace(
        'name_en = "Testtown"', 'name_en = "<script>alert(\'t\')</script> <b>bold</b> town"'), encoding="utf-8")
    build(Project(sources=sources, output=root / "output"))
    return root / "output"


def test_labels_with_markup_render_escaped(marked_up_output):
    client = create_app(marked_up_output).test_client()
    for path in ("/doc/testtown-2030/priority/pillar-1?lang=en", "/?lang=en", "/datasets/testtown-2030?lang=en"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>bold" not in page, path
        assert "&lt;script&gt;" in page or "&lt;script&gt;".replace("&", "&amp;") in page, path
