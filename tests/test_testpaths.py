"""Every app's tests run: an app whose ``tests/`` folder is missing from pytest's ``testpaths``
would be skipped by ``make test`` (and CI) without anyone noticing."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_folder_with_tests_is_collected_by_default():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    testpaths = set(config["tool"]["pytest"]["ini_options"]["testpaths"])
    with_tests = {
        path.parent.parent.name
        for path in ROOT.glob("*/tests/test_*.py")
        if path.parent.parent.name != ".venv"
    }
    with_tests |= {"tests"} if any((ROOT / "tests").glob("test_*.py")) else set()
    assert with_tests - testpaths == set()
