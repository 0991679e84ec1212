"""The sweeper re-enqueues events stored but never processed (their task was lost)."""

from datetime import timedelta

from django.utils import timezone

from channels_integrations.models import InboundEvent
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.tasks import inbound_events_sweep_task
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from tenants.tenancy import tenant_scope

TASK = "channels_integrations.tasks.inbound_event_process_task"


def test_only_events_waiting_longer_than_the_delay_are_re_enqueued(
    alpha, beta, sample_providers, published, settings
):
    settings.CHANNEL_SWEEP_AFTER_MINUTES = 5
    connection = sample_connection(alpha.tenant)
    items = SampleProvider().parse_inbound(
        body_of(text_item("old"), text_item("recent"), text_item("done"))
    )
    with tenant_scope(alpha.tenant):
        old, recent, done = inbound_events_record(connection=connection, items=items)
        long_ago = timezone.now() - timedelta(minutes=6)
        InboundEvent.objects.filter(pk__in=[old, done]).update(
            created_at=long_ago, updated_at=long_ago
        )
        InboundEvent.objects.filter(pk=done).update(status="processed")

        swept = inbound_events_sweep_task.apply().get()

    assert swept == 1
    assert [(task, args, schema) for task, args, schema in published if task == TASK] == [
        (TASK, (old,), "alpha")
    ]


def test_an_event_retried_recently_is_left_to_its_retry(alpha, sample_providers, published):
    connection = sample_connection(alpha.tenant)
    items = SampleProvider().parse_inbound(body_of(text_item("e1")))
    with tenant_scope(alpha.tenant):
        [event_id] = inbound_events_record(connection=connection, items=items)
        InboundEvent.objects.filter(pk=event_id).update(
            created_at=timezone.now() - timedelta(hours=1)
        )  # updated_at is recent: an attempt was just recorded

        assert inbound_events_sweep_task.apply().get() == 0
