"""Benchmark scripts (performance.md §4). They print figures; they are not tests."""
