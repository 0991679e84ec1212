"""The webhook routes' in-process cache (``channels_integrations.services.webhook_routes``):
a warm process acknowledges a delivery without reading the route or the connection, and every
change that must refuse or divert a webhook reaches it before its next one: a suspended tenant
(kept, not processed), a deactivated or deleted connection (404), a changed secret (403), a
change made by another process (through the Redis generation). Two tenants stay apart. A
connection deleted before the change reaches the process answers 404, never 500."""

from __future__ import annotations

from django.db import connection as db
from django.db import connections
from django.test.utils import CaptureQueriesContext

from channels_integrations.models import InboundEvent
from channels_integrations.tests.support import meta_connection, post_meta
from connections.models import ChannelConnection
from core.redis import redis_client
from simulator import whatsapp_text_webhook
from tenants.models import ChannelRoute
from tenants.services import tenant_resume, tenant_suspend
from tenants.tenancy import redis_key_public, tenant_scope
from tests.support.concurrency import database_session, in_thread

PHONE_A = "106540352242001"
PHONE_B = "106540352242002"
SECRET_A = "alpha-app-secret"
SECRET_B = "beta-app-secret"
BATCH_TASK = "channels_integrations.tasks.inbound_batches_process_task"


def _delivery(phone: str, wamid: str) -> bytes:
    """A WhatsApp Cloud delivery of one text message to ``phone``."""
    return whatsapp_text_webhook(
        phone_number_id=phone, sender="5511988880000", message_id=wamid, text=f"oi {wamid}"
    )


def _post(phone: str, wamid: str, secret: str) -> tuple[int, list[str]]:
    """The answer's status and the statements the request ran."""
    with CaptureQueriesContext(db) as queries:
        response = post_meta(_delivery(phone, wamid), secret=secret)
    return response.status_code, [q["sql"].split()[0].upper() for q in queries.captured_queries]


def _stored(tenant, wamid: str) -> bool:
    with tenant_scope(tenant):
        return InboundEvent.objects.filter(provider_event_id=wamid).exists()


def _connection(tenant, phone: str, secret: str) -> ChannelConnection:
    return meta_connection(
        tenant, "whatsapp_cloud", route_key=phone, secret=secret, phone_number_id=phone
    )


WARM = (200, ["SET", "INSERT"])  # a warm process: no route or connection read
# ... and its connection's search path already the tenant's (its previous webhook's tenant)
WARM_SAME_TENANT = (200, ["INSERT"])


def test_two_tenants_each_get_their_own_connection_from_the_cache(alpha, beta, published):
    _connection(alpha.tenant, PHONE_A, SECRET_A)
    _connection(beta.tenant, PHONE_B, SECRET_B)

    cold = [_post(PHONE_A, "wamid.A1", SECRET_A)[0], _post(PHONE_B, "wamid.B1", SECRET_B)[0]]
    warm = [_post(PHONE_A, "wamid.A2", SECRET_A), _post(PHONE_B, "wamid.B2", SECRET_B)]
    # beta's number signed with alpha's secret: refused, stored nowhere
    crossed = _post(PHONE_B, "wamid.CROSS", SECRET_A)[0]

    assert cold == [200, 200]
    assert warm == [WARM, WARM]
    assert crossed == 403
    assert [_stored(alpha.tenant, w) for w in ("wamid.A1", "wamid.A2", "wamid.B2")] == [
        True,
        True,
        False,
    ]
    assert [_stored(beta.tenant, w) for w in ("wamid.B1", "wamid.B2", "wamid.A2")] == [
        True,
        True,
        False,
    ]
    assert not _stored(alpha.tenant, "wamid.CROSS")
    assert not _stored(beta.tenant, "wamid.CROSS")


def test_a_suspension_bites_on_the_next_webhook_of_a_warm_process(
    alpha, beta, published, django_capture_on_commit_callbacks
):
    _connection(alpha.tenant, PHONE_A, SECRET_A)
    _connection(beta.tenant, PHONE_B, SECRET_B)
    with django_capture_on_commit_callbacks(execute=True):
        warm = [_post(PHONE_A, "wamid.S1", SECRET_A), _post(PHONE_A, "wamid.S2", SECRET_A)]
    published.clear()

    tenant_suspend(tenant=alpha.tenant)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            suspended = _post(PHONE_A, "wamid.S3", SECRET_A)[0]
            other = _post(PHONE_B, "wamid.S4", SECRET_B)[0]  # beta is not suspended
        tasks_while_suspended = [(task, schema) for task, _, schema in published]
    finally:
        tenant_resume(tenant=alpha.tenant)
    resumed = _post(PHONE_A, "wamid.S5", SECRET_A)[0]

    assert warm[1] == WARM_SAME_TENANT
    # kept for the sweeper once resumed, but not processed while suspended
    assert suspended == 200
    assert _stored(alpha.tenant, "wamid.S3")
    assert other == 200
    assert tasks_while_suspended == [(BATCH_TASK, beta.tenant.schema_name)]
    assert resumed == 200


def test_a_deactivated_connection_is_refused_on_the_next_webhook(alpha, published):
    connection = _connection(alpha.tenant, PHONE_A, SECRET_A)
    warm = [_post(PHONE_A, "wamid.D1", SECRET_A), _post(PHONE_A, "wamid.D2", SECRET_A)]

    with tenant_scope(alpha.tenant):
        connection.is_active = False
        connection.save()
    refused = _post(PHONE_A, "wamid.D3", SECRET_A)[0]

    assert warm[1] == WARM_SAME_TENANT
    assert refused == 404
    assert not _stored(alpha.tenant, "wamid.D3")


def test_a_deleted_connection_is_refused_on_the_next_webhook(alpha, published):
    connection = _connection(alpha.tenant, PHONE_A, SECRET_A)
    warm = [_post(PHONE_A, "wamid.X1", SECRET_A), _post(PHONE_A, "wamid.X2", SECRET_A)]

    with tenant_scope(alpha.tenant):
        InboundEvent.objects.filter(connection=connection).delete()
        connection.delete()  # its route stays: only the connection is gone
    refused = _post(PHONE_A, "wamid.X3", SECRET_A)[0]

    assert warm[1] == WARM_SAME_TENANT
    assert refused == 404
    with tenant_scope(alpha.tenant):
        assert not InboundEvent.objects.exists()


def test_a_changed_secret_is_required_on_the_next_webhook(alpha, published):
    connection = _connection(alpha.tenant, PHONE_A, SECRET_A)
    warm = [_post(PHONE_A, "wamid.K1", SECRET_A), _post(PHONE_A, "wamid.K2", SECRET_A)]

    with tenant_scope(alpha.tenant):
        connection.credentials = {**connection.credentials, "app_secret": "rotated-secret"}
        connection.save()
    old = _post(PHONE_A, "wamid.K3", SECRET_A)[0]
    new = _post(PHONE_A, "wamid.K4", "rotated-secret")[0]

    assert warm[1] == WARM_SAME_TENANT
    assert (old, new) == (403, 200)
    assert not _stored(alpha.tenant, "wamid.K3")


def test_a_change_by_another_process_reaches_this_one_through_the_generation(alpha, published):
    """Another process deactivates the connection (here: an update without signals, as this
    process sees another's write) and bumps the "channels" generation once committed."""
    connection = _connection(alpha.tenant, PHONE_A, SECRET_A)
    warm = [_post(PHONE_A, "wamid.G1", SECRET_A), _post(PHONE_A, "wamid.G2", SECRET_A)]

    with tenant_scope(alpha.tenant):
        ChannelConnection.objects.filter(pk=connection.pk).update(is_active=False)
    redis_client().incr(redis_key_public("channels", "generation"))
    refused = _post(PHONE_A, "wamid.G3", SECRET_A)[0]

    assert warm[1] == WARM_SAME_TENANT
    assert refused == 404
    assert not _stored(alpha.tenant, "wamid.G3")


def test_an_insert_racing_the_connections_deletion_answers_404_and_stores_nothing(alpha):
    """Committed, in autocommit as under gunicorn: the connection is deleted by another
    session whose generation bump has not reached this process; the cached connection's
    ``INSERT`` fails its foreign key and the webhook answers 404, not 500."""
    tenant = alpha.tenant

    def seed() -> str:
        return str(_connection(tenant, PHONE_A, SECRET_A).public_id)

    public_id = in_thread(seed)
    try:
        warm = [in_thread(lambda w=w: _post(PHONE_A, w, SECRET_A)) for w in ("wamid.R1", "R2")]
        session = database_session(autocommit=True, schema=tenant.schema_name)
        try:
            session.execute(
                "DELETE FROM channels_integrations_inboundevent WHERE connection_id IN"
                " (SELECT id FROM connections_channelconnection WHERE public_id = %s)",
                [public_id],
            )
            session.execute(
                "DELETE FROM connections_channelconnection WHERE public_id = %s", [public_id]
            )
        finally:
            session.close()

        raced = in_thread(lambda: _post(PHONE_A, "wamid.R3", SECRET_A))
        after = in_thread(lambda: _post(PHONE_A, "wamid.R4", SECRET_A)[0])

        def stored() -> int:
            with tenant_scope(tenant):
                return InboundEvent.objects.count()

        left = in_thread(stored)
    finally:

        def cleanup() -> None:
            with tenant_scope(tenant):
                InboundEvent.objects.filter(connection__public_id=public_id).delete()
                ChannelConnection.objects.filter(public_id=public_id).delete()
            ChannelRoute.objects.filter(connection_public_id=public_id).delete()
            connections.close_all()

        in_thread(cleanup)

    assert warm[1] == WARM  # each on a thread of its own: a new connection
    assert raced == (404, ["SET", "INSERT"])  # the cached connection's insert, refused
    assert after == 404  # the entry was dropped: the route is read again, no connection
    assert left == 0
