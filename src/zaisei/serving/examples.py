"""The example gallery: data/examples/NAME.rq, each with `# title_ja:` / `# title_en:` headers.

Shown on the query page, run by the tests, and listed in docs/sparql.md
(`python3 -m zaisei.serving.examples docs/sparql.md` rewrites that section).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"


@dataclass(frozen=True)
class Example:
    """An example question: data/examples/NAME.rq with `# title_ja:` / `# title_en:` headers."""

    name: str
    title_ja: str
    title_en: str
    query: str

    def title(self, lang: str) -> str:
        return self.title_ja if lang == "ja" else self.title_en


def examples(folder: Path = EXAMPLES) -> list[Example]:
    """The example queries, in file-name order; the title lines are not part of the query."""
    found = []
    for path in sorted(folder.glob("*.rq")):
        titles, body = {}, []
        for line in path.read_text(encoding="utf-8").splitlines():
            key, _, value = line.lstrip("# ").partition(":")
            if line.startswith("#") and key in ("title_ja", "title_en") and not body:
                titles[key] = value.strip()
            else:
                body.append(line)
        found.append(Example(path.stem, titles.get("title_ja", path.stem), titles.get("title_en", path.stem),
                             "\n".join(body).strip() + "\n"))
    return found


DOC_START, DOC_END = "<!-- examples:start -->", "<!-- examples:end -->"


def examples_markdown() -> str:
    """The examples section of docs/sparql.md (generated: see update_examples_doc)."""
    parts = []
    for number, example in enumerate(examples(), 1):
        parts.append(f"### {number}. {example.title_en}\n\n{example.title_ja}  \n"
                     f"File: `src/zaisei/data/examples/{example.name}.rq`\n\n```sparql\n{example.query}```\n")
    return "\n".join(parts)


def update_examples_doc(doc: Path) -> None:
    """Rewrite the generated examples section of a Markdown file in place."""
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition(DOC_START)
    _, _, tail = rest.partition(DOC_END)
    doc.write_text(f"{head}{DOC_START}\n{examples_markdown()}{DOC_END}{tail}", encoding="utf-8")


if __name__ == "__main__":  # python3 -m zaisei.serving.examples docs/sparql.md: regenerate the examples section
    import sys

    update_examples_doc(Path(sys.argv[1]))
