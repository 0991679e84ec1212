"""docs/architecture.md shows the floors in the order the import-linter layers contract
enforces: when one changes, the other must follow."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    return list(layers)


def _documented_layers() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- layers:[^>]*-->\s*```\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md lost its layers block"
    return [line.split()[0] for line in block.group(1).splitlines() if line.strip()]


def test_the_documented_floors_are_the_enforced_layers():
    assert _documented_layers() == _contract_layers()


def test_every_documented_app_is_a_package_of_the_project():
    for app in _documented_layers():
        assert (ROOT / app / "__init__.py").exists(), app
