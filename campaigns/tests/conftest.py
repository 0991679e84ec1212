"""Fixtures of the campaigns tests: the provider simulator, a Telegram connection pointed at it
with contacts the bot can reach, and a draft campaign for them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.tests.factories import AdminFactory
from campaigns.models import Campaign
from campaigns.services import CampaignInput, campaign_audience_add, campaign_create
from channels_integrations.services.connections import connection_create
from connections.models import ChannelConnection
from contacts.models import Contact
from contacts.tests.factories import ContactFactory, ContactIdentityFactory, TagFactory


@pytest.fixture
def sim(settings: Any) -> Iterator[Any]:
    """The simulated Telegram Bot API on a local port, the adapter pointed at it."""
    from simulator import Simulator

    simulator = Simulator().start()
    settings.TELEGRAM_API_BASE_URL = simulator.telegram_base_url
    settings.META_GRAPH_API_URL = simulator.graph_url
    yield simulator
    simulator.stop()


def bot_token() -> str:
    return f"{random.randint(10**9, 10**10 - 1)}:AAH{random.randbytes(16).hex()}"  # noqa: S311


@dataclass
class Audience:
    admin: Any
    connection: ChannelConnection
    contacts: list[Any]
    token: str

    def chat_ids(self) -> list[str]:
        return [f"9{c.pk:07d}" for c in self.contacts]


def telegram_audience(count: int, *, tag_name: str = "", prefix: str = "Cliente") -> Audience:
    """A Telegram connection (created through the service against the simulator) and
    ``count`` contacts with a chat on it, tagged ``tag_name`` when given; call in a tenant."""
    token = bot_token()
    admin: Any = AdminFactory(email=f"campaigns-{token[:10]}@example.com")
    connection = connection_create(
        by=admin, provider="telegram", name=f"Bot {token[:6]}", credentials={"bot_token": token}
    )
    tag = TagFactory(name=tag_name) if tag_name else None
    contacts = []
    for i in range(count):
        contact = ContactFactory(name=f"{prefix} {i} Silva")
        ContactIdentityFactory(
            contact=contact, provider="telegram", external_id=f"9{contact.pk:07d}"
        )
        if tag is not None:
            contact.tags.add(tag)
        contacts.append(contact)
    return Audience(admin=admin, connection=connection, contacts=contacts, token=token)


def draft_campaign(
    audience: Audience,
    *,
    variants: tuple[str, ...] = ("Olá {{contact.first_name}}!",),
    per_minute: int = 600,
    name: str = "Black Friday",
) -> Campaign:
    campaign = campaign_create(
        by=audience.admin,
        data=CampaignInput(
            name=name, connection=audience.connection, variants=variants, per_minute=per_minute
        ),
    )
    campaign_audience_add(
        campaign=campaign,
        contacts=Contact.objects.filter(pk__in=[c.pk for c in audience.contacts]),
    )
    return campaign
