"""Receiving webhooks: verify, store each item once, enqueue after commit, answer 200; forged,
unknown and malformed deliveries store nothing."""

import pytest
from django.test import RequestFactory

from channels_integrations.errors import WebhookForbidden, WebhookUnknown
from channels_integrations.models import InboundEvent
from channels_integrations.services.inbound import inbound_webhook_receive
from channels_integrations.tests.sample_provider import sign
from channels_integrations.tests.support import (
    body_of,
    post_webhook,
    process_all,
    sample_connection,
    text_item,
)
from conftest import host_client
from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tickets.models import Message

# A text message is processed in its connection's batches: one task per connection.
TASK = "channels_integrations.tasks.inbound_batches_process_task"


def _events(tenant):
    with tenant_scope(tenant):
        return list(InboundEvent.objects.values_list("provider_event_id", "status"))


def _messages(tenant):
    with tenant_scope(tenant):
        return list(Message.objects.values_list("body", "sender_contact__name"))


@pytest.fixture
def connection(alpha, sample_providers):
    return sample_connection(alpha.tenant)


def test_the_same_delivery_ten_times_is_stored_enqueued_and_turned_into_one_message(
    alpha, connection, published, media_root, django_capture_on_commit_callbacks
):
    body = body_of(text_item("update-1", text="Quero um orçamento"))

    with django_capture_on_commit_callbacks(execute=True):
        responses = [post_webhook(connection, body) for _ in range(10)]
    process_all(alpha.tenant)
    process_all(alpha.tenant)  # processing again changes nothing

    assert [r.status_code for r in responses] == [200] * 10
    assert responses[0].json() == {"stored": 1, "duplicates": 0, "ignored": 0}
    assert responses[-1].json() == {"stored": 0, "duplicates": 1, "ignored": 0}
    assert _events(alpha.tenant) == [("update-1", "processed")]
    assert [(task, schema) for task, _, schema in published if task == TASK] == [(TASK, "alpha")]
    assert published.queues[[task for task, _, _ in published].index(TASK)] == "inbound"
    assert _messages(alpha.tenant) == [("Quero um orçamento", "Ana")]


def test_a_forged_signature_is_refused_and_nothing_is_stored(alpha, connection):
    body = body_of(text_item())

    forged = post_webhook(connection, body, secret="not-the-secret")
    unsigned = post_webhook(connection, body, signature="")

    for response in (forged, unsigned):
        assert response.status_code == 403
        assert response.json()["code"] == "webhook_forbidden"
    assert _events(alpha.tenant) == []
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.exists()


def test_an_unknown_token_is_404_and_nothing_is_stored(alpha, connection):
    response = post_webhook(connection, body_of(text_item()), token="no-such-token")

    assert (response.status_code, response.json()["code"]) == (404, "webhook_unknown")
    assert _events(alpha.tenant) == []


def test_a_disabled_connection_receives_nothing(alpha, connection):
    with tenant_scope(alpha.tenant):
        connection.is_active = False
        connection.save()

    response = post_webhook(connection, body_of(text_item()))

    assert response.status_code == 404
    assert _events(alpha.tenant) == []


def test_a_signed_body_that_is_not_a_provider_payload_is_400(alpha, connection):
    response = post_webhook(connection, b'{"hello": "world"}')
    not_json = post_webhook(connection, b"\x00\x01 not json")

    assert (response.status_code, response.json()["code"]) == (400, "webhook_malformed")
    assert not_json.status_code == 400
    assert _events(alpha.tenant) == []


def test_only_post_is_accepted(alpha, connection):
    response = host_client("localhost").get(f"/webhooks/sample/{connection.webhook_token}/")

    assert response.status_code == 405


def test_identical_chat_and_event_ids_at_two_tenants_stay_in_their_own_tenant(
    alpha, beta, sample_providers, media_root, django_capture_on_commit_callbacks
):
    at_alpha = sample_connection(alpha.tenant)
    at_beta = sample_connection(beta.tenant, secret="beta-secret-0002")

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(at_alpha, body_of(text_item("u-1", "chat-7", "para alpha")))
        post_webhook(
            at_beta, body_of(text_item("u-1", "chat-7", "para beta")), secret="beta-secret-0002"
        )
        # beta's secret on alpha's URL is refused: a URL belongs to one connection only
        crossed = post_webhook(
            at_alpha, body_of(text_item("u-2", "chat-7", "x")), secret="beta-secret-0002"
        )
    process_all(alpha.tenant)
    process_all(beta.tenant)

    assert crossed.status_code == 403
    assert _messages(alpha.tenant) == [("para alpha", "Ana")]
    assert _messages(beta.tenant) == [("para beta", "Ana")]
    with tenant_scope(alpha.tenant):
        assert Contact.objects.count() == 1
    with tenant_scope(beta.tenant):
        assert Contact.objects.count() == 1


# --------------------------------------------------------------------------- shared URL


def _shared_request(body, secret):
    return RequestFactory().post(
        "/webhooks/sample-shared/",
        data=body,
        content_type="application/json",
        HTTP_X_SAMPLE_SIGNATURE=sign(secret, body),
    )


def test_a_shared_delivery_is_split_by_account_between_tenants(
    alpha, beta, sample_providers, django_capture_on_commit_callbacks
):
    secret = "app-secret-0003"  # one app secret: the same for every connection of the app
    sample_connection(alpha.tenant, shared=True, account="acc-a", secret=secret)
    sample_connection(beta.tenant, shared=True, account="acc-b", secret=secret)
    body = (
        b'{"items": ['
        b'{"id": "e-a", "from": "c", "text": "for alpha", "account": "acc-a"},'
        b'{"id": "e-b", "from": "c", "text": "for beta", "account": "acc-b"},'
        b'{"id": "e-z", "from": "c", "text": "for nobody", "account": "acc-z"}'
        b"]}"
    )

    with django_capture_on_commit_callbacks(execute=True):
        receipt = inbound_webhook_receive(
            provider_key="sample_shared", request=_shared_request(body, secret)
        )

    assert (receipt.stored, receipt.duplicates, receipt.ignored) == (2, 0, 1)
    assert _events(alpha.tenant) == [("e-a", "received")]
    assert _events(beta.tenant) == [("e-b", "received")]


def test_a_shared_delivery_for_unknown_accounts_only_is_404(alpha, sample_providers):
    body = body_of(text_item("e-1"), account="acc-unknown")

    with pytest.raises(WebhookUnknown):
        inbound_webhook_receive(
            provider_key="sample_shared", request=_shared_request(body, "app-secret-0003")
        )


def test_a_forged_shared_delivery_stores_nothing_anywhere(alpha, beta, sample_providers):
    sample_connection(alpha.tenant, shared=True, account="acc-a", secret="app-secret-0003")
    body = body_of(text_item("e-1"), account="acc-a")

    with pytest.raises(WebhookForbidden):
        inbound_webhook_receive(
            provider_key="sample_shared", request=_shared_request(body, "wrong-secret")
        )

    assert _events(alpha.tenant) == []


def test_a_suspended_tenants_delivery_is_kept_but_not_processed_yet(
    alpha, connection, published, django_capture_on_commit_callbacks
):
    from tenants.services import tenant_resume, tenant_suspend

    tenant_suspend(tenant=alpha.tenant)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(connection, body_of(text_item("kept")))
    finally:
        tenant_resume(tenant=alpha.tenant)

    assert response.status_code == 200
    assert _events(alpha.tenant) == [("kept", "received")]
    assert [task for task, _, _ in published if task == TASK] == []
