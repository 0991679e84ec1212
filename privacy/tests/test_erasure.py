"""Erasing a contact: no canary left in any column of the tenant schema, in Redis or in the
tenant's storage; the other tenant's same-named contact untouched; counts kept; idempotent; a
new message from the same number starts a new contact."""

from __future__ import annotations

from django.core.cache import cache

from contacts.models import Contact, ContactIdentity
from core.redis import redis_client
from privacy.models import PrivacyRequest
from privacy.services import privacy_erasure_request, privacy_request_fulfil
from privacy.services.erasure import erased_contact_name
from privacy.tests.factories import seed_contact
from privacy.tests.scan import database_hits, redis_hits, storage_hits
from tenants.tenancy import redis_key, tenant_scope
from tickets.models import Message, Ticket


def test_erasure_leaves_no_canary_anywhere_and_spares_the_other_tenant(alpha, beta):
    with tenant_scope(beta.tenant):
        other = seed_contact("zzcanB", name="Maria Canário")
        other_canaries = other.canaries
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzcanA", name="Maria Canário")
        canaries = [*seeded.canaries, "Maria Canário"]
        contact = seeded.contact
        # Copies in Redis: a cached row and a stream entry, as the cache and realtime keep them.
        cache.set(f"contact-card:{contact.pk}", {"name": contact.name, "phone": contact.phone})
        redis_client().xadd(
            redis_key("realtime", "stream"),
            {"e": '{"data": {"contact": {"name": "Maria Can\\u00e1rio"}}}', "g": "x"},
        )
        redis_client().xadd(redis_key("realtime", "stream"), {"e": '{"unrelated": 1}', "g": "x"})
        assert database_hits("alpha", canaries)
        assert storage_hits("alpha", canaries)
        assert redis_hits(canaries)
        messages_before = Message.objects.filter(ticket__contact=contact).count()

        request = privacy_erasure_request(contact=contact, requested_by=None)
        done = privacy_request_fulfil(request_id=request.pk)

        assert done is not None
        assert done.status == PrivacyRequest.Status.DONE
        assert done.progress == 100
        assert done.fulfilled_at is not None
        assert database_hits("alpha", canaries) == []
        assert redis_hits(canaries) == []
        assert storage_hits("alpha", canaries) == []
        contact.refresh_from_db()
        assert contact.name == erased_contact_name(contact.pk)
        assert not ContactIdentity.objects.filter(contact=contact).exists()
        # Reports keep their counts: tickets and messages stay, without content.
        assert Ticket.objects.filter(contact=contact).count() == 2
        assert Message.objects.filter(ticket__contact=contact).count() == messages_before
        assert redis_client().xlen(redis_key("realtime", "stream")) == 1  # the unrelated entry
        # Again: nothing to do, nothing breaks.
        assert privacy_request_fulfil(request_id=request.pk) is None

    with tenant_scope(beta.tenant):
        other.contact.refresh_from_db()
        assert other.contact.name == "Maria Canário"
        assert ContactIdentity.objects.filter(contact=other.contact).count() == 2
        assert len(database_hits("beta", other_canaries)) > 5
        assert storage_hits("beta", other_canaries)


def test_a_new_message_from_the_same_number_starts_a_new_contact(alpha):
    from channels_integrations.providers.base import InboundMessage
    from channels_integrations.services.inbound import inbound_items_receive

    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzcanN")
        telegram = seeded.tickets[0].connection
        external_id = ContactIdentity.objects.get(contact=seeded.contact, provider="telegram")
        external_id = external_id.external_id
        request = privacy_erasure_request(contact=seeded.contact, requested_by=None)
        privacy_request_fulfil(request_id=request.pk)
        item = InboundMessage(
            event_id="after-erasure-1",
            external_id=external_id,
            provider_message_id="m-after-1",
            kind="text",
            body="oi de novo",
            contact_name="Someone",
        )
        inbound_items_receive(connection=telegram, items=[item])
    from channels_integrations.models import InboundEvent
    from channels_integrations.services.inbound import inbound_event_process

    with tenant_scope(alpha.tenant):
        event = InboundEvent.objects.get(provider_event_id="after-erasure-1")
        inbound_event_process(event_id=event.pk)
        fresh = ContactIdentity.objects.get(provider="telegram", external_id=external_id).contact
        assert fresh.pk != seeded.contact.pk
        assert Contact.objects.get(pk=seeded.contact.pk).name == erased_contact_name(
            seeded.contact.pk
        )


def test_a_request_left_running_is_enqueued_again_by_the_sweeper(alpha):
    import json as _json
    from datetime import timedelta

    import redis as _redis
    from django.conf import settings
    from django.utils import timezone

    from privacy.services import privacy_requests_sweep

    broker = _redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("bulk")
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzcanS")
        request = privacy_erasure_request(contact=seeded.contact, requested_by=None)
        # The job never finished: its worker died and the broker lost the task.
        PrivacyRequest.objects.filter(pk=request.pk).update(status="running")
        assert privacy_requests_sweep() == 0  # not stale yet
        PrivacyRequest.objects.filter(pk=request.pk).update(
            updated_at=timezone.now() - timedelta(minutes=11)
        )
        assert privacy_requests_sweep() == 1
    queued = [_json.loads(raw) for raw in broker.lrange("bulk", 0, -1)]
    assert [task["headers"]["task"] for task in queued] == [
        "privacy.tasks.privacy_request_fulfil_task"
    ]
    assert queued[0]["headers"]["argsrepr"] == f"({request.pk},)"
    broker.delete("bulk")


def test_webhook_logs_of_another_contact_sharing_a_name_are_kept(alpha):
    import json as _json

    from integrations.models import WebhookDelivery, WebhookSubscription

    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzcanW", name="Ana Compartilhado")
        subscription = WebhookSubscription.objects.create(
            name="hook other", url="https://hooks.example.com/x", secret_encrypted="sealed"
        )
        other = WebhookDelivery.objects.create(
            subscription=subscription,
            event_type="contact.updated",
            body=_json.dumps({"contact": {"id": "another", "name": "Ana Compartilhado"}}),
        )
        request = privacy_erasure_request(contact=seeded.contact, requested_by=None)
        privacy_request_fulfil(request_id=request.pk)
        other.refresh_from_db()
        assert "Ana Compartilhado" in other.body
        mine = WebhookDelivery.objects.exclude(pk=other.pk).get()
        assert mine.body == '{"erased": true}'
