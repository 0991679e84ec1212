"""WhatsApp Cloud campaigns send an approved template: its parameters are checked against the
template's definition when the campaign is saved, filled per contact (variables, and named
ones from the contact), and reach the Graph API as a template message."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory
from campaigns.errors import CampaignTemplateRequired
from campaigns.models import CampaignRecipient
from campaigns.sending import campaign_send_run
from campaigns.services import (
    CampaignInput,
    campaign_audience_add,
    campaign_create,
    campaign_start,
)
from channels_integrations.models import MessageTemplate
from channels_integrations.tests.support import meta_connection
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope

OFFER = [
    {
        "type": "BODY",
        "text": "Oi {{1}}, use o cupom {{2}} até sexta.",
        "example": {"body_text": [["Ana", "BF10"]]},
    },
    {"type": "FOOTER", "text": "Responda SAIR para não receber mais"},
]


def _setup(tenant, status=MessageTemplate.Status.APPROVED):
    connection = meta_connection(
        tenant,
        "whatsapp_cloud",
        route_key="1099887766",
        secret="s3cr3t",
        phone_number_id="1099887766",
        access_token="token-campaign",
        business_account_id="waba-77",
    )
    with tenant_scope(tenant):
        template = MessageTemplate.objects.create(
            connection=connection,
            name="oferta",
            language="pt_BR",
            category=MessageTemplate.Category.MARKETING,
            status=status,
            components=OFFER,
        )
    return connection, template


def _input(connection, template, parameters):
    return CampaignInput(
        name="Oferta",
        connection=connection,
        variants=(),
        per_minute=600,
        template=template,
        template_parameters=parameters,
    )


def test_a_template_campaign_reaches_graph_filled_for_each_contact(alpha, sim):
    connection, template = _setup(alpha.tenant)
    sim.templates.add("waba-77", name="oferta", components=OFFER)  # approved at WhatsApp
    with tenant_scope(alpha.tenant):
        contacts = [ContactFactory(name="Ana Souza"), ContactFactory(name="Bruno Lima")]
        campaign = campaign_create(
            by=AdminFactory(),
            data=_input(
                connection, template, {"body.1": "{{contact.first_name}}", "body.2": "BF10"}
            ),
        )
        campaign_audience_add(
            campaign=campaign, contacts=Contact.objects.filter(pk__in=[c.pk for c in contacts])
        )
        campaign_start(campaign=campaign)
        campaign_send_run(campaign_id=campaign.pk, run_seconds=10)
        bodies = dict(CampaignRecipient.objects.values_list("contact__name", "body"))

    sends = [r for r in sim.sends() if r.provider == "graph"]
    assert len(sends) == 2
    by_phone = {r.body["to"]: r.body for r in sends}
    for contact in contacts:
        body = by_phone[contact.phone.lstrip("+")]
        assert body["type"] == "template"
        assert body["template"]["name"] == "oferta"
        (component,) = body["template"]["components"]
        first = contact.name.split()[0]
        assert [p["text"] for p in component["parameters"]] == [first, "BF10"]
        assert bodies[contact.name].startswith(f"Oi {first}, use o cupom BF10")


def test_parameters_that_do_not_match_the_template_are_refused_at_save(alpha, sim):
    connection, template = _setup(alpha.tenant)
    with tenant_scope(alpha.tenant):
        with pytest.raises(FieldValidationError) as missing:
            campaign_create(by=AdminFactory(), data=_input(connection, template, {"body.1": "x"}))
        with pytest.raises(FieldValidationError) as extra:
            campaign_create(
                by=AdminFactory(),
                data=_input(connection, template, {"body.1": "x", "body.2": "y", "body.9": "z"}),
            )

    assert "template_parameters.body.2" in missing.value.extra["fields"]
    assert "template_parameters.body.9" in extra.value.extra["fields"]


def test_whatsapp_cloud_without_an_approved_template_is_refused(alpha, sim):
    connection, template = _setup(alpha.tenant, status=MessageTemplate.Status.PENDING)
    with tenant_scope(alpha.tenant):
        with pytest.raises(FieldValidationError) as without:
            campaign_create(by=AdminFactory(), data=_input(connection, None, {}))
        with pytest.raises(FieldValidationError) as pending:
            campaign_create(
                by=AdminFactory(),
                data=_input(connection, template, {"body.1": "x", "body.2": "y"}),
            )

    assert without.value.extra["fields"]["template"] == [
        str(CampaignTemplateRequired.default_message)
    ]
    assert "template" in pending.value.extra["fields"]
