"""Replies to a campaign: a customer's message within the reply window counts as the
campaign's reply and links the normal ticket it opened; an opt-out keyword opts the contact
out, and later campaigns skip them and say why. Delivery reports move recipients forward."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import CampaignOptOut, CampaignRecipient
from campaigns.replies import campaign_reply_record, campaign_status_record
from campaigns.selectors import campaign_counts
from campaigns.sending import campaign_send_run
from campaigns.services import campaign_start
from campaigns.tasks import campaign_replies_record_task
from campaigns.tests.conftest import draft_campaign, telegram_audience
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.services.messages import ReceivedMessage, message_receive

State = CampaignRecipient.State


def _reply(audience, contact, body):
    message, _created = message_receive(
        received=ReceivedMessage(
            connection=audience.connection,
            contact=contact,
            body=body,
            provider_message_id=f"in-{contact.pk}-{body}",
        )
    )
    return message


def test_a_reply_is_counted_and_linked_to_the_ticket_it_opened(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(2)
        campaign = draft_campaign(audience)
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)
        message = _reply(audience, audience.contacts[0], "Quero saber mais")

        outcome = campaign_reply_record(message_id=message.pk)
        row = CampaignRecipient.objects.get(campaign=campaign, contact=audience.contacts[0])
        counts = campaign_counts(campaign=campaign)

    assert outcome == "replied"
    assert row.replied_at is not None
    assert row.reply_ticket_id == message.ticket_id
    assert message.ticket.status == "pending"  # a normal ticket, waiting like any other
    assert counts["replied"] == 1


def test_an_inbound_batchs_replies_are_recorded_by_one_task_and_only_once(alpha, sim):
    """The list task of an inbound batch records each message as the one-message task does
    (a reply, an opt-out), and run again (handed out twice) changes nothing."""
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(2)
        campaign = draft_campaign(audience)
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)
        replying, leaving = audience.contacts
        ids = [
            _reply(audience, replying, "Quero saber mais").pk,
            _reply(audience, leaving, "sair").pk,
        ]

        first = campaign_replies_record_task.apply(args=(ids,)).get()
        replied_at = dict(CampaignRecipient.objects.values_list("contact_id", "replied_at"))
        again = campaign_replies_record_task.apply(args=(ids,)).get()

        assert first == ["replied", "opted_out"]
        assert again == ["ignored", "opted_out"]
        assert None not in replied_at.values()  # an opt-out answers the campaign too
        assert dict(CampaignRecipient.objects.values_list("contact_id", "replied_at")) == (
            replied_at
        )
        assert CampaignOptOut.objects.filter(contact=leaving).count() == 1
        assert campaign_counts(campaign=campaign)["replied"] == 2


def test_a_message_long_after_the_campaign_is_not_its_reply(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(1)
        campaign = draft_campaign(audience)
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)
        CampaignRecipient.objects.filter(campaign=campaign).update(
            sent_at=timezone.now() - timedelta(days=30)
        )
        message = _reply(audience, audience.contacts[0], "Oi")

        assert campaign_reply_record(message_id=message.pk) == "ignored"


def test_an_opt_out_keyword_opts_out_and_the_next_campaign_skips_the_contact(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(2)
        first = draft_campaign(audience, name="Primeira")
        campaign_start(campaign=first)
        campaign_send_run(campaign_id=first.pk, run_seconds=10)
        leaving = audience.contacts[0]
        message = _reply(audience, leaving, "  sair! ")

        outcome = campaign_reply_record(message_id=message.pk)
        assert CampaignOptOut.objects.filter(contact=leaving).exists()
        second = draft_campaign(audience, name="Segunda")
        campaign_start(campaign=second)
        skipped = CampaignRecipient.objects.get(campaign=second, contact=leaving)
        counts = campaign_counts(campaign=second)

    assert outcome == "opted_out"
    assert skipped.state == State.SKIPPED
    assert skipped.error_code == "opted_out"
    assert counts["opted_out"] == 1


def test_the_opt_out_keywords_are_the_tenants_own(alpha, sim):
    with tenant_scope(alpha.tenant):
        tenant_settings_update(
            tenant=alpha.tenant, values={"campaign_opt_out_keywords": "BASTA, CHEGA"}
        )
        audience = telegram_audience(1)
        contact = audience.contacts[0]

        not_anymore = campaign_reply_record(message_id=_reply(audience, contact, "Sair").pk)
        opted = campaign_reply_record(message_id=_reply(audience, contact, "chega").pk)
        stored = CampaignOptOut.objects.filter(contact=contact).first()

    assert not_anymore == "ignored"
    assert opted == "opted_out"
    assert stored is not None
    assert stored.keyword == "CHEGA"


def test_delivery_reports_move_recipients_forward_only(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(1)
        campaign = draft_campaign(audience)
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)
        row = CampaignRecipient.objects.get(campaign=campaign)
        args = {
            "connection_id": audience.connection.pk,
            "provider_message_id": row.provider_message_id,
        }

        read = campaign_status_record(**args, status="read")
        late_delivered = campaign_status_record(**args, status="delivered")
        row.refresh_from_db()

    assert (read, late_delivered) == (1, 0)
    assert row.state == State.READ


def test_a_batchs_messages_that_answer_no_campaign_cost_one_statement_together(alpha, sim):
    """The list task reads the batch's texts and unanswered campaign messages in one
    statement; a message that is neither a reply in the window nor an opt-out keyword costs
    nothing more (before: four statements each), and the others are recorded as before."""
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(6)
        campaign = draft_campaign(audience)
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)
        replying, leaving, *late = audience.contacts
        CampaignRecipient.objects.filter(contact__in=late).update(
            sent_at=timezone.now() - timedelta(days=30)
        )
        ignored = [_reply(audience, contact, "Oi, tudo bem?").pk for contact in late]

        with CaptureQueriesContext(db) as queries:
            assert campaign_replies_record_task.apply(args=(ignored,)).get() == ["ignored"] * 4
        assert len(queries) == 1

        ids = [
            _reply(audience, replying, "Quero saber mais").pk,
            ignored[0],
            _reply(audience, leaving, "Stop!").pk,
            _reply(audience, late[1], "sair").pk,  # an opt-out needs no campaign
        ]
        outcomes = campaign_replies_record_task.apply(args=(ids,)).get()

        assert outcomes == ["replied", "ignored", "opted_out", "opted_out"]
        assert set(CampaignOptOut.objects.values_list("contact_id", flat=True)) == {
            leaving.pk,
            late[1].pk,
        }
        answered = CampaignRecipient.objects.filter(replied_at__isnull=False)
        assert set(answered.values_list("contact_id", flat=True)) == {replying.pk, leaving.pk}
