"""The getting-started checklist of a new tenant: which steps are done, read from real data.

A step is done when its data exists (a queue; a connected channel; a second user; a message
that reached a web chat connection). A step seen done is remembered on the tenant
(``tenants.services.tenant_onboarding_update``), so it stays ticked even if its data goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from connections.models import ChannelConnection
from connections.providers.registry import providers_installed
from tenants.models import Tenant
from tenants.services import tenant_onboarding_update
from tickets.models import Message, Queue

WEBCHAT = "webchat"


@dataclass(frozen=True)
class OnboardingLink:
    label: str | Promise
    url: str
    testid: str


@dataclass(frozen=True)
class OnboardingStep:
    key: str
    title: Promise
    text: Promise
    links: list[OnboardingLink]
    done: bool


def _queue_done(user: User) -> bool:
    return Queue.objects.exists()


def _channel_done(user: User) -> bool:
    return ChannelConnection.objects.filter(status=ChannelConnection.Status.CONNECTED).exists()


def _agent_done(user: User) -> bool:
    return User.objects.exclude(pk=user.pk).exists()


def _widget_done(user: User) -> bool:
    return Message.objects.filter(
        direction=Message.Direction.INBOUND, connection__provider=WEBCHAT
    ).exists()


_CHECKS = {
    "queue": _queue_done,
    "channel": _channel_done,
    "agent": _agent_done,
    "widget": _widget_done,
}


def _widget_links() -> list[OnboardingLink]:
    webchat = ChannelConnection.objects.filter(provider=WEBCHAT).order_by("created_at").first()
    if webchat is None:
        url = reverse("manage:connection-new", args=[WEBCHAT])
        return [OnboardingLink(_("Create a web chat"), url, "onboarding-widget-create")]
    return [
        OnboardingLink(
            _("Send a test message"), f"/widget/{webchat.public_id}/try/", "onboarding-widget-try"
        ),
        OnboardingLink(
            _("Get the snippet for your site"),
            reverse("manage:connection", args=[webchat.public_id]),
            "onboarding-widget-snippet",
        ),
    ]


def onboarding_steps(*, tenant: Tenant, user: User) -> list[OnboardingStep] | None:
    """The checklist for ``user`` (an admin), or None when it is hidden or every step is done.

    Steps not remembered yet are read from the data; the ones found done are remembered.
    """
    stored = tenant.settings or {}
    if stored.get("onboarding_dismissed"):
        return None
    remembered = set(stored.get("onboarding_done") or [])
    done = {key for key, check in _CHECKS.items() if key in remembered or check(user)}
    if done - remembered:
        tenant_onboarding_update(tenant=tenant, done=done)
    if done == set(_CHECKS):
        return None
    providers = [
        OnboardingLink(label, reverse("manage:connection-new", args=[key]), f"onboarding-{key}")
        for key, label in providers_installed()
    ]
    return [
        OnboardingStep(
            "queue",
            _("Create a queue"),
            _("Queues group conversations by team or subject (Sales, Support)."),
            [OnboardingLink(_("Queues"), reverse("manage:queues"), "onboarding-queues")],
            "queue" in done,
        ),
        OnboardingStep(
            "channel",
            _("Connect a channel"),
            _("Each page explains where every value it asks for comes from."),
            providers,
            "channel" in done,
        ),
        OnboardingStep(
            "agent",
            _("Invite an agent"),
            _("Add the people who answer your customers."),
            [OnboardingLink(_("Users"), reverse("manage:users"), "onboarding-users")],
            "agent" in done,
        ),
        OnboardingStep(
            "widget",
            _("Test the web chat"),
            _("Write to your web chat as a visitor would; the message arrives in this inbox."),
            _widget_links(),
            "widget" in done,
        ),
    ]
