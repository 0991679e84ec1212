"""Contacts' pictures from the providers that expose one (issue 18 item 9): after a customer's
message, Telegram's getUserProfilePhotos + getFile (the simulated Bot API over real HTTP) fill
the contact's picture into the tenant's private storage, asked again at most daily; it is
served only to users who may see the contact, and shown in the inbox row and the contact panel
instead of the initial; two tenants with the same Telegram user keep their own files."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.providers.telegram.tests.support import fixture, post_update
from channels_integrations.services.connections import connection_create
from channels_integrations.tasks import contact_avatar_refresh_task
from channels_integrations.tests.support import meta_connection, process_all
from conftest import signed_in_client
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tests.support.media_storage import media_fetch
from tickets.models import Ticket

ALPHA_TOKEN = "4242424242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDalpha"
BETA_TOKEN = "4343434343:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDbeta0"
TASK = "channels_integrations.tasks.contact_avatar_refresh_task"
USER_ID = "1111111"  # the sender of the message_text fixture
ALPHA_PNG = b"\x89PNG\r\n\x1a\n" + b"alpha-picture" * 10
BETA_JPEG = b"\xff\xd8\xff\xe0" + b"beta-picture" * 10


@pytest.fixture
def sim(provider_sim):
    return provider_sim


@pytest.fixture
def bots(alpha, beta, sim, django_capture_on_commit_callbacks):
    bots = {}
    for fixture_, token in (
        (alpha, "4242424242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDalpha"),
        (beta, "4343434343:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDbeta0"),
    ):
        with tenant_scope(fixture_.tenant):
            bots[fixture_.tenant.schema_name] = connection_create(
                by=AdminFactory(), provider="telegram", name="Bot", credentials={"bot_token": token}
            )
    return bots


def _message(fixture_, bot, capture, published, update_id):
    """The customer writes to ``bot``; the picture tasks it published run in its schema."""
    body = fixture("message_text.json")
    body["update_id"] = update_id
    body["message"]["message_id"] = update_id
    before = len(published)
    assert post_update(bot, json.dumps(body).encode()).status_code == 200
    # The processing task's after-commit work runs in its tenant, as in the worker.
    with tenant_scope(fixture_.tenant), capture(execute=True):
        process_all(fixture_.tenant)
    runs = [(args, schema) for name, args, schema in published[before:] if name == TASK]
    assert all(schema == fixture_.tenant.schema_name for _args, schema in runs)
    with tenant_scope(fixture_.tenant):
        return [contact_avatar_refresh_task.apply(args=args).get() for args, _s in runs]


def test_telegram_pictures_fill_each_tenants_private_storage_at_most_daily(
    alpha, beta, bots, sim, published, media_backend, django_capture_on_commit_callbacks
):
    """On the local disk and on the object store alike."""
    capture = django_capture_on_commit_callbacks
    sim.files["ALPHA_PHOTO"] = (ALPHA_PNG, "image/png")
    sim.profile_photos[USER_ID] = "ALPHA_PHOTO"
    assert _message(alpha, bots[alpha.tenant.schema_name], capture, published, 1) == ["stored"]
    sim.files["BETA_PHOTO"] = (BETA_JPEG, "image/jpeg")
    sim.profile_photos[USER_ID] = "BETA_PHOTO"
    assert _message(beta, bots[beta.tenant.schema_name], capture, published, 2) == ["stored"]

    for fixture_, content in ((alpha, ALPHA_PNG), (beta, BETA_JPEG)):
        with tenant_scope(fixture_.tenant):
            contact = Contact.objects.get()
            assert contact.avatar.name.startswith(f"tenants/{fixture_.tenant.schema_name}/")
            with contact.avatar.open("rb") as file:
                assert file.read() == content
    asked = [r for r in sim.requests if r.method == "getUserProfilePhotos"]
    assert len(asked) == 2

    # The same day: not asked again. A day later: asked, and the new picture replaces the old.
    assert _message(alpha, bots[alpha.tenant.schema_name], capture, published, 3) == []
    with tenant_scope(alpha.tenant):
        old, contact_pk = Contact.objects.values_list("avatar", "pk").get()
        Contact.objects.update(avatar_checked_at=timezone.now() - timedelta(days=1, minutes=1))
        cache.delete(f"contact-avatar:{contact_pk}")  # the day's key, expired by then
    assert _message(alpha, bots[alpha.tenant.schema_name], capture, published, 4) == ["stored"]
    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        assert contact.avatar.name != old
        with contact.avatar.open("rb") as file:
            assert file.read() == BETA_JPEG


def test_a_user_without_a_photo_keeps_the_initial_and_is_not_asked_again_that_day(
    alpha, bots, sim, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert _message(alpha, bots[alpha.tenant.schema_name], capture, published, 5) == ["none"]
    assert _message(alpha, bots[alpha.tenant.schema_name], capture, published, 6) == []
    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        assert not contact.avatar
        assert contact.avatar_checked_at is not None


def test_the_picture_is_served_only_to_who_may_see_the_contact_and_shown_in_the_inbox(
    alpha, beta, bots, sim, published, media_backend, django_capture_on_commit_callbacks
):
    """On the local disk and on the object store alike."""
    sim.files["ALPHA_PHOTO"] = (ALPHA_PNG, "image/png")
    sim.profile_photos[USER_ID] = "ALPHA_PHOTO"
    capture = django_capture_on_commit_callbacks
    _message(alpha, bots[alpha.tenant.schema_name], capture, published, 7)
    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        ticket = Ticket.objects.get()
        admin, owner, outsider = AdminFactory(), UserFactory(), UserFactory()
        contact.owners.add(owner)
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    url = f"/contacts/{contact.public_id}/avatar/"

    response = media_fetch(signed_in_client(alpha, admin), url)
    assert response.status == 200
    assert response.body == ALPHA_PNG
    assert media_fetch(signed_in_client(alpha, owner), url).body == ALPHA_PNG
    assert signed_in_client(alpha, outsider).get(url).status_code == 404  # another's wallet
    assert signed_in_client(beta, beta_admin).get(url).status_code == 404

    client = signed_in_client(alpha, admin)
    row = client.get(
        f"/inbox/rows/{ticket.public_id}/?tab=pending", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'src="{url}?v=' in row
    panel = client.get(f"/contact-panel/{ticket.public_id}/", HTTP_HX_REQUEST="true")
    assert f'src="{url}?v=' in panel.content.decode()


PAGE = "682498302938465"
PSID = "1254477777772919"
PICTURE = "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=1254477777772919"


def test_a_messenger_picture_comes_from_the_profile_and_metas_cdn(alpha, beta, sim, respx_mock):
    """The profile (the simulated Graph API) names the picture; Meta's CDN, an HTTPS host
    outside the simulator, is answered at the HTTP boundary. Beta's contact is untouched."""
    respx_mock.route(host="127.0.0.1").pass_through()
    cdn = respx_mock.get(PICTURE).mock(
        return_value=httpx.Response(200, content=BETA_JPEG, headers={"Content-Type": "image/jpeg"})
    )
    sim.profiles[PSID] = {"first_name": "Joana", "profile_pic": PICTURE}
    messenger = meta_connection(
        alpha.tenant,
        "messenger",
        route_key=PAGE,
        secret="s",
        page_id=PAGE,
        page_access_token="page-token",
    )
    with tenant_scope(beta.tenant):
        beta_contact = ContactFactory()
    with tenant_scope(alpha.tenant):
        contact = ContactFactory()
        # Asked now: no URL from an earlier profile fetch.
        args = (contact.pk, messenger.pk, PSID, "")
        assert contact_avatar_refresh_task.apply(args=args).get() == "stored"
        contact.refresh_from_db()
        with contact.avatar.open("rb") as file:
            assert file.read() == BETA_JPEG
    assert cdn.call_count == 1
    assert "authorization" not in cdn.calls.last.request.headers  # no token to the CDN
    assert [r.method for r in sim.requests if r.account == PSID] == ["get"]
    with tenant_scope(beta.tenant):
        assert not Contact.objects.get(pk=beta_contact.pk).avatar
