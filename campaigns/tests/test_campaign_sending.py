"""The sender in this process against the simulated Bot API: variants and variables, who is
skipped and why, counts from the recipient rows, retries of temporary errors."""

from __future__ import annotations

from collections import Counter

from campaigns.models import Campaign, CampaignOptOut, CampaignRecipient
from campaigns.selectors import campaign_counts
from campaigns.sending import campaign_send_run
from campaigns.services import campaign_start
from campaigns.tests.conftest import draft_campaign, telegram_audience
from contacts.models import ContactAttributeDefinition
from tenants.tenancy import tenant_scope

State = CampaignRecipient.State


def _sends_to(sim, token):
    return [r for r in sim.sends() if r.account == token]


def test_every_recipient_gets_one_of_the_variants_with_its_own_name(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(12)
        campaign = draft_campaign(
            audience,
            variants=(
                "Oi {{contact.first_name}}",
                "Olá {{contact.name}}",
                "Bom dia, {{contact.first_name}}",
            ),
        )
        campaign_start(campaign=campaign)
        outcome = campaign_send_run(campaign_id=campaign.pk, run_seconds=20)
        campaign.refresh_from_db()
        counts = campaign_counts(campaign=campaign)
        rows = list(CampaignRecipient.objects.filter(campaign=campaign).select_related("contact"))

    sends = _sends_to(sim, audience.token)
    by_chat = Counter(str(r.body["chat_id"]) for r in sends)
    assert outcome.again_in is None
    assert campaign.status == Campaign.Status.FINISHED
    assert sorted(by_chat) == sorted(audience.chat_ids())
    assert set(by_chat.values()) == {1}
    assert counts["sent"] == 12
    assert counts["percent"] == 100
    assert counts["queued"] == 0
    texts = {str(r.body["chat_id"]): r.body["text"] for r in sends}
    for row in rows:
        first = row.contact.name.split()[0]
        expected = [
            f"Oi {first}",
            f"Olá {row.contact.name}",
            f"Bom dia, {first}",
        ][row.variant]
        assert texts[f"9{row.contact_id:07d}"] == expected == row.body
        assert row.provider_message_id


def test_custom_attributes_fill_the_text(alpha, sim):
    with tenant_scope(alpha.tenant):
        ContactAttributeDefinition.objects.create(key="plano", label="Plano")
        audience = telegram_audience(1)
        contact = audience.contacts[0]
        contact.custom_attributes = {"plano": "Ouro"}
        contact.save()
        campaign = draft_campaign(audience, variants=("Seu plano: {{contact.attributes.plano}}",))
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)

    (send,) = _sends_to(sim, audience.token)
    assert send.body["text"] == "Seu plano: Ouro"


def test_opted_out_blocked_and_unreachable_contacts_are_skipped_and_reported(alpha, sim):
    from contacts.tests.factories import ContactFactory

    with tenant_scope(alpha.tenant):
        audience = telegram_audience(4)
        opted, blocked = audience.contacts[0], audience.contacts[1]
        CampaignOptOut.objects.create(contact=opted, keyword="SAIR")
        blocked.is_blocked = True
        blocked.save()
        no_chat = ContactFactory(name="Sem Telegram")
        audience.contacts.append(no_chat)
        campaign = draft_campaign(audience)
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)
        counts = campaign_counts(campaign=campaign)
        reasons = dict(
            CampaignRecipient.objects.filter(campaign=campaign, state=State.SKIPPED).values_list(
                "contact_id", "error_code"
            )
        )

    assert reasons == {opted.pk: "opted_out", blocked.pk: "blocked", no_chat.pk: "no_address"}
    assert counts["skipped"] == 3
    assert counts["opted_out"] == 1
    assert counts["sent"] == 2
    sent_to = {str(r.body["chat_id"]) for r in _sends_to(sim, audience.token)}
    assert sent_to == {f"9{c.pk:07d}" for c in audience.contacts[2:4]}


def test_a_temporary_provider_error_is_retried_later_and_sent_once(alpha, sim):
    from simulator.server import Faults

    with tenant_scope(alpha.tenant):
        audience = telegram_audience(1)
        campaign = draft_campaign(audience)
        campaign_start(campaign=campaign)
        sim.account_faults[audience.token] = Faults(error_rate=1.0)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=0.5)
        row = CampaignRecipient.objects.get(campaign=campaign)
        assert row.state == State.QUEUED
        assert row.attempts == 1
        assert row.error_code
        # Due again after its back-off; the provider is back.
        del sim.account_faults[audience.token]
        CampaignRecipient.objects.filter(pk=row.pk).update(due_at=row.created_at)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=5)
        row.refresh_from_db()

    assert row.state == State.SENT
    assert len([r for r in _sends_to(sim, audience.token) if r.status == 200]) == 1


def test_a_paced_campaign_does_not_burst(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(5)
        campaign = draft_campaign(audience, per_minute=120)  # one every 0.5 s (±20 %)
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)

    times = sorted(r.at for r in _sends_to(sim, audience.token))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 5
    assert min(gaps) >= 0.35
    assert 1.6 <= times[-1] - times[0] <= 2.6
