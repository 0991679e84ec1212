"""Helpers of the reliability tests: tokens, clients and the API's error shape."""

from __future__ import annotations

from typing import Any

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from tenants.tenancy import tenant_scope

ERROR_KEYS = {"code", "message", "extra"}


def admin_token(fixture: Any) -> str:
    """An access token of the tenant's first admin, issued in that tenant."""
    with tenant_scope(fixture.tenant):
        user = User.objects.get(email=fixture.admin_email)
        return issue_token_pair(user)["access"]


def bearer_client(host: str, token: str | None = None) -> Client:
    """A test client on ``host`` that gets the response a user would get for any exception
    (the error handlers' answer) instead of the exception itself."""
    extra: dict[str, Any] = {"HTTP_HOST": host}
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(raise_request_exception=False, **extra)


def is_error_shape(response: Any) -> bool:
    """The body is exactly ``{code, message, extra}`` with a non-empty code and message."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and set(body) == ERROR_KEYS
        and isinstance(body["code"], str)
        and bool(body["code"])
        and isinstance(body["message"], str)
        and bool(body["message"])
        and isinstance(body["extra"], dict)
    )


# ---------------------------------------------------------------- one object of every kind


def seed_objects(fixture: Any, canary: str) -> dict[str, str]:
    """One object of every kind the API addresses by id, in ``fixture``'s tenant, with ``canary``
    in every text field and file an API response could echo. Returns the ids the API uses,
    keyed by kind (see ``fill_path``). Call inside the test's transaction (rolled back)."""
    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.tests.factories import UserFactory
    from automation.tests.support import make_flow, menu_graph
    from campaigns.models import Campaign, CampaignMedia, CampaignRecipient
    from campaigns.services import campaign_media_upload
    from channels_integrations.models import MessageTemplate
    from connections.crypto import credentials_encrypt
    from connections.models import ChannelConnection
    from contacts.models import ContactImport
    from contacts.tests.factories import AttributeDefinitionFactory, ContactFactory, TagFactory
    from integrations.models import WebhookDelivery, WebhookSubscription
    from integrations.services.api_keys import api_key_create
    from tickets.models import Message
    from tickets.tests.factories import (
        ConnectionFactory,
        MessageFactory,
        QueueFactory,
        QuickReplyFactory,
        TicketFactory,
    )

    with tenant_scope(fixture.tenant):
        admin = User.objects.get(email=fixture.admin_email)
        queue = QueueFactory(name=f"{canary} queue")
        agent = UserFactory(name=f"{canary} agent", queues=[queue])
        tag = TagFactory(name=f"{canary}-tag")
        contact = ContactFactory(name=f"{canary} contact", notes=canary)
        contact.tags.add(tag)
        connection = ConnectionFactory(name=f"{canary} connection")
        ticket = TicketFactory(
            contact=contact,
            connection=connection,
            queue=queue,
            status="open",
            assignee=admin,
            last_message_preview=canary,
        )
        message = MessageFactory(
            ticket=ticket,
            body=f"{canary} message body",
            kind=Message.Kind.DOCUMENT,
            media=ContentFile(canary.encode(), name="canary.txt"),
            media_name="canary.txt",
            media_mime="text/plain",
        )
        reply = QuickReplyFactory(body=f"{canary} quick reply", owner=None)
        attribute = AttributeDefinitionFactory(label=f"{canary} attribute")
        contact_import = ContactImport.objects.create(
            file=ContentFile(f"name,phone\n{canary},+5511999990000\n".encode(), name="c.csv"),
            original_name=f"{canary}.csv",
            created_by=admin,
        )
        api_key, _secret = api_key_create(
            by=admin,
            name=f"{canary} key",
            scopes=["send:write"],
            connection=ChannelConnection.objects.get(pk=connection.pk),
        )
        webhook = WebhookSubscription.objects.create(
            name=f"{canary} webhook",
            url="https://93.184.215.14/hooks",
            event_types=["ticket.closed"],
            secret_encrypted=credentials_encrypt({"secret": canary}),
        )
        delivery = WebhookDelivery.objects.create(
            subscription=webhook, event_type="ticket.closed", body=f'{{"canary": "{canary}"}}'
        )
        flow_queue = QueueFactory(name=f"{canary} flow queue")
        flow = make_flow(
            admin,
            menu_graph(sales_queue=flow_queue.pk, support_queue=flow_queue.pk),
            name=f"{canary} flow",
        )
        assert flow.current_version is not None  # saved with its first version
        template = MessageTemplate.objects.create(
            connection=ChannelConnection.objects.get(pk=connection.pk),
            name=f"{canary}_template".lower(),
            language="pt_BR",
            category=MessageTemplate.Category.UTILITY,
            status=MessageTemplate.Status.APPROVED,
            components=[{"type": "BODY", "text": f"{canary} {{{{1}}}}"}],
        )
        campaign = Campaign.objects.create(
            name=f"{canary} campaign",
            connection=ChannelConnection.objects.get(pk=connection.pk),
            variants=[f"{canary} campaign text"],
            created_by=admin,
        )
        CampaignRecipient.objects.create(
            campaign=campaign,
            contact_id=contact.pk,
            idempotency_key=f"{canary}-campaign",
            body=f"{canary} campaign text",
        )
        # A file of the campaign whose name and bytes carry the canary.
        campaign_file = campaign_media_upload(
            file=SimpleUploadedFile(f"{canary}.txt", canary.encode(), content_type="text/plain")
        )
        CampaignMedia.objects.filter(pk=campaign_file.pk).update(campaign=campaign, variant=0)
        return {
            "campaign": str(campaign.public_id),
            "campaign_media": str(campaign_file.public_id),
            "template": str(template.public_id),
            "flow": str(flow.public_id),
            "flow_version": str(flow.current_version.number),
            "api_key": str(api_key.public_id),
            "webhook": str(webhook.public_id),
            "webhook_delivery": str(delivery.public_id),
            "ticket": str(ticket.public_id),
            "contact": str(contact.public_id),
            "message": str(message.public_id),
            "connection": str(connection.public_id),
            "import": str(contact_import.public_id),
            "queue": str(queue.pk),
            "user": str(agent.pk),
            "quick_reply": str(reply.pk),
            "tag": str(tag.pk),
            "attribute": str(attribute.pk),
        }


# Which object a path parameter names, by the path's first segment after /api/v1/.
_PATH_KINDS = {
    ("contacts/imports", "public_id"): "import",
    ("tickets", "public_id"): "ticket",
    ("contacts", "public_id"): "contact",
    ("messages", "public_id"): "message",
    ("connections", "public_id"): "connection",
    ("queues", "id"): "queue",
    ("business-hours/queues", "id"): "queue",
    ("users", "id"): "user",
    ("quick-replies", "id"): "quick_reply",
    ("tags", "tag_id"): "tag",
    ("contact-attributes", "definition_id"): "attribute",
    ("api-keys", "public_id"): "api_key",
    ("webhooks", "public_id"): "webhook",
    ("webhooks", "delivery_id"): "webhook_delivery",
    ("/v1/api/external", "api_id"): "api_key",
    ("flows", "public_id"): "flow",
    ("flows", "number"): "flow_version",
    ("templates", "public_id"): "template",
    ("campaigns", "public_id"): "campaign",
    ("campaigns/media", "public_id"): "campaign_media",
}


def fill_path(template: str, ids: dict[str, str]) -> str:
    """``/api/v1/tickets/{public_id}/notes/`` with the id of the right kind of object.

    A path parameter this table does not know fails loudly, so a new kind of endpoint gets a
    line here instead of silently escaping the suites that iterate over the schema.
    """
    import re

    rest = template.removeprefix("/api/v1/")
    for name in re.findall(r"{(\w+)}", template):
        prefix = rest.split("/{", 1)[0]
        kind = _PATH_KINDS.get((prefix, name))
        if kind is None:
            raise LookupError(f"map path parameter {name!r} of {template} in _PATH_KINDS")
        template = template.replace(f"{{{name}}}", ids[kind])
    return template


def full_api_key(fixture: Any) -> str:
    """The secret of an API key of the tenant's first admin holding every scope."""
    from integrations.scopes import PRESET_FULL
    from integrations.services.api_keys import api_key_create

    with tenant_scope(fixture.tenant):
        user = User.objects.get(email=fixture.admin_email)
        return api_key_create(by=user, name="R11", scopes=list(PRESET_FULL))[1]


def openapi_schema(host: str, token: str) -> dict[str, Any]:
    response = bearer_client(host, token).get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200, response.content[:300]
    return response.json()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) for every operation of the schema."""
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
