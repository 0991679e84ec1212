"""What a report's filters offer to pick from."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from connections.models import ChannelConnection
from connections.providers.registry import provider_label
from contacts.models import Tag
from tickets.models import Queue


@dataclass(frozen=True)
class FilterChoices:
    """(value, label) pairs per filter; agents get no agent choice (they see only their own)."""

    queues: list[tuple[int, str]]
    agents: list[tuple[int, str]]
    providers: list[tuple[str, str]]
    tags: list[tuple[int, str]]
    connections: list[tuple[int, str]]


def report_filter_choices(*, user: User) -> FilterChoices:
    """The tenant's queues (agents: theirs), agents (admins only), tags and connections, and
    the channels those connections are on; four queries for an admin, three for an agent."""
    queues = Queue.objects.order_by("name", "pk")
    if not user.is_admin:
        queues = queues.filter(members=user)
    agents: list[tuple[int, str]] = []
    if user.is_admin:
        agents = [
            (pk, name or email)
            for pk, name, email in User.objects.order_by("name", "email").values_list(
                "pk", "name", "email"
            )
        ]
    connections = list(
        ChannelConnection.objects.order_by("name", "pk").values_list("pk", "name", "provider")
    )
    providers = sorted({provider for _, _, provider in connections})
    return FilterChoices(
        queues=list(queues.values_list("pk", "name")),
        agents=agents,
        providers=[(key, provider_label(key)) for key in providers],
        tags=list(Tag.objects.order_by("name", "pk").values_list("pk", "name")),
        connections=[(pk, name) for pk, name, _ in connections],
    )
