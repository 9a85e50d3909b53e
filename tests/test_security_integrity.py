"""Damaged output is noticed while serving (issue 13, item 10): files changed or removed after
start-up give /healthz 503, a clean 503 page where they are read, and downloads that no longer
match SHA256SUMS are not sent. Each test damages its own copy of the build."""

from __future__ import annotations

import json
import shutil

import pytest

from support.servers import Served, get, raw

pytestmark = [pytest.mark.slow, pytest.mark.reliability]


@pytest.fixture
def site(published, tmp_path):
    shutil.copytree(published, tmp_path / "output")
    served = Served(tmp_path / "output")
    yield served, tmp_path / "output"
    served.stop()


def _health(served) -> tuple[int, dict]:
    answer = raw(served.port, get("/healthz"))
    return answer.status, json.loads(answer.body)


def test_an_intact_output_is_healthy(site):
    served, _ = site
    status, health = _health(served)
    assert status == 200 and health["status"] == "ok" and health["problems"] == []


@pytest.mark.parametrize("name", ["build.json", "SHA256SUMS", "void.ttl", "ontology/zaisei.ttl",
                                  "minato-2021/figures.csv"])
def test_a_deleted_file_makes_healthz_fail(site, name):
    served, output = site
    (output / name).unlink()
    status, health = _health(served)
    assert status == 503 and health["status"] == "damaged"
    assert any(name in problem and "missing" in problem for problem in health["problems"]), health


def test_a_corrupted_download_is_not_sent(site):
    served, output = site
    figures = output / "minato-2021" / "figures.csv"
    figures.write_bytes(figures.read_bytes().replace(b"1", b"7", 1))
    answer = raw(served.port, get("/download/minato-2021/figures.csv"))
    assert answer.status == 503 and b"SHA256SUMS" in answer.body and b"Traceback" not in answer.body
    status, health = _health(served)
    assert status == 503 and any("figures.csv" in p and "corrupt" in p for p in health["problems"])


@pytest.mark.parametrize("name, path, damage", [
    ("catalog.ttl", "/catalog", b"@prefix broken"), ("void.ttl", "/.well-known/void", None),
    ("ontology/zaisei.ttl", "/def/", b"not turtle at all {"),
    ("minato-2021/document.txt", "/source/minato-2021", b"\xff\xfe not UTF-8"),
    # /def/ is rendered from the store since issue 19; the build's page is still a published file
    ("ontology/index.html", "/download/ontology/index.html", b"<p>not the published page</p>"),
])
def test_a_damaged_file_read_by_a_page_is_a_clean_503(site, name, path, damage):
    served, output = site
    if damage is None:
        (output / name).unlink()
    else:
        (output / name).write_bytes(damage)
    accept = "Accept: text/html" if name.endswith((".txt", ".html")) else "Accept: text/turtle"
    answer = raw(served.port, get(path, accept))
    assert answer.status == 503, (name, answer.status, answer.body[:200])
    assert b"Traceback" not in answer.raw and name.split("/")[-1].encode() in answer.body
