"""Web chat visitors: starting a conversation, the signed visitor token in its cookie and
header, and who a token lets in (never another widget's or another tenant's visitor)."""

from __future__ import annotations

import json

import pytest
from django.core import signing

from channels_integrations.tests.webchat_support import (
    base,
    history,
    make_widget,
    post,
    start,
    token_for,
)
from conftest import host_client
from contacts.models import Contact, ContactIdentity
from tenants.tenancy import tenant_scope


@pytest.fixture
def widget(alpha):
    return make_widget(alpha.tenant, allowed_origins=["https://loja.example.com"])


def _cookie(widget) -> str:
    return f"tt_wc_{widget.public_id.hex}"


def test_starting_validates_name_email_and_phone_and_stores_nothing_when_refused(alpha, widget):
    refused = start(alpha, widget, name=" ", email="not-an-email", phone="12")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "validation_error"
    assert set(body["extra"]["fields"]) == {"name", "email", "phone"}
    too_long = start(alpha, widget, name="x" * 81)
    assert list(too_long.json()["extra"]["fields"]) == ["name"]
    not_json = host_client(alpha.host).post(
        base(widget) + "api/start", "{", content_type="application/json"
    )
    assert (not_json.status_code, not_json.json()["code"]) == (400, "invalid_json")
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.exists()


def test_a_started_visitor_is_a_contact_with_a_webchat_identity(alpha, widget):
    started = start(alpha, widget, email="Maria@Example.com", phone="(11) 98765-4321")
    assert started.status_code == 201
    visitor_id = signing.loads(
        started.json()["token"], salt=f"webchat-visitor:{alpha.tenant.schema_name}"
    )["v"]
    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        assert (contact.name, contact.email, contact.phone) == (
            "Maria Cliente",
            "maria@example.com",
            "+5511987654321",
        )
        identity = ContactIdentity.objects.get(contact=contact)
        assert (identity.provider, identity.external_id) == ("webchat", visitor_id)


def test_the_token_cookie_is_cross_site_partitioned_http_only_and_scoped(alpha, widget):
    started = start(alpha, widget)
    cookie = started.cookies[_cookie(widget)]
    assert cookie.value == started.json()["token"]
    header = cookie.output()
    for attribute in ("HttpOnly", "Secure", "SameSite=None; Partitioned"):
        assert attribute in header
    assert f"Path=/widget/{widget.public_id}/" in header
    # The framed page hands a valid cookie's token to its script; a bad one is dropped.
    client = host_client(alpha.host)
    client.cookies[_cookie(widget)] = cookie.value
    boot = _boot(client.get(base(widget)))
    assert boot["token"] == cookie.value
    client.cookies[_cookie(widget)] = cookie.value[:-3] + "abc"
    assert _boot(client.get(base(widget)))["token"] == ""


def _boot(response) -> dict:
    html = response.content.decode()
    start_at = html.index('<script id="tt-boot" type="application/json">') + len(
        '<script id="tt-boot" type="application/json">'
    )
    return json.loads(html[start_at : html.index("</script>", start_at)])


def test_a_tampered_foreign_or_missing_token_is_403(alpha, beta, widget):
    token = token_for(alpha, widget)
    other_widget = make_widget(alpha.tenant)
    beta_widget = make_widget(beta.tenant)
    beta_token = token_for(beta, beta_widget)
    beta_salt = f"webchat-visitor:{beta.tenant.schema_name}"
    forged = signing.dumps({"c": str(widget.public_id), "v": "0" * 32}, salt=beta_salt)
    for connection, fixture, bad in [
        (widget, alpha, ""),
        (widget, alpha, token[:-2] + "xx"),
        (other_widget, alpha, token),  # issued by another widget of the same tenant
        (widget, alpha, beta_token),  # issued by another tenant
        (widget, alpha, forged),  # right widget id, another tenant's salt
        (beta_widget, beta, token),  # alpha's token at beta
    ]:
        for response in (
            history(fixture, connection, bad),
            post(fixture, connection, bad, client_id="cid-00000001", text="oi"),
        ):
            assert response.status_code == 403, bad
            assert response.json()["code"] == "visitor_forbidden"
    assert history(alpha, widget, token).status_code == 200


def test_a_raw_contact_or_visitor_id_is_not_a_token(alpha, widget):
    token = token_for(alpha, widget)
    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        visitor_id = contact.identities.get().external_id
    for raw in (str(contact.pk), str(contact.public_id), visitor_id):
        assert history(alpha, widget, raw).status_code == 403
    assert history(alpha, widget, token).status_code == 200


def test_the_cookie_alone_never_authorises_an_api_call(alpha, widget):
    """A foreign page can make the browser send the cookie, never the header."""
    client = host_client(alpha.host)
    start(alpha, widget, client=client)
    assert _cookie(widget) in client.cookies
    sent = client.post(
        base(widget) + "api/messages",
        json.dumps({"client_id": "cid-csrf-0001", "text": "oi"}),
        content_type="application/json",
    )
    assert sent.status_code == 403
    assert client.get(base(widget) + "api/messages").status_code == 403


def test_starting_too_often_from_one_address_is_throttled(alpha, widget, monkeypatch):
    from channels_integrations.services import webchat

    monkeypatch.setitem(webchat.LIMITS, "start", (2, 3600))
    codes = [start(alpha, widget).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    refused = start(alpha, widget)
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3601
    with tenant_scope(alpha.tenant):
        assert Contact.objects.count() == 2
