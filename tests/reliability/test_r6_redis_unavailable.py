"""R6: Redis unavailable (cache, channel layer and Celery broker on a closed port).

What is right, and what this test holds the app to:

* ``/healthz`` answers 503 and names Redis, so the orchestrator sees the outage;
* everything whose state lives in PostgreSQL keeps working: reads, and writes such as adding a
  note or creating a contact answer 2xx (realtime pushes and task enqueues after commit are
  subscribers of the event bus, which log their failure and never undo a committed change);
* signing in answers 503 ``service_unavailable``: the failed-sign-in counters live in Redis, and
  without them the lockout cannot be enforced, so sign-in fails closed instead of allowing
  unlimited password guesses. Tokens already issued keep working.
"""

from __future__ import annotations

import socket
import uuid

from django.test import override_settings

from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tests.reliability.support import admin_token, bearer_client, is_error_shape
from tickets.tests.factories import TicketFactory


def _closed_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_with_redis_down_data_keeps_flowing_and_sign_in_fails_closed(
    alpha, settings, report_figure
):
    token = admin_token(alpha)
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory()
    canary = f"R6 contact {uuid.uuid4().hex[:8]}"
    down = _closed_redis_url()
    caches = {"default": {**settings.CACHES["default"], "LOCATION": down}}
    layers = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "hosts": [down]},
        }
    }
    with override_settings(
        REDIS_URL=down,
        CELERY_BROKER_URL=down,
        CACHES=caches,
        CHANNEL_LAYERS=layers,
    ):
        api = bearer_client(alpha.host, token)
        health = api.get("/healthz")
        data_path = {
            "GET /api/v1/me/": api.get("/api/v1/me/"),
            "GET /api/v1/tickets/": api.get("/api/v1/tickets/"),
            "GET ticket messages": api.get(f"/api/v1/tickets/{ticket.public_id}/messages/"),
            "POST note": api.post(
                f"/api/v1/tickets/{ticket.public_id}/notes/",
                {"body": "written while Redis is down"},
                content_type="application/json",
            ),
            "POST contact": api.post(
                "/api/v1/contacts/", {"name": canary}, content_type="application/json"
            ),
        }
        sign_in = bearer_client(alpha.host).post(
            "/api/v1/auth/token/",
            {"email": alpha.admin_email, "password": alpha.admin_password},
            content_type="application/json",
        )

    answered = {label: r.status_code for label, r in data_path.items()}
    ok = sum(1 for status in answered.values() if 200 <= status < 300)
    with tenant_scope(alpha.tenant):
        stored = Contact.objects.filter(name=canary).count()
        notes = ticket.messages.filter(is_note=True).count()
    report_figure(
        f"R6: Redis down: /healthz {health.status_code} (redis ok="
        f"{health.json()['checks']['redis']['ok']}); {ok}/{len(answered)} reads and writes "
        f"answered 2xx; sign-in {sign_in.status_code} {sign_in.json().get('code')} (fails closed)"
    )
    assert health.status_code == 503
    assert health.json()["checks"]["redis"]["ok"] is False
    assert answered == {
        "GET /api/v1/me/": 200,
        "GET /api/v1/tickets/": 200,
        "GET ticket messages": 200,
        "POST note": 201,
        "POST contact": 201,
    }
    assert (stored, notes) == (1, 1)
    assert sign_in.status_code == 503
    assert is_error_shape(sign_in)
    assert sign_in.json()["code"] == "service_unavailable"
    assert sign_in["Retry-After"]
