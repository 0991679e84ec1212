"""Helpers shared by the Meta adapters' tests: documented fixtures, unsaved connections, signed
webhook requests, and a Graph base URL that is obviously a test one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import RequestFactory

from channels_integrations.providers.meta.signatures import sign
from connections.models import ChannelConnection

PROVIDERS_DIR = Path(__file__).resolve().parents[2]
GRAPH = "https://graph.test/v26.0"


def load_fixture(provider: str, name: str) -> bytes:
    """The raw bytes of ``providers/<provider>/fixtures/<name>.json``."""
    return (PROVIDERS_DIR / provider / "fixtures" / f"{name}.json").read_bytes()


def fixture_json(provider: str, name: str) -> dict[str, Any]:
    return json.loads(load_fixture(provider, name))


def connection(provider: str, **credentials: Any) -> ChannelConnection:
    """An unsaved connection: the adapters only read its credentials."""
    unsaved = ChannelConnection(provider=provider, name=f"{provider} test")
    unsaved.credentials = credentials  # encrypted on assignment
    return unsaved


def webhook_request(
    body: bytes, *, secret: str | None = None, header: str | None = None
) -> HttpRequest:
    """A POST as Meta sends it, signed with ``secret`` unless ``header`` is given."""
    if header is None and secret is not None:
        header = sign(body, secret)
    headers = {"X-Hub-Signature-256": header} if header is not None else {}
    return RequestFactory().post(
        "/hooks/meta/", data=body, content_type="application/json", headers=headers
    )


@pytest.fixture(autouse=True)
def graph_api_url(settings):
    settings.META_GRAPH_API_URL = GRAPH
    return GRAPH
