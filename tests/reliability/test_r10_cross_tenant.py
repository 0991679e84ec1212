"""R10: tenant B tries to reach tenant A's data through every surface; A's canary never leaks.

Both tenants get one object of every kind (``seed_objects``) with a canary string of their own
in every text field and file. Then, as B:

* every API operation of the served schema is called on B's host with A's object ids (404, or
  400 when the input is checked before the lookup; A's tables unchanged);
* every GET operation is called on B's host with A's JWT and with A's session cookie (401/403);
* B's own lists and exports are read (B's canary must be there, A's must not);
* A's media file is asked for through a B row that points at A's stored path (404);
* a cache key written in A is read in B (miss); channel-layer group names differ per tenant;
* A's contact-import task id is run as a task enqueued from B (refused, A's import untouched).

The figure counts refused attempts and the bytes of A's canary found in anything B received.
API keys do not exist yet (nothing to attempt). Websockets are covered elsewhere: A's JWT or
session cookie at B's host is closed 4401 (accounts/tests/test_websocket_entry.py), and live
events, replays included, reach only their own tenant's sockets
(realtime/tests/test_live_events.py, realtime/tests/test_tenant_wide_events.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from contacts.models import Contact, ContactImport
from contacts.tasks import contact_import_run_task
from tenants.tenancy import group_name, tenant_scope
from tests.reliability.conftest import scaled
from tests.reliability.support import (
    admin_token,
    bearer_client,
    fill_path,
    openapi_schema,
    operations,
    seed_objects,
)
from tickets.models import Message
from tickets.tests.factories import MessageFactory


class Attempts:
    """Counts attempts, refusals and canary bytes in everything B received."""

    def __init__(self, canary: bytes) -> None:
        self.canary = canary
        self.total = 0
        self.refused = 0
        self.canary_bytes = 0
        self.problems: list[str] = []

    def seen(self, payload: bytes | str | None) -> None:
        if payload is None:
            return
        data = payload if isinstance(payload, bytes) else str(payload).encode()
        self.canary_bytes += data.count(self.canary) * len(self.canary)

    def response(self, what: str, response: Any, allowed: set[int]) -> None:
        self.total += 1
        body = b"".join(response.streaming_content) if response.streaming else response.content
        self.seen(body)
        self.seen(json.dumps(dict(response.items())))
        if response.status_code in allowed:
            self.refused += 1
        else:
            self.problems.append(f"{what} -> {response.status_code}")

    def check(self, what: str, refused: bool) -> None:
        self.total += 1
        if refused:
            self.refused += 1
        else:
            self.problems.append(what)


INTEGER_KINDS = {
    "/api/v1/queues/{id}": ("tickets", "Queue", "queue"),
    "/api/v1/users/{id}": ("accounts", "User", "user"),
    "/api/v1/quick-replies/{id}": ("tickets", "QuickReply", "quick_reply"),
    "/api/v1/tags/{tag_id}": ("contacts", "Tag", "tag"),
    "/api/v1/contact-attributes/{definition_id}": (
        "contacts",
        "ContactAttributeDefinition",
        "attribute",
    ),
}


def _names_bs_own_object(template: str, ids_a: dict[str, str], fixture_b: Any) -> bool:
    """Integer ids are numbered per schema: A's queue 7 may be B's own queue 7. Calling that
    id on B's host addresses B's object, which is no attempt on A's data (the canary check
    still applies to the answer)."""
    from django.apps import apps

    for prefix, (app, model, kind) in INTEGER_KINDS.items():
        if template.startswith(prefix):
            with tenant_scope(fixture_b.tenant):
                return apps.get_model(app, model).objects.filter(pk=ids_a[kind]).exists()
    return False


def _session_client(fixture: Any, host: str) -> Client:
    client = Client(raise_request_exception=False, HTTP_HOST=host)
    with tenant_scope(fixture.tenant):
        client.force_login(User.objects.get(email=fixture.admin_email))
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_tenant_b_is_refused_everything_of_tenant_a_and_sees_no_canary_byte(
    alpha, beta, media_root, report_figure
):
    canary_a = f"CANARY-A-{uuid.uuid4().hex}"
    canary_b = f"CANARY-B-{uuid.uuid4().hex}"
    ids_b = seed_objects(beta, canary_b)
    seed_objects(alpha, f"{canary_a}-first")  # A's integer ids then tend to lie beyond B's
    ids_a = seed_objects(alpha, canary_a)
    token_a, token_b = admin_token(alpha), admin_token(beta)
    as_b = bearer_client(beta.host, token_b)
    a_token_at_b = bearer_client(beta.host, token_a)
    a_session_at_b = _session_client(alpha, beta.host)
    schema = openapi_schema(beta.host, token_b)
    ops = operations(schema)
    attempts = Attempts(canary_a.encode())
    b_saw_its_own_canary = False
    skipped = 0

    def a_state() -> tuple[int, int, int]:
        with tenant_scope(alpha.tenant):
            return (
                Contact.objects.count(),
                Message.objects.count(),
                ContactImport.objects.filter(status=ContactImport.Status.PENDING).count(),
            )

    a_before = a_state()
    for _ in range(scaled(1)):
        for method, template, _operation in ops:
            if "{" in template and _names_bs_own_object(template, ids_a, beta):
                skipped += 1
            elif "{" in template:
                # A's ids on B's host, with B's own valid credentials.
                response = as_b.generic(
                    method, fill_path(template, ids_a), b"{}", content_type="application/json"
                )
                # 404, or 400 when the input is checked before the lookup (nothing is read);
                # the compatible external API takes API keys only, so B's token is a 401.
                allowed = {400, 404}
                if template.startswith("/v1/api/external/"):
                    allowed.add(401)
                attempts.response(f"{method} {template} with A's ids", response, allowed)
            elif method == "GET":
                # B's own lists, exports and schema: B's canary yes, A's no.
                response = as_b.get(template)
                body = (
                    b"".join(response.streaming_content)
                    if response.streaming
                    else (response.content)
                )
                attempts.seen(body)
                b_saw_its_own_canary |= canary_b.encode() in body
            if method == "GET":
                path = fill_path(template, ids_b)
                attempts.response(f"GET {template} with A's JWT", a_token_at_b.get(path), {401})
                attempts.response(
                    f"GET {template} with A's session", a_session_at_b.get(path), {401, 403}
                )

        # A stored file reached through a B row that names A's path.
        with tenant_scope(alpha.tenant):
            a_media = Message.objects.get(public_id=ids_a["message"]).media.name
        with tenant_scope(beta.tenant):
            forged = MessageFactory(
                ticket_id=Message.objects.get(public_id=ids_b["message"]).ticket_id,
                kind=Message.Kind.DOCUMENT,
                media_name="forged.txt",
                media_mime="text/plain",
            )
            Message.objects.filter(pk=forged.pk).update(media=a_media)
        attempts.response(
            "B row pointing at A's media path",
            as_b.get(f"/api/v1/messages/{forged.public_id}/media/"),
            {404},
        )

        # The same cache key in both tenants.
        with tenant_scope(alpha.tenant):
            cache.set("r10:probe", canary_a, timeout=60)
        with tenant_scope(beta.tenant):
            read = cache.get("r10:probe")
            many = cache.get_many(["r10:probe"])
        attempts.seen(read)
        attempts.seen(json.dumps(many))
        attempts.check("cache key of A read in B", read is None and many == {})

        # Channel-layer groups are named per tenant.
        with tenant_scope(alpha.tenant):
            group_a = group_name("inbox", 1)
        with tenant_scope(beta.tenant):
            group_b = group_name("inbox", 1)
        attempts.check("the same group name in both tenants", group_a != group_b)

        # A's import id handed to a task enqueued from B.
        with tenant_scope(alpha.tenant):
            a_import = ContactImport.objects.get(public_id=ids_a["import"]).pk
        with tenant_scope(beta.tenant):
            result = contact_import_run_task.apply(args=(a_import,))
            attempts.seen(repr(result.result))
            leaked = Contact.objects.filter(name__contains=canary_a).exists()
        with tenant_scope(alpha.tenant):
            untouched = ContactImport.objects.get(pk=a_import).status == "pending"
        # B's task runs in B's schema: it fails, or processes B's own import with that number.
        attempts.check("A's import id run as B's task", untouched and not leaked)

    a_after = a_state()
    report_figure(
        f"R10: {attempts.refused}/{attempts.total} cross-tenant attempts refused, "
        f"{attempts.canary_bytes} canary bytes of A in B's responses, task results and cache "
        f"reads; A's rows unchanged: {a_before == a_after} ({skipped} integer ids skipped: "
        "B has its own object with that number)"
    )
    assert attempts.problems == [], "\n".join(attempts.problems)
    assert attempts.canary_bytes == 0
    assert a_before == a_after
    assert b_saw_its_own_canary, "the canary check never saw B's own canary: it proves nothing"
