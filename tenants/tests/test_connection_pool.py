"""The psycopg pool the websocket server uses (POSTGRES_POOL_SIZE) keeps schemas apart.

A pooled connection goes back to the pool still carrying the ``search_path`` of the last tenant
that used it. These tests take one physical connection (pool of size 1) through alternating
tenants and prove every checkout runs in the schema asked for, never the previous one.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler

from tenants.models import Tenant


@pytest.fixture
def pooled() -> Iterator[ConnectionHandler]:
    config = copy.deepcopy(settings.DATABASES["default"])
    config["CONN_MAX_AGE"] = 0
    config["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 5}
    handler = ConnectionHandler({"default": config})
    try:
        yield handler
    finally:
        wrapper = handler["default"]
        wrapper.close()
        wrapper.close_pool()


def _schema_and_backend(handler: ConnectionHandler, tenant: Tenant | None) -> tuple[str, int]:
    wrapper = handler["default"]
    if tenant is None:
        wrapper.set_schema_to_public()
    else:
        wrapper.set_tenant(tenant)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT current_schema(), pg_backend_pid()")
        schema, pid = cursor.fetchone()
    wrapper.close()  # back to the pool, search_path still set on the server
    return schema, pid


def test_every_checkout_of_one_pooled_connection_runs_in_the_requested_schema(
    alpha, beta, pooled
) -> None:
    seen = []
    for tenant in [alpha.tenant, beta.tenant, None, beta.tenant, alpha.tenant, alpha.tenant]:
        schema, pid = _schema_and_backend(pooled, tenant)
        expected = tenant.schema_name if tenant is not None else "public"
        assert schema == expected
        seen.append(pid)
    assert len(set(seen)) == 1, "the pool must hand out the same physical connection"


def test_pool_settings_come_from_the_environment() -> None:
    """POSTGRES_POOL_SIZE=N (how docker-compose runs daphne) turns the pool on, bounded."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "db = settings.DATABASES['default']; "
        "print(json.dumps([db['CONN_MAX_AGE'], db['OPTIONS'].get('pool')]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tiktickets.settings.dev"}
    env["POSTGRES_POOL_SIZE"] = "4"
    pooled = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    max_age, pool = json.loads(pooled.stdout.strip().splitlines()[-1])
    assert max_age == 0  # Django refuses a pool with persistent connections
    assert pool == {"min_size": 1, "max_size": 4, "max_lifetime": 300, "timeout": 10}
    env.pop("POSTGRES_POOL_SIZE")
    plain = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(plain.stdout.strip().splitlines()[-1])[1] is None
