"""R11: property-based fuzzing of every operation of ``/api/v1/schema/`` with two tenants.

Schemathesis generates requests from the served OpenAPI schema (bodies, query strings; path ids
are the tenant's real objects, so the handlers behind the 404 are reached too) and sends them
through the WSGI application in this process, as each tenant's admin, then with one tenant's
token and the other tenant's ids. Checks: no 5xx (``not_a_server_error``), documented responses
match their schema (``response_schema_conformance``), and no byte of the other tenant's canary
in any response. Examples per operation are bounded (``R11_EXAMPLES`` x ``RELIABILITY_SCALE``)
so the test stays under a minute.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.reliability.conftest import scaled
from tests.reliability.support import (
    admin_token,
    fill_path,
    full_api_key,
    openapi_schema,
    seed_objects,
)

R11_EXAMPLES = 6


@contextmanager
def keep_test_connection() -> Iterator[None]:
    """The WSGI handler closes "old" connections around each request, which would close the
    test's connection mid-transaction; Django's own test client switches that off the same way
    (and back on after each of its requests, so no test client may run inside this block)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _describe(exc: BaseException) -> str:
    """The failures' titles and first message lines (one line per failure)."""
    inner = list(getattr(exc, "exceptions", [exc]))
    parts = []
    for failure in inner:
        title = getattr(failure, "title", type(failure).__name__)
        message = (getattr(failure, "message", "") or str(failure)).strip().splitlines()
        parts.append(f"{title}: {message[0][:160] if message else ''}")
    return " | ".join(parts)


def _path_parameters(template: str, ids: dict[str, str]) -> dict[str, Any]:
    filled = fill_path(template, ids)
    names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
    values = [
        real
        for part, real in zip(template.split("/"), filled.split("/"), strict=True)
        if part.startswith("{")
    ]
    return dict(zip(names, values, strict=True))


def test_fuzzing_every_operation_as_both_tenants_finds_no_5xx_and_no_leak(
    alpha, beta, media_root, report_figure
):
    canaries = {"alpha": f"CANARY-A-{uuid.uuid4().hex}", "beta": f"CANARY-B-{uuid.uuid4().hex}"}
    ids = {
        "alpha": seed_objects(alpha, canaries["alpha"]),
        "beta": seed_objects(beta, canaries["beta"]),
    }
    # "alpha_key": alpha's API key with every scope, the integrators' way in (integrations).
    tokens = {
        "alpha": admin_token(alpha),
        "beta": admin_token(beta),
        "alpha_key": full_api_key(alpha),
    }
    hosts = {"alpha": alpha.host, "beta": beta.host, "alpha_key": alpha.host}
    tenant_of = {"alpha": "alpha", "beta": "beta", "alpha_key": "alpha"}
    schema = schemathesis.openapi.from_dict(openapi_schema(alpha.host, tokens["alpha"]))
    app = get_wsgi_application()
    # (credentials' tenant, tenant whose ids are used): both tenants, then crossed.
    pairs = [
        ("alpha", "alpha"),
        ("beta", "beta"),
        ("alpha", "beta"),
        ("beta", "alpha"),
        ("alpha_key", "alpha"),
        ("alpha_key", "beta"),
    ]
    stats = {"requests": 0, "operations": 0, "server_errors": 0, "leaks": 0}
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()
        stats["operations"] += 1

        @given(case=operation.as_strategy(), pair=st.sampled_from(pairs))
        @settings(
            max_examples=scaled(R11_EXAMPLES),
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any, pair: tuple[str, str]) -> None:
            who, whose = pair
            label = f"{case.operation.method.upper()} {case.operation.path}"
            if "{" in case.operation.path:
                case.path_parameters = _path_parameters(case.operation.path, ids[whose])
            headers = {"Host": hosts[who], "Authorization": f"Bearer {tokens[who]}"}
            response = case.call(app=app, headers=headers)
            stats["requests"] += 1
            other = "beta" if tenant_of[who] == "alpha" else "alpha"
            body = response.get_data() if hasattr(response, "get_data") else response.content
            if canaries[other].encode() in body:
                stats["leaks"] += 1
                failures.append(f"{label}: {other}'s canary")
            if response.status_code >= 500:
                stats["server_errors"] += 1
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported below
                failures.append(f"{label} as {who} with {whose}'s ids: {_describe(exc)}")

        with keep_test_connection():
            fuzz()

    report_figure(
        f"R11: {stats['requests']} generated requests over {stats['operations']} operations "
        f"as two tenants: {stats['server_errors']} 5xx, {stats['leaks']} cross-tenant canary "
        f"leaks, {len(failures)} check failure(s)"
    )
    assert failures == [], "\n".join(sorted(set(failures))[:40])
    assert stats["requests"] >= stats["operations"]
