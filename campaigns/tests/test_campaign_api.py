"""The campaigns API: admins only, drafts editable until the start, the audience from tags,
attributes, a selection or a CSV, the actions, recipients with filters, the CSV report; bad
input gets a 4xx with a code and stores nothing; two tenants never see each other's."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from campaigns.models import Campaign, CampaignRecipient
from campaigns.sending import campaign_send_run
from campaigns.tests.conftest import telegram_audience
from conftest import sign_in_api
from contacts.models import Contact, ContactAttributeDefinition
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope


@pytest.fixture
def alpha_setup(alpha, api_alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(3, tag_name="vip")
        ContactAttributeDefinition.objects.create(key="cidade", label="Cidade")
        for contact, city in zip(audience.contacts, ["Recife", "Recife", "Natal"], strict=True):
            contact.custom_attributes = {"cidade": city}
            contact.save()
    sign_in_api(api_alpha, audience.admin.email)
    return audience


def _create(api, audience, **extra):
    body = {
        "name": "Natal",
        "connection": str(audience.connection.public_id),
        "variants": ["Oi {{contact.first_name}}", "Olá {{contact.name}}"],
        "per_minute": 600,
        **extra,
    }
    return api.post("/api/v1/campaigns/", body, format="json")


def test_an_admin_builds_starts_and_reads_a_campaign(alpha, api_alpha, alpha_setup):
    audience = alpha_setup
    created = _create(api_alpha, audience)
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    tag_id = audience.contacts[0].tags.get().pk

    preview = api_alpha.post(
        "/api/v1/campaigns/audience-preview/",
        {"tag_ids": [tag_id], "attributes": {"cidade": "Recife"}},
        format="json",
    )
    added = api_alpha.post(
        f"/api/v1/campaigns/{campaign_id}/audience/", {"tag_ids": [tag_id]}, format="json"
    )
    started = api_alpha.post(f"/api/v1/campaigns/{campaign_id}/start/")
    edit_after_start = api_alpha.patch(
        f"/api/v1/campaigns/{campaign_id}/",
        {
            "name": "Outro",
            "connection": str(audience.connection.public_id),
            "variants": ["x"],
        },
        format="json",
    )
    with tenant_scope(alpha.tenant):
        campaign_send_run(campaign_id=Campaign.objects.get().pk, run_seconds=10)
    detail = api_alpha.get(f"/api/v1/campaigns/{campaign_id}/")
    sent = api_alpha.get(f"/api/v1/campaigns/{campaign_id}/recipients/?state=sent")
    report = api_alpha.get(f"/api/v1/campaigns/{campaign_id}/report/")

    assert preview.json() == {"count": 2}
    assert added.json() == {"count": 3}
    assert started.status_code == 200
    assert started.json()["status"] == "running"
    assert edit_after_start.status_code == 409
    assert edit_after_start.json()["code"] == "campaign_not_editable"
    assert detail.json()["status"] == "finished"
    assert detail.json()["counts"]["sent"] == 3
    assert detail.json()["counts"]["percent"] == 100
    assert len(sent.json()["results"]) == 3
    lines = b"".join(report.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4  # the header and one line per recipient
    assert report["Content-Type"].startswith("text/csv")


def test_pause_resume_and_cancel_answer_for_the_state(alpha, api_alpha, alpha_setup):
    audience = alpha_setup
    campaign_id = _create(api_alpha, audience, per_minute=1).json()["id"]
    api_alpha.post(
        f"/api/v1/campaigns/{campaign_id}/audience/",
        {"contact_ids": [str(c.public_id) for c in audience.contacts]},
        format="json",
    )

    early_pause = api_alpha.post(f"/api/v1/campaigns/{campaign_id}/pause/")
    api_alpha.post(f"/api/v1/campaigns/{campaign_id}/start/")
    paused = api_alpha.post(f"/api/v1/campaigns/{campaign_id}/pause/")
    resumed = api_alpha.post(f"/api/v1/campaigns/{campaign_id}/resume/")
    cancelled = api_alpha.post(f"/api/v1/campaigns/{campaign_id}/cancel/")
    again = api_alpha.post(f"/api/v1/campaigns/{campaign_id}/cancel/")

    assert early_pause.status_code == 409
    assert early_pause.json()["code"] == "campaign_state_conflict"
    assert paused.json()["status"] == "paused"
    assert resumed.json()["status"] == "running"
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["counts"]["cancelled"] == 3
    assert again.status_code == 409


def test_bad_input_is_refused_with_a_code_and_nothing_is_stored(alpha, api_alpha, alpha_setup):
    audience = alpha_setup
    duplicate = _create(api_alpha, audience, variants=["Oi", "Oi"])
    unknown_variable = _create(api_alpha, audience, variants=["Oi {{contact.cpf}}"])
    too_fast = _create(api_alpha, audience, per_minute=10_000)
    no_connection = api_alpha.post(
        "/api/v1/campaigns/",
        {"name": "x", "connection": "00000000-0000-0000-0000-000000000000", "variants": ["a"]},
        format="json",
    )
    bad_attribute = api_alpha.post(
        "/api/v1/campaigns/audience-preview/", {"attributes": {"x__y": 1}}, format="json"
    )
    bad_state = api_alpha.get(
        "/api/v1/campaigns/00000000-0000-0000-0000-000000000000/recipients/?state=x"
    )

    for response in (duplicate, unknown_variable, too_fast, bad_attribute):
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "validation_error"
    assert no_connection.status_code == 404
    assert bad_state.status_code == 404
    with tenant_scope(alpha.tenant):
        assert not Campaign.objects.exists()


def test_a_csv_matches_or_creates_contacts_by_phone_with_a_report(alpha, api_alpha, alpha_setup):
    audience = alpha_setup
    campaign_id = _create(api_alpha, audience).json()["id"]
    existing = audience.contacts[0]
    content = (
        f"name,phone\nJá existe,{existing.phone}\nNova Pessoa,(81) 99876-5432\nSem número,abc\n"
    ).encode()

    response = api_alpha.post(
        f"/api/v1/campaigns/{campaign_id}/audience/file/",
        {"file": SimpleUploadedFile("lista.csv", content, content_type="text/csv")},
        format="multipart",
    )

    rows = response.json()
    assert response.status_code == 200, rows
    assert [r["outcome"] for r in rows] == ["matched", "created", "error"]
    assert rows[1]["phone"] == "+5581998765432"
    assert rows[2]["detail"]
    with tenant_scope(alpha.tenant):
        assert Contact.objects.filter(phone="+5581998765432").exists()
        assert CampaignRecipient.objects.filter(campaign__public_id=campaign_id).count() == 2


def test_agents_may_not_use_campaigns(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    sign_in_api(api_alpha, agent.email)

    response = api_alpha.get("/api/v1/campaigns/")

    assert response.status_code == 403


def test_two_tenants_never_see_each_others_campaigns(alpha, beta, api_alpha, api_beta, sim):
    with tenant_scope(alpha.tenant):
        alpha_audience = telegram_audience(1)
    with tenant_scope(beta.tenant):
        beta_audience = telegram_audience(1)
        ContactFactory(name="Beta only")
        TagFactory(name="beta-tag")
    sign_in_api(api_alpha, alpha_audience.admin.email)
    sign_in_api(api_beta, beta_audience.admin.email)
    alpha_id = _create(api_alpha, alpha_audience).json()["id"]

    beta_list = api_beta.get("/api/v1/campaigns/")
    beta_get = api_beta.get(f"/api/v1/campaigns/{alpha_id}/")
    beta_recipients = api_beta.get(f"/api/v1/campaigns/{alpha_id}/recipients/")
    beta_cancel = api_beta.post(f"/api/v1/campaigns/{alpha_id}/start/")
    # Beta's connection is unknown in alpha.
    cross = _create(api_alpha, beta_audience)

    assert beta_list.json()["results"] == []
    assert beta_get.status_code == 404
    assert beta_recipients.status_code == 404
    assert beta_cancel.status_code == 404
    assert cross.status_code == 404
