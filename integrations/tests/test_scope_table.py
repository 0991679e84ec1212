"""Every endpoint that accepts API keys declares the scope it needs, and enforces it.

The URL conf is walked: each DRF view that authenticates keys must be named in
``integrations.scopes`` (a new endpoint without a declared scope fails here). Then every
operation is called with a key lacking its scope (403 ``api_key_scope_missing``), with a key
holding it (never refused for scope), and the refused endpoints refuse any key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from conftest import host_api_client
from integrations.authentication import ApiKeyAuthentication
from integrations.scopes import (
    ENDPOINT_SCOPES,
    FAMILIES,
    KEY_IGNORED,
    KEY_REFUSED,
    SAFE_METHODS,
)
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope

METHODS = ("get", "post", "put", "patch", "delete")
SAMPLE_UUID = str(uuid.UUID(int=7))


def _walk(patterns, prefix="") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _concrete(route: str) -> str:
    parts = []
    for piece in route.split("<"):
        if ">" in piece:
            converter, rest = piece.split(">", 1)
            parts.append((SAMPLE_UUID if converter.startswith("uuid") else "999999") + rest)
        else:
            parts.append(piece)
    return "/" + "".join(parts)


def _key_endpoints() -> list[tuple[str, str, str]]:
    """(url name, concrete path, method) of every operation of a view that takes keys."""
    found = []
    for route, pattern in _walk(get_resolver("tiktickets.urls").url_patterns):
        view = getattr(pattern.callback, "cls", None)
        if not (isinstance(view, type) and issubclass(view, APIView)):
            continue
        if not any(isinstance(a, ApiKeyAuthentication) for a in view().get_authenticators()):
            continue
        for method in METHODS:
            if hasattr(view, method):
                found.append((str(pattern.name), _concrete(route), method))
    return found


ENDPOINTS = _key_endpoints()


def test_every_endpoint_that_takes_keys_declares_a_scope_or_refuses_keys():
    declared = set(ENDPOINT_SCOPES) | KEY_REFUSED | KEY_IGNORED
    undeclared = sorted({name for name, _path, _m in ENDPOINTS if name not in declared})
    assert undeclared == [], f"declare these URL names in integrations/scopes.py: {undeclared}"
    assert set(ENDPOINT_SCOPES.values()) <= set(FAMILIES)


def test_the_table_names_no_endpoint_that_does_not_exist():
    names = {name for name, _path, _m in ENDPOINTS}
    assert sorted(set(ENDPOINT_SCOPES) - names) == []


@pytest.fixture
def keys(alpha):
    """A key with every scope but the families' (per test), and a full one."""
    with tenant_scope(alpha.tenant):
        everything = [f"{family}:write" for family in FAMILIES]
        _full, full_secret = api_key_make(scopes=everything)
        by_family = {}
        for family in FAMILIES:
            others = [scope for scope in everything if not scope.startswith(f"{family}:")]
            _key, secret = api_key_make(scopes=others + [f"{family}:read"])
            by_family[family] = secret
    return full_secret, by_family


def _call(fixture, secret, path, method):
    api = host_api_client(fixture.host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return getattr(api, method)(path, {}, format="json")


def test_each_operation_enforces_its_scope(alpha, keys):
    full_secret, by_family = keys
    for name, path, method in ENDPOINTS:
        if name in KEY_IGNORED:
            assert _call(alpha, full_secret, path, method).status_code < 500, (name, method)
            continue
        if name in KEY_REFUSED:
            refused = _call(alpha, full_secret, path, method)
            assert refused.status_code == 403, (name, method)
            assert b"api_key_not_allowed" in refused.content, (name, method)
            continue
        family = ENDPOINT_SCOPES[name]
        allowed = _call(alpha, full_secret, path, method)
        assert allowed.status_code < 500, (name, method, allowed.content[:300])
        if allowed.status_code in (401, 403):
            assert allowed.json()["code"] not in {
                "api_key_scope_missing",
                "api_key_not_allowed",
                "api_key_invalid",
            }, (name, method)
        limited = _call(alpha, by_family[family], path, method)
        if method.upper() in SAFE_METHODS:
            # The read scope suffices for reads.
            assert limited.status_code < 500, (name, method)
            if limited.status_code == 403:
                assert limited.json()["code"] != "api_key_scope_missing", (name, method)
        else:
            assert limited.status_code == 403, (name, method, limited.content[:300])
            assert limited.json()["extra"]["required_scope"] == f"{family}:write"
