"""The hand-built attendances of the reports tests."""

from reports.tests.fixtures import in_alpha, stories, team  # noqa: F401
