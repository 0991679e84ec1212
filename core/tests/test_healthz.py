"""GET /healthz answers on any host, before tenant resolution, with one check per dependency."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

# The database check runs `SELECT 1` through the test's own connection.
pytestmark = pytest.mark.django_db

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def _get_healthz(host: str) -> tuple[int, dict]:
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        # Neither a tenant's domain nor in ALLOWED_HOSTS: the probe never reads the host.
        "whatever.example",
    ],
)
def test_without_a_worker_it_answers_503_naming_the_worker(host):
    status, body = _get_healthz(host)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["detail"] == "NoWorkerAnswered"


def test_with_redis_down_it_answers_503_quickly():
    with override_settings(REDIS_URL=CLOSED_PORT_REDIS, CELERY_BROKER_URL=CLOSED_PORT_REDIS):
        started = time.monotonic()
        status, body = _get_healthz("localhost")
        elapsed = time.monotonic() - started

    assert status == 503
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["detail"].startswith("ConnectionError")
    # The broker is pinged before the worker, so a dead broker never waits on a control reply.
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["detail"].startswith("ConnectionError")
    assert elapsed < 3


def test_post_is_refused_with_405():
    response = Client(HTTP_HOST="localhost").post("/healthz")

    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert set(body) == {"code", "message", "extra"}
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.slow
@pytest.mark.parametrize("host", ["localhost", "whatever.example"])
def test_with_a_worker_running_it_answers_200(celery_worker_process, host):
    status, body = _get_healthz(host)

    assert status == 200
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "worker": True,
    }
