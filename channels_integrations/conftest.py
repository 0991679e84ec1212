"""Fixtures of the channels tests (tests/ and providers/*/tests/): the sample providers
(registered for the test only), the tasks a test publishes, a private media folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.signals import after_task_publish

from connections.providers.registry import PROVIDERS, provider_for


@pytest.fixture
def sample_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(
        PROVIDERS, "sample", "channels_integrations.tests.sample_provider.SampleProvider"
    )
    monkeypatch.setitem(
        PROVIDERS,
        "sample_shared",
        "channels_integrations.tests.sample_provider.SharedSampleProvider",
    )
    provider_for.cache_clear()
    yield
    provider_for.cache_clear()


class PublishedTasks(list[tuple[str, tuple[Any, ...], str | None]]):
    def __init__(self) -> None:
        super().__init__()
        self.queues: list[str | None] = []


@pytest.fixture
def published() -> Iterator[PublishedTasks]:
    """Every task this process publishes during the test: ``(task name, args, schema)``; the
    queue of each is in ``published.queues``, in the same order."""
    records = PublishedTasks()

    def record(
        sender: str = "",
        headers: dict[str, Any] | None = None,
        body: Any = None,
        routing_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        headers = headers or {}
        records.append((sender, tuple(body[0]) if body else (), headers.get("_schema_name")))
        records.queues.append(routing_key)

    after_task_publish.connect(record, weak=False)
    yield records
    after_task_publish.disconnect(record)


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def provider_sim(settings: Any) -> Iterator[Any]:
    """The simulated Telegram and Meta Graph APIs on a local port, the adapters pointed at
    them; stopped after the test."""
    from simulator import Simulator

    simulator = Simulator().start()
    settings.TELEGRAM_API_BASE_URL = simulator.telegram_base_url
    settings.META_GRAPH_API_URL = simulator.graph_url
    yield simulator
    simulator.stop()
