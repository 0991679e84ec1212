"""A contact with personal data in every place the product keeps it, each value a unique canary
(``seed_contact``); call inside a tenant scope. Used by the export, erasure and retention tests
and by the reliability suite's canary scan."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from channels_integrations.models import BlockedMessage, InboundEvent, OutboundChange
from contacts.models import Contact, Tag
from contacts.tests.factories import ContactFactory, ContactIdentityFactory, TagFactory
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tickets.models import Message, MessageEdit, Ticket
from tickets.tests.factories import ConnectionFactory, MessageFactory, TicketFactory


@dataclass
class Seeded:
    contact: Contact
    tickets: list[Ticket]
    canaries: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    import_id: int | None = None
    tag_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)


def seed_contact(tag, *, name=None, phone=None):
    """A contact on two channels (Telegram and the web chat) whose every personal value holds
    the canary prefix ``tag`` (name, phone, e-mail, notes, attributes, identities, messages,
    a note, an edit, files, raw inbound items, blocked messages, webhook bodies and echoes)."""
    c = f"{tag}{uuid.uuid4().hex[:8]}"  # unique per call: two seeds never share a canary
    canaries = []

    def canary(label):
        value = f"{c}-{label}"
        canaries.append(value)
        return value

    phone = phone or "+5511" + str(int(uuid.uuid4().int % 10**9)).zfill(9)
    contact = ContactFactory(
        name=name or canary("name"),
        phone=phone,
        email=f"{canary('mail')}@example.com",
        notes=canary("notes"),
        custom_attributes={"cpf": canary("attr"), "nested": [canary("attrlist")]},
        avatar_url=f"https://cdn.example.com/{canary('avatar')}.jpg",
    )
    contact.avatar.save("avatar.jpg", ContentFile(canary("avatarfile").encode()), save=True)
    tag = TagFactory(name=f"tag {uuid.uuid4().hex[:6]}")
    contact.tags.add(tag)
    telegram = ConnectionFactory(provider="telegram", name=f"Telegram {c}")
    webchat = ConnectionFactory(provider="webchat", name=f"Site {c}")
    tg_id = canary("tgid")
    visitor_id = canary("visitor")
    ContactIdentityFactory(
        contact=contact, provider="telegram", external_id=tg_id, display_name=canary("tgname")
    )
    ContactIdentityFactory(contact=contact, provider="webchat", external_id=visitor_id)
    admin = AdminFactory()
    closed = timezone.now() - timedelta(days=3)
    tickets = [
        TicketFactory(
            contact=contact,
            connection=telegram,
            status=Ticket.Status.CLOSED,
            closed_at=closed,
            last_message_preview=canary("preview"),
        ),
        TicketFactory(
            contact=contact,
            connection=webchat,
            status=Ticket.Status.PENDING,
            last_message_preview=canary("preview2"),
        ),
    ]
    files = []
    for ticket in tickets:
        inbound = MessageFactory(
            ticket=ticket,
            body=canary("inbound"),
            provider_message_id=canary("pmid"),
            payload={"raw": {"text": canary("payload")}},
        )
        MessageEdit.objects.create(message=inbound, previous_body=canary("edit"))
        reply = MessageFactory(
            ticket=ticket,
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.AGENT,
            sender_contact=None,
            sender_user=admin,
            body=canary("reply"),
        )
        OutboundChange.objects.create(
            message=reply,
            connection=ticket.connection,
            kind="edit",
            body=canary("change"),
            idempotency_key=uuid.uuid4().hex,
        )
        MessageFactory(
            ticket=ticket,
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.AGENT,
            sender_contact=None,
            sender_user=admin,
            is_note=True,
            body=canary("note"),
        )
        document = MessageFactory(
            ticket=ticket,
            kind=Message.Kind.DOCUMENT,
            body="",
            media_name=f"{canary('filename')}.pdf",
            media_mime="application/pdf",
        )
        document.media.save(f"{c}.pdf", ContentFile(canary("filecontent").encode()), save=True)
        files.append(str(document.media.name))
        InboundEvent.objects.create(
            connection=ticket.connection,
            provider_event_id=uuid.uuid4().hex,
            kind=InboundEvent.Kind.MESSAGE,
            status=InboundEvent.Status.PROCESSED,
            item={
                "external_id": tg_id if ticket.connection == telegram else visitor_id,
                "contact_name": canary("rawname"),
                "body": canary("rawbody"),
                "provider_message_id": inbound.provider_message_id,
            },
        )
    blocked_event = InboundEvent.objects.create(
        connection=telegram,
        provider_event_id=uuid.uuid4().hex,
        kind=InboundEvent.Kind.MESSAGE,
        status=InboundEvent.Status.PROCESSED,
        item={"external_id": tg_id, "body": canary("bl")},
    )
    BlockedMessage.objects.create(
        event=blocked_event,
        contact=contact,
        connection=telegram,
        kind="text",
        body=canary("blocked"),
        received_at=timezone.now(),
    )
    subscription = WebhookSubscription.objects.create(
        name=f"hook {c}",
        url="https://hooks.example.com/in",
        event_types=["message.created"],
        secret_encrypted="sealed",
    )
    body: dict[str, Any] = {
        "event": "message.created",
        "data": {
            "contact": {"id": str(contact.public_id), "name": contact.name, "phone": contact.phone},
            "message": {"body": canary("hookbody")},
        },
    }
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event_type="message.created", body=json.dumps(body)
    )
    WebhookAttempt.objects.create(
        delivery=delivery, status_code=200, response_excerpt=json.dumps(body)[:900]
    )
    from campaigns.models import Campaign, CampaignRecipient

    campaign = Campaign.objects.create(name=f"campanha {c}", connection=tickets[0].connection)
    CampaignRecipient.objects.create(
        campaign=campaign,
        contact=contact,
        idempotency_key=f"campaign-{c}",
        body=f"Oi {contact.name}, {canary('campaign')}",
        provider_message_id=canary("campaignid"),
        error_detail=f"Recipient {phone} unreachable",
    )
    from contacts.models import ContactImport

    job = ContactImport(
        status=ContactImport.Status.DONE,
        original_name="clientes.csv",
        errors=[{"row": 3, "field": "email", "message": f"Not an e-mail: {contact.email}"}],
    )
    job.file.save("import.csv", ContentFile(f"Nome;Telefone\n{contact.name};{phone}\n".encode()))
    canaries.append(phone)
    return Seeded(
        contact=contact,
        tickets=tickets,
        canaries=canaries,
        files=files,
        import_id=job.pk,
        tag_ids=[tag.pk],
        user_ids=[admin.pk],
    )


def seeded_remove(seeded):
    """Delete what ``seed_contact`` committed (for tests that commit from threads)."""
    from accounts.models import User
    from automation.models import OutOfHoursNotice
    from contacts.models import ContactImport
    from privacy.models import PrivacyRequest
    from reports.models import Attendance
    from tickets.models import TicketEvent

    contact = seeded.contact
    tickets = Ticket.objects.filter(contact=contact)
    connections = [t.connection_id for t in seeded.tickets]
    messages = Message.objects.filter(ticket__in=tickets)
    users = set(messages.exclude(sender_user=None).values_list("sender_user_id", flat=True))
    WebhookSubscription.objects.filter(name__startswith="hook zz").delete()
    ContactImport.objects.filter(pk=seeded.import_id).delete()
    BlockedMessage.objects.filter(connection_id__in=connections).delete()
    InboundEvent.objects.filter(connection_id__in=connections).delete()
    OutboundChange.objects.filter(message__in=messages).delete()
    MessageEdit.objects.filter(message__in=messages).delete()
    OutOfHoursNotice.objects.filter(ticket__in=tickets).delete()
    Attendance.objects.filter(ticket__in=tickets).delete()
    messages.delete()
    TicketEvent.objects.filter(ticket__in=tickets).delete()
    tickets.delete()
    PrivacyRequest.objects.filter(contact_ref=contact.pk).delete()
    # The erasure unlinked the tag: delete it by its id, as the users who made nothing.
    linked = list(contact.tags.values_list("pk", flat=True))
    Tag.objects.filter(pk__in=[*seeded.tag_ids, *linked]).delete()
    Contact.objects.filter(pk=contact.pk).delete()
    from campaigns.models import Campaign
    from connections.models import ChannelConnection

    Campaign.objects.filter(connection_id__in=connections).delete()

    ChannelConnection.objects.filter(pk__in=connections).delete()
    User.objects.filter(pk__in={*users, *seeded.user_ids}).delete()
