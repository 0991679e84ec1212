"""Benchmark scripts B1-B7 (docs/performance.md lists them). They print figures; they are not
tests."""
