"""Messenger and Instagram name their customers only by id: the contact gets its name and picture
from Meta's User Profile API (asked of the simulated Graph API, at most once a day per customer),
or a readable "Usuário do Instagram 1234" when Meta refuses; the customer's sending time (Unix
milliseconds here) is kept (issue 20, item 14)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from contacts.models import Contact, ContactIdentity
from contacts.tests.factories import ContactFactory
from simulator.server import Simulator
from tenants.tenancy import tenant_scope
from tickets.models import Message

PAGE = "682498302938465"  # the Messenger fixtures' page id
PSID = "1254477777772919"  # their customer
IG_ACCOUNT = "17841405822304914"  # the Instagram fixtures' account id
IG_BETA = "17841405822300000"
IGSID = "1110866273958297"  # their customer
PICTURE = "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=1254477777772919"


@pytest.fixture
def sim(settings):
    simulator = Simulator().start()
    settings.META_GRAPH_API_URL = simulator.graph_url
    yield simulator
    simulator.stop()


def _profile_calls(sim: Simulator, user_id: str) -> int:
    return sum(1 for r in sim.requests if r.account == user_id and r.method == "get")


def _messenger(mid: str, text: str = "Oi!") -> bytes:
    body = fixture_json("messenger", "message_text")
    message = body["entry"][0]["messaging"][0]["message"]
    message.update(mid=mid, text=text)
    return json.dumps(body).encode()


def _instagram(account: str = IG_ACCOUNT) -> bytes:
    body = copy.deepcopy(fixture_json("instagram", "message_text"))
    body["entry"][0]["id"] = account
    body["entry"][0]["messaging"][0]["recipient"]["id"] = account
    return json.dumps(body).encode()


def _deliver(tenant, body: bytes, secret: str, capture) -> None:
    with capture(execute=True):
        assert post_meta(body, secret=secret).status_code == 200
        process_all(tenant)


def test_a_messenger_customer_gets_their_profile_name_and_picture_once_a_day(
    alpha, sim, published, django_capture_on_commit_callbacks
):
    meta_connection(
        alpha.tenant,
        "messenger",
        route_key=PAGE,
        secret="page-secret",
        page_id=PAGE,
        page_access_token="page-token",
    )
    sim.profiles[PSID] = {
        "first_name": "Joana",
        "last_name": "Silva",
        "profile_pic": PICTURE,
        "locale": "pt_BR",
    }
    capture = django_capture_on_commit_callbacks

    _deliver(alpha.tenant, _messenger("m_1"), "page-secret", capture)
    _deliver(alpha.tenant, _messenger("m_2", "Ainda aí?"), "page-secret", capture)

    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        # The picture is fetched into private storage by a task (test_contact_avatars.py),
        # never kept as Meta's URL.
        assert (contact.name, contact.avatar_url) == ("Joana Silva", "")
        assert ContactIdentity.objects.get().display_name == "Joana Silva"
        first = Message.objects.order_by("id").first()
    assert _profile_calls(sim, PSID) == 1  # the second message did not ask again
    avatar_tasks = [
        args for name, args, _s in published if name.endswith("contact_avatar_refresh_task")
    ]
    assert [args[2:] for args in avatar_tasks] == [(PSID, PICTURE)]
    [call] = [r for r in sim.requests if r.account == PSID]
    assert call.status == 200
    # Messenger's timestamp is in milliseconds: kept to the millisecond as the sending time.
    assert first.sent_at == datetime(2016, 3, 23, 0, 25, 52, 478000, tzinfo=UTC)


def test_a_refused_profile_names_the_contact_readably_in_the_tenants_language(
    alpha, beta, sim, django_capture_on_commit_callbacks
):
    for fixture, account in ((alpha, IG_ACCOUNT), (beta, IG_BETA)):
        meta_connection(
            fixture.tenant,
            "instagram",
            route_key=account,
            secret=f"{fixture.tenant.schema_name}-secret",
            instagram_account_id=account,
            page_id=PAGE,
            page_access_token="page-token",
        )
    sim.profiles[IGSID] = None  # Meta answers error 230: no consent
    with tenant_scope(beta.tenant):
        beta.tenant.language = "en"
        beta.tenant.save(update_fields=["language"])

    _deliver(alpha.tenant, _instagram(), "alpha-secret", django_capture_on_commit_callbacks)
    _deliver(beta.tenant, _instagram(IG_BETA), "beta-secret", django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        assert Contact.objects.get().name == "Usuário do Instagram 8297"
    with tenant_scope(beta.tenant):
        assert Contact.objects.get().name == "Instagram user 8297"
    assert _profile_calls(sim, IGSID) == 2  # once per tenant's account, refused both times

    # The customer later allows it: once the day has passed, the placeholder gives way.
    sim.profiles[IGSID] = {"name": "Carla Dias", "username": "carla.dias"}
    body = json.loads(_instagram())
    body["entry"][0]["messaging"][0]["message"]["mid"] = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAU2"
    _deliver(
        alpha.tenant, json.dumps(body).encode(), "alpha-secret", django_capture_on_commit_callbacks
    )
    assert _profile_calls(sim, IGSID) == 2  # not within the day
    with tenant_scope(alpha.tenant):
        cache.delete(f"contact-profile:{Message.objects.first().connection_id}:{IGSID}")
    body["entry"][0]["messaging"][0]["message"]["mid"] = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAU3"
    _deliver(
        alpha.tenant, json.dumps(body).encode(), "alpha-secret", django_capture_on_commit_callbacks
    )

    assert _profile_calls(sim, IGSID) == 3
    with tenant_scope(alpha.tenant):
        assert Contact.objects.get().name == "Carla Dias"
    with tenant_scope(beta.tenant):
        assert Contact.objects.get().name == "Instagram user 8297"


def test_a_contact_an_agent_named_keeps_its_name(alpha, sim, django_capture_on_commit_callbacks):
    meta_connection(
        alpha.tenant,
        "messenger",
        route_key=PAGE,
        secret="page-secret",
        page_id=PAGE,
        page_access_token="page-token",
    )
    with tenant_scope(alpha.tenant):
        contact = ContactFactory(name="Cliente VIP")
        ContactIdentity.objects.create(contact=contact, provider="messenger", external_id=PSID)
    sim.profiles[PSID] = {"first_name": "Joana", "last_name": "Silva"}

    _deliver(alpha.tenant, _messenger("m_1"), "page-secret", django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        assert Contact.objects.get().name == "Cliente VIP"
        assert ContactIdentity.objects.get().display_name == "Joana Silva"
