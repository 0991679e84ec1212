"""The profile page: name, language, signature and notification preferences saved through the
services and acted on (the inbox reads the preferences); a photo in the tenant's private
storage served only to signed-in colleagues; the password changed with the current one, which
signs the other devices out; the devices listed and signed out, their sockets closed."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory, users_with_the_same_id
from conftest import host_api_client, host_client, sign_in, signed_in_client, token_pair
from tenants.realtime import CLOSE_UNAUTHENTICATED
from tenants.tenancy import tenant_scope

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
NEW_PASSWORD = "Brand-New-Secret-77"


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open(monkeypatch):
    """The socket test runs the ASGI stack on this test's connection (see
    accounts/tests/test_websocket_entry.py for why this must stay open)."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _profile_post(client, **changes):
    values = {
        "name": "Ana Lima",
        "language": "",
        "signature": "",
        **changes,
    }
    return client.post("/accounts/profile/", values)


def _upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _agent(fixture, **fields):
    with tenant_scope(fixture.tenant):
        return UserFactory(**fields)


def _reload(fixture, user) -> User:
    with tenant_scope(fixture.tenant):
        return User.objects.get(pk=user.pk)


def test_the_profile_page_needs_a_signed_in_user(alpha):
    assert host_client(alpha.host).get("/accounts/profile/").status_code == 302
    page = signed_in_client(alpha, _agent(alpha)).get("/accounts/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    for testid in ("profile-form", "password-form", "session-list", "sessions-end-all"):
        assert f'data-testid="{testid}"' in html


def test_saved_preferences_are_stored_and_the_inbox_reads_them(alpha):
    agent = _agent(alpha, language="")
    client = signed_in_client(alpha, agent)
    inbox = client.get("/").content.decode()
    assert 'data-notify-sound="0" data-notify-sound-messages="0" data-notify-desktop="0"' in inbox

    saved = _profile_post(
        client,
        name="Ana Lima",
        language="en",
        signature="Ana · Suporte",
        sign_messages="on",
        notify_sound="on",
        notify_desktop="on",
    )

    assert saved.status_code == 302
    stored = _reload(alpha, agent)
    assert (stored.name, stored.language, stored.signature) == ("Ana Lima", "en", "Ana · Suporte")
    assert (stored.sign_messages, stored.notify_sound, stored.notify_desktop) == (True, True, True)
    assert stored.notify_sound_messages is False  # each sound is its own choice
    inbox = client.get("/")
    assert inbox["Content-Language"] == "en"
    assert (
        'data-notify-sound="1" data-notify-sound-messages="0" data-notify-desktop="1"'
        in inbox.content.decode()
    )

    _profile_post(client, name="Ana Lima", language="en", notify_sound_messages="on")

    stored = _reload(alpha, agent)
    assert (stored.notify_sound, stored.notify_sound_messages) == (False, True)
    assert (
        'data-notify-sound="0" data-notify-sound-messages="1"' in client.get("/").content.decode()
    )


def test_signing_without_a_signature_is_refused_next_to_the_field_and_nothing_is_stored(alpha):
    agent = _agent(alpha, name="Before")
    client = signed_in_client(alpha, agent)

    refused = _profile_post(client, name="After", sign_messages="on", notify_sound="on")

    assert refused.status_code == 400
    assert "has-error" in refused.content.decode()
    stored = _reload(alpha, agent)
    assert (stored.name, stored.sign_messages, stored.notify_sound) == ("Before", False, False)


def test_a_photo_is_stored_privately_and_shown_to_colleagues_only(alpha, beta):
    agent, beta_user = users_with_the_same_id(alpha.tenant, beta.tenant)
    colleague = _agent(alpha)
    client = signed_in_client(alpha, agent)
    upload = _upload("me.png", PNG, "image/png")

    saved = client.post("/accounts/profile/", {"name": "Ana", "language": "", "avatar": upload})

    assert saved.status_code == 302
    stored = _reload(alpha, agent)
    assert re.fullmatch(r"tenants/alpha/avatars/[0-9a-f]{32}\.png", stored.avatar.name)
    url = f"/accounts/avatars/{agent.pk}/"
    assert f'src="{url}"' in client.get("/accounts/profile/").content.decode()
    served = signed_in_client(alpha, colleague).get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == PNG
    assert served["Content-Type"] == "image/png"
    assert host_client(alpha.host).get(url).status_code == 302  # to the sign-in page
    # the same user id in another tenant is another person, without this photo
    assert signed_in_client(beta, beta_user).get(url).status_code == 404


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(alpha):
    agent = _agent(alpha, name="Before")
    client = signed_in_client(alpha, agent)
    upload = _upload("me.png", b"<html><script>alert(1)</script></html>", "image/png")

    refused = client.post("/accounts/profile/", {"name": "After", "language": "", "avatar": upload})

    assert refused.status_code == 400
    assert 'id="id_avatar-error"' in refused.content.decode()
    stored = _reload(alpha, agent)
    assert (stored.name, stored.avatar.name) == ("Before", "")


def test_removing_the_photo(alpha):
    agent = _agent(alpha)
    client = signed_in_client(alpha, agent)
    client.post(
        "/accounts/profile/",
        {"name": "Ana", "language": "", "avatar": _upload("a.png", PNG, "image/png")},
    )

    client.post("/accounts/profile/", {"name": "Ana", "language": "", "remove_avatar": "on"})

    assert not _reload(alpha, agent).avatar
    assert client.get(f"/accounts/avatars/{agent.pk}/").status_code == 404


def test_a_wrong_current_password_changes_nothing_and_counts_towards_the_lockout(alpha, settings):
    settings.LOGIN_FAILURES_PER_EMAIL = 2
    agent = _agent(alpha)
    client = signed_in_client(alpha, agent)
    attempt = {"current_password": "wrong-one", "new_password": NEW_PASSWORD}

    first = client.post("/accounts/profile/password/", attempt)
    client.post("/accounts/profile/password/", attempt)
    locked = client.post("/accounts/profile/password/", {**attempt, "current_password": PASSWORD})

    assert first.status_code == 400
    assert locked.status_code == 429
    assert _reload(alpha, agent).check_password(PASSWORD)


def test_a_weak_new_password_is_refused(alpha):
    agent = _agent(alpha)
    client = signed_in_client(alpha, agent)

    refused = client.post(
        "/accounts/profile/password/", {"current_password": PASSWORD, "new_password": "123"}
    )

    assert refused.status_code == 400
    assert _reload(alpha, agent).check_password(PASSWORD)


def test_changing_the_password_keeps_this_device_and_signs_the_others_out(alpha):
    agent = _agent(alpha)
    here = signed_in_client(alpha, agent)
    elsewhere = signed_in_client(alpha, agent)
    api = host_api_client(alpha.host)
    refresh = token_pair(api, agent.email)["refresh"]

    changed = here.post(
        "/accounts/profile/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    refreshed = api.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert refreshed.status_code == 401
    sign_in(host_client(alpha.host), agent.email, NEW_PASSWORD)


def test_the_sessions_list_shows_each_device_and_marks_this_one(alpha, beta):
    agent, twin = users_with_the_same_id(alpha.tenant, beta.tenant)
    here = sign_in(host_client(alpha.host), agent.email)
    phone = host_client(alpha.host)
    phone.defaults["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    sign_in(phone, agent.email)
    # beta's user with the same id signs in too: never listed in alpha
    sign_in(host_client(beta.host), twin.email)

    html = here.get("/accounts/profile/").content.decode()

    assert html.count('data-testid="session-row"') == 2
    assert html.count('data-current="true"') == 1
    assert "Safari · iPhone" in html


def test_signing_out_one_other_device(alpha):
    agent = _agent(alpha)
    here, phone, laptop = (signed_in_client(alpha, agent) for _ in range(3))
    html = here.get("/accounts/profile/").content.decode()
    ids = re.findall(r'name="session" value="([0-9a-f]+)"', html)
    assert len(ids) == 2

    here.post("/accounts/profile/sessions/end/", {"session": ids[0]})

    still_in = [client.get("/").status_code for client in (here, phone, laptop)]
    assert still_in.count(200) == 2
    assert still_in[0] == 200


def test_signing_out_everywhere_else_closes_the_other_devices_sockets(
    alpha, django_capture_on_commit_callbacks
):
    agent = _agent(alpha)
    here = signed_in_client(alpha, agent)
    elsewhere = signed_in_client(alpha, agent)
    application = get_default_application()

    def socket(client):
        headers = [
            (b"host", alpha.host.encode()),
            (b"origin", f"http://{alpha.host}".encode()),
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        ]
        return WebsocketCommunicator(application, "/ws/", headers=headers)

    def sign_out_everywhere():
        with django_capture_on_commit_callbacks(execute=True):
            response = here.post("/accounts/profile/sessions/end/")
        assert response.status_code == 302

    async def body():
        staying, leaving = socket(here), socket(elsewhere)
        for communicator in (staying, leaving):
            connected, _ = await communicator.connect(timeout=1)
            assert connected
            assert (await communicator.receive_json_from(timeout=1))["type"] == "hello"
        await sync_to_async(sign_out_everywhere)()
        closed = await leaving.receive_output(timeout=1)
        assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
        await staying.send_json_to({"type": "ping"})
        assert (await staying.receive_json_from(timeout=1))["type"] == "pong"
        await staying.disconnect()
        await leaving.disconnect()

    async_to_sync(body)()
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


@pytest.mark.parametrize("devices", [1, 6])
def test_the_profile_costs_the_same_queries_for_few_or_many_devices(
    alpha, devices, django_assert_num_queries
):
    agent = _agent(alpha)
    here = signed_in_client(alpha, agent)
    for _ in range(devices - 1):
        signed_in_client(alpha, agent)
    here.get("/")
    # session, user, the schema's live sessions, the two-factor device (the search path is
    # already the tenant's)
    with django_assert_num_queries(4):
        page = here.get("/accounts/profile/")
    assert page.content.decode().count('data-testid="session-row"') == devices
