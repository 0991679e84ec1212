"""Fault and security tests, one module per case (R1, R2, ...). Each test reports one figure
line, e.g. "R10: 1000/1000 refused, 0 canary bytes": they are printed in pytest's terminal
summary (with or without ``-s``) and written to ``test-artifacts/reliability.txt``.

``RELIABILITY_SCALE`` (default 1) multiplies the counts; ``make reliability`` runs this folder
with a bigger scale. At scale 1 the folder stays within about two minutes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability.txt"
SCALE = max(1, int(os.environ.get("RELIABILITY_SCALE", "1")))

_figures: list[str] = []


def scaled(count: int) -> int:
    """``count`` at scale 1, multiplied under ``make reliability``."""
    return count * SCALE


@pytest.fixture
def report_figure() -> Callable[[str], None]:
    """Record one figure line (shown in the terminal summary and kept in the artifact file)."""

    def record(line: str) -> None:
        if not _figures:
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            ARTIFACT.write_text("", encoding="utf-8")
        _figures.append(line)
        with ARTIFACT.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _figures:
        return
    terminalreporter.section(f"reliability figures (scale {SCALE})")
    for line in _figures:
        terminalreporter.write_line(line)
