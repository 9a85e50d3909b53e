"""Settings are declared once (settings.py); the CLI options and docs/settings.md come from there."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from support.servers import Served
from support.paths import ROOT, run_cli

from zaisei.settings import SETTINGS, markdown, option


def test_docs_settings_is_generated_from_the_declarations():
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert text.endswith(markdown()), "run: python3 -m zaisei.settings docs/settings.md"
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in text


def test_serve_takes_every_server_setting_with_its_help():
    shown = run_cli("serve", "--help").stdout
    flat = " ".join(shown.split())
    for setting in (s for s in SETTINGS if s.server):
        for flag in option(setting.name).split("/"):
            assert flag in shown, flag
        assert " ".join(setting.help.split())[:40] in flat


def test_a_serve_option_reaches_the_server():
    """--max-results, a setting with no hand-written option, limits the endpoint's answers."""
    served = Served(ROOT / "output", "--max-results", "3")
    url = served.url
    try:
        query = urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 4"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/sparql?{query}", timeout=30)
        assert refused.value.code == 400 and "more than 3 rows" in refused.value.read().decode()
    finally:
        served.stop()
    assert "--max-results" in run_cli("serve", "--max-results", "many").stderr
