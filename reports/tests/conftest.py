"""Fixtures of the reports tests (shared with the report pages' tests)."""

from reports.tests.fixtures import in_alpha, stories, team  # noqa: F401
