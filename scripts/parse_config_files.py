"""Pre-commit hook: every TOML and YAML file given parses; prints ``path: error`` for those that
do not (exit status 1)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import yaml


def problem(path: Path) -> str | None:
    """Why ``path`` does not parse, or None."""
    try:
        if path.suffix == ".toml":
            tomllib.loads(path.read_text())
        else:
            list(yaml.safe_load_all(path.read_text()))
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        return " ".join(str(exc).split())
    return None


def main(paths: list[str]) -> int:
    failed = 0
    for name in paths:
        if (reason := problem(Path(name))) is not None:
            print(f"{name}: {reason}")
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
