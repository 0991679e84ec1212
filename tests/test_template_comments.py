"""Django's ``{# ... #}`` comment spans one line only: opened on one line and closed on another,
it is not a comment, and its words show on the page. Longer comments use ``{% comment %}``."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _templates() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts
        and "node_modules" not in path.parts
        and "static" not in path.parts
        and "test-artifacts" not in path.parts
    ]


def test_every_one_line_comment_closes_on_its_line():
    unclosed = []
    for path in _templates():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            rest = line
            while "{#" in rest:
                rest = rest[rest.index("{#") + 2 :]
                if "#}" not in rest:
                    unclosed.append(f"{path.relative_to(ROOT)}:{number}")
                    break
                rest = rest[rest.index("#}") + 2 :]
    assert len(_templates()) > 50
    assert unclosed == []
