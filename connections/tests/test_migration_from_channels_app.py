"""Tenants migrated before ChannelConnection moved to this app keep every row: two tenant schemas
are built at the schema of that time (channels_integrations 0003, tickets 0003, no connections
app), filled with connections, routing choices, tickets, messages, inbound events, deliveries
and the model's content type, then migrated forward.

Everything runs inside the test's transaction (PostgreSQL DDL is transactional), so the schemas
disappear with the rollback. The models used are the migrations' historical models of each
moment, never today's classes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from connections.crypto import credentials_decrypt, credentials_encrypt

BEFORE_THE_MOVE = {
    "channels_integrations": "0003_credentials_encrypted_events_deliveries",
    "tickets": "0003_message_body_fts",
    "connections": None,
    # Apps that came later (they depend on today's tickets or connections).
    "automation": None,
    "reports": None,
    "integrations": None,
    "campaigns": None,
    "privacy": None,
}
SCHEMAS = ("mig_alpha", "mig_beta")
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _targets(executor, *, before_the_move):
    leaves = executor.loader.graph.leaf_nodes()
    if not before_the_move:
        return leaves
    kept = [(app, name) for app, name in leaves if app not in BEFORE_THE_MOVE]
    return kept + list(BEFORE_THE_MOVE.items())


def _migrate(schema, *, before_the_move):
    """Migrate ``schema`` and return the historical models of the state it reached."""
    connection.set_schema(schema)
    executor = MigrationExecutor(connection)
    targets = _targets(executor, before_the_move=before_the_move)
    if not before_the_move:
        # Every migration runs inside this test's one transaction: deferred foreign-key checks
        # left by the rows written so far would make a later CREATE INDEX on the same table
        # fail ("pending trigger events"). Checked at once instead, as separate migration
        # transactions would have checked them at their commits.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return executor.migrate(targets).apps


def _models(apps, *, connection_app):
    """The historical models both moments share; the connection model in ``connection_app``."""
    names = [
        ("tickets", "Queue"),
        ("tickets", "Ticket"),
        ("tickets", "Message"),
        ("contacts", "Contact"),
        ("channels_integrations", "InboundEvent"),
        ("channels_integrations", "OutboundDelivery"),
        ("contenttypes", "ContentType"),
        ("auth", "Permission"),
        (connection_app, "ChannelConnection"),
    ]
    return SimpleNamespace(**{name: apps.get_model(app, name) for app, name in names})


def _fill(apps, label):
    """One tenant's data at the old schema; returns what must survive."""
    m = _models(apps, connection_app="channels_integrations")
    Queue, Contact, Connection = m.Queue, m.Contact, m.ChannelConnection
    Ticket, Message, ContentType, Permission = m.Ticket, m.Message, m.ContentType, m.Permission
    InboundEvent, OutboundDelivery = m.InboundEvent, m.OutboundDelivery

    queue = Queue.objects.create(name=f"Vendas {label}")
    contact = Contact.objects.create(name=f"Ana {label}")
    routed = Connection.objects.create(
        provider="telegram",
        name=f"Bot {label}",
        status="connected",
        credentials_encrypted=credentials_encrypt({"bot_token": f"token-{label}"}),
        webhook_token=f"hook-{label}",
        default_queue_id=queue.pk,
        greeting_message=f"Olá de {label}",
        farewell_message=f"Tchau de {label}",
    )
    plain = Connection.objects.create(provider="webchat", name=f"Site {label}")
    ticket = Ticket.objects.create(
        protocol=f"20261120-{label}",
        contact_id=contact.pk,
        connection_id=routed.pk,
        queue_id=queue.pk,
        last_message_at=AT,
    )
    inbound = Message.objects.create(
        ticket_id=ticket.pk, connection_id=routed.pk, direction="in", sender="contact", body="Oi"
    )
    outbound = Message.objects.create(
        ticket_id=ticket.pk, connection_id=routed.pk, direction="out", sender="agent", body="Olá!"
    )
    InboundEvent.objects.create(
        connection_id=routed.pk, provider_event_id=f"evt-{label}", kind="message", item={"x": 1}
    )
    OutboundDelivery.objects.create(
        message_id=outbound.pk, connection_id=routed.pk, idempotency_key=f"msg-{label}"
    )
    content_type = ContentType.objects.create(
        app_label="channels_integrations", model="channelconnection"
    )
    Permission.objects.create(
        content_type_id=content_type.pk, codename="view_channelconnection", name="Can view"
    )
    return {
        "routed": routed.pk,
        "plain": plain.pk,
        "queue": queue.pk,
        "ticket": ticket.pk,
        "messages": {inbound.pk, outbound.pk},
        "content_type": content_type.pk,
    }


def _check(apps, label, kept):
    m = _models(apps, connection_app="connections")
    Connection, Routing = m.ChannelConnection, apps.get_model("tickets", "ConnectionRouting")
    Ticket, Message, ContentType, Permission = m.Ticket, m.Message, m.ContentType, m.Permission
    InboundEvent, OutboundDelivery = m.InboundEvent, m.OutboundDelivery

    routed = Connection.objects.get(pk=kept["routed"])
    assert (routed.name, routed.provider, routed.status, routed.webhook_token) == (
        f"Bot {label}",
        "telegram",
        "connected",
        f"hook-{label}",
    )
    assert credentials_decrypt(routed.credentials_encrypted) == {"bot_token": f"token-{label}"}
    assert Connection.objects.count() == 2
    routing = {
        row.connection_id: (row.default_queue_id, row.greeting_message, row.farewell_message)
        for row in Routing.objects.all()
    }
    assert routing == {
        kept["routed"]: (kept["queue"], f"Olá de {label}", f"Tchau de {label}"),
        kept["plain"]: (None, "", ""),
    }
    ticket = Ticket.objects.select_related("connection").get(pk=kept["ticket"])
    assert (ticket.connection.name, ticket.queue_id) == (f"Bot {label}", kept["queue"])
    assert (
        set(Message.objects.filter(connection__name=f"Bot {label}").values_list("pk", flat=True))
        == (kept["messages"])
    )
    assert InboundEvent.objects.get().connection_id == kept["routed"]
    assert OutboundDelivery.objects.get().connection.name == f"Bot {label}"
    content_type = ContentType.objects.get(model="channelconnection")
    assert (content_type.pk, content_type.app_label) == (kept["content_type"], "connections")
    assert Permission.objects.get(codename="view_channelconnection").content_type_id == (
        content_type.pk
    )


def _tables(schema):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_two_tenants_from_before_the_move_keep_every_row_and_link():
    with connection.cursor() as cursor:
        for schema in SCHEMAS:
            cursor.execute(f"CREATE SCHEMA {schema}")
    kept = {}
    try:
        for schema in SCHEMAS:
            kept[schema] = _fill(_migrate(schema, before_the_move=True), schema)

        for schema in SCHEMAS:
            _check(_migrate(schema, before_the_move=False), schema, kept[schema])
            tables = _tables(schema)
            assert "connections_channelconnection" in tables
            assert "channels_integrations_channelconnection" not in tables
    finally:
        connection.set_schema_to_public()
