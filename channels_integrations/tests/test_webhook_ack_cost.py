"""What acknowledging a webhook costs (issue 22, P2): a one-item delivery to a warm process is
one ``SET search_path`` into its tenant and one ``INSERT`` in autocommit (the route and the
connection come from the process's webhook routes cache), committed before its batch task is
published and before the 200; a delivery of several items still stores them all or none."""

from __future__ import annotations

import json

from celery.signals import before_task_publish
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.signatures import sign
from channels_integrations.tests.support import meta_connection, post_meta
from connections.models import ChannelConnection
from tenants.models import ChannelRoute
from tenants.tenancy import tenant_scope
from tests.support.concurrency import in_thread

PHONE = "106540352242922"
SECRET = "alpha-app-secret"
BATCH_TASK = "channels_integrations.tasks.inbound_batches_process_task"


def _delivery(*messages: tuple[str, str]) -> bytes:
    """A WhatsApp Cloud delivery to PHONE with one text message per ``(wamid, sender)``."""
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550000000",
                                    "phone_number_id": PHONE,
                                },
                                "contacts": [
                                    {"profile": {"name": "Cliente"}, "wa_id": sender}
                                    for _, sender in messages
                                ],
                                "messages": [
                                    {
                                        "from": sender,
                                        "id": wamid,
                                        "timestamp": "1700000000",
                                        "type": "text",
                                        "text": {"body": f"oi {wamid}"},
                                    }
                                    for wamid, sender in messages
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def test_a_one_message_delivery_is_acknowledged_with_one_statement(alpha, published):
    """The insert: no route or connection read (cached in the process), no savepoint (no
    transaction of its own), and no search path when the connection's is already the tenant's
    (its previous webhook's tenant). 2 statements before (the tenant's search path, the
    insert), 5 before that (the public search path, the route, the tenant's search path, the
    connection, the insert), 8 before that."""
    connection = meta_connection(
        alpha.tenant, "whatsapp_cloud", route_key=PHONE, secret=SECRET, phone_number_id=PHONE
    )
    body = _delivery(("wamid.ACK1", "5511999990001"))
    post_meta(body, secret=SECRET)  # warms the host and route caches and the tenant's settings

    body = _delivery(("wamid.ACK2", "5511999990002"))
    with CaptureQueriesContext(db) as queries:
        response = post_meta(body, secret=SECRET)

    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["INSERT"], statements
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.filter(provider_event_id="wamid.ACK2").exists()
        assert InboundEvent.objects.get(provider_event_id="wamid.ACK2").connection == connection


def test_the_event_is_committed_before_its_task_is_published_and_before_the_answer(alpha):
    """In autocommit (as under gunicorn): when the batch task is published, another database
    connection already reads the stored event (persist, then publish, then acknowledge)."""
    tenant = alpha.tenant

    def seed() -> str:
        connection = meta_connection(
            tenant, "whatsapp_cloud", route_key=PHONE, secret=SECRET, phone_number_id=PHONE
        )
        return str(connection.public_id)

    public_id = in_thread(seed)
    seen_at_publish: list[bool] = []

    def committed_already(sender: str = "", **_kwargs: object) -> None:
        if sender != BATCH_TASK:
            return

        def read() -> bool:
            with tenant_scope(tenant):
                return InboundEvent.objects.filter(provider_event_id="wamid.COMMIT").exists()

        seen_at_publish.append(in_thread(read))

    before_task_publish.connect(committed_already, weak=False)
    try:
        body = _delivery(("wamid.COMMIT", "5511999990003"))
        response = in_thread(
            lambda: post_meta(body, secret=SECRET).status_code  # the request's own connection
        )
    finally:
        before_task_publish.disconnect(committed_already)

        def cleanup() -> None:
            with tenant_scope(tenant):
                InboundEvent.objects.filter(provider_event_id="wamid.COMMIT").delete()
                ChannelConnection.objects.filter(public_id=public_id).delete()
            ChannelRoute.objects.filter(connection_public_id=public_id).delete()

        in_thread(cleanup)

    assert response == 200
    assert seen_at_publish == [True]


def test_a_delivery_of_several_messages_stores_all_of_them_in_one_transaction(
    alpha, published, django_capture_on_commit_callbacks
):
    meta_connection(
        alpha.tenant, "whatsapp_cloud", route_key=PHONE, secret=SECRET, phone_number_id=PHONE
    )
    body = _delivery(("wamid.M1", "5511999990004"), ("wamid.M2", "5511999990005"))

    with (
        CaptureQueriesContext(db) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_meta(body, secret=SECRET)

    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("INSERT") == 2
    assert statements.count("SAVEPOINT") == 1  # the transaction, inside the test's
    with tenant_scope(alpha.tenant):
        assert set(InboundEvent.objects.values_list("provider_event_id", flat=True)) >= {
            "wamid.M1",
            "wamid.M2",
        }
    assert [task for task, _, _ in published] == [BATCH_TASK]


def test_a_signature_from_another_app_stores_nothing(alpha, published):
    meta_connection(
        alpha.tenant, "whatsapp_cloud", route_key=PHONE, secret=SECRET, phone_number_id=PHONE
    )
    body = _delivery(("wamid.FORGED", "5511999990006"))

    response = post_meta(body, header=sign(body, "another-app"))

    assert response.status_code == 403
    with tenant_scope(alpha.tenant):
        assert not InboundEvent.objects.filter(provider_event_id="wamid.FORGED").exists()
    assert published == []
