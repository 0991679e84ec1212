"""Campaign pages (/manage/campaigns/): an admin creates a draft from a tag, an attribute
filter, a contact selection or a CSV, starts, pauses and cancels it; the page shows the counts
from the recipients; agents are refused; another tenant's campaign is a 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from campaigns.models import Campaign, CampaignRecipient
from campaigns.tests.conftest import telegram_audience
from conftest import signed_in_client
from tenants.tenancy import tenant_scope


@pytest.fixture
def setup(alpha, settings):
    from simulator import Simulator

    simulator = Simulator().start()
    settings.TELEGRAM_API_BASE_URL = simulator.telegram_base_url
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(3, tag_name="clientes-vip")
    yield audience
    simulator.stop()


def _form(audience, **extra):
    data = {
        "name": "Lançamento",
        "connection": str(audience.connection.pk),
        "variant_1": "Oi {{contact.first_name}}, novidade!",
        "variant_2": "",
        "variant_3": "",
        "scheduled_at": "",
        "per_minute": "30",
        "window_start": "08:00",
        "window_end": "20:00",
        "window_days": ["0", "1", "2", "3", "4"],
        "attribute_filter": "",
        "contact_ids": "",
    }
    data.update(extra)
    return data


def test_an_admin_creates_a_campaign_from_a_tag_and_starts_it(alpha, setup):
    audience = setup
    client = signed_in_client(alpha, audience.admin)
    tag_id = audience.contacts[0].tags.get().pk

    listing = client.get("/manage/campaigns/")
    new_page = client.get("/manage/campaigns/new/")
    saved = client.post("/manage/campaigns/new/", _form(audience, tags=[str(tag_id)]))
    with tenant_scope(alpha.tenant):
        campaign = Campaign.objects.get()
    page = client.get(f"/manage/campaigns/{campaign.public_id}/")
    started = client.post(f"/manage/campaigns/{campaign.public_id}/start/")
    with tenant_scope(alpha.tenant):
        campaign.refresh_from_db()
        due = list(
            CampaignRecipient.objects.filter(campaign=campaign).values_list("due_at", flat=True)
        )
    running_page = client.get(f"/manage/campaigns/{campaign.public_id}/")

    assert listing.status_code == 200
    assert b'data-testid="campaign-new"' in listing.content
    assert b'data-testid="campaign-form"' in new_page.content
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert page.status_code == 200
    assert b'data-testid="campaign-start"' in page.content
    assert campaign.window_days == [0, 1, 2, 3, 4]
    assert started.status_code == 302
    assert campaign.status == Campaign.Status.RUNNING
    assert len(due) == 3
    assert all(at is not None for at in due)
    assert b'data-testid="campaign-cancel"' in running_page.content
    assert b'data-testid="campaign-pause"' in running_page.content
    assert b'value="0"' in running_page.content  # the bar starts empty


def test_a_contact_selection_and_a_csv_fill_the_audience(alpha, setup):
    audience = setup
    client = signed_in_client(alpha, audience.admin)
    chosen = audience.contacts[0]
    csv = SimpleUploadedFile(
        "lista.csv", b"nome,telefone\nNova,+5581998887766\nRuim,12\n", content_type="text/csv"
    )

    form_page = client.get(f"/manage/campaigns/new/?contacts={chosen.public_id}")
    saved = client.post(
        "/manage/campaigns/new/",
        _form(audience, contact_ids=str(chosen.public_id), csv_file=csv),
        follow=True,
    )
    with tenant_scope(alpha.tenant):
        phones = set(CampaignRecipient.objects.values_list("contact__phone", flat=True))

    assert b'data-testid="campaign-selection"' in form_page.content
    assert saved.status_code == 200
    assert phones == {chosen.phone, "+5581998887766"}
    assert "Row 3" in saved.content.decode() or "Linha 3" in saved.content.decode()


def test_a_bad_form_is_shown_again_with_errors_and_nothing_is_stored(alpha, setup):
    audience = setup
    client = signed_in_client(alpha, audience.admin)

    response = client.post(
        "/manage/campaigns/new/",
        _form(audience, variant_1="Oi {{contact.cpf}}", attribute_filter="semigual"),
    )

    assert response.status_code == 200
    assert b"field-error" in response.content
    with tenant_scope(alpha.tenant):
        assert not Campaign.objects.exists()


def test_cancel_is_confirmed_and_cancels_everyone_waiting(alpha, setup):
    audience = setup
    client = signed_in_client(alpha, audience.admin)
    tag_id = audience.contacts[0].tags.get().pk
    client.post("/manage/campaigns/new/", _form(audience, tags=[str(tag_id)], per_minute="1"))
    with tenant_scope(alpha.tenant):
        campaign = Campaign.objects.get()
    client.post(f"/manage/campaigns/{campaign.public_id}/start/")

    page = client.get(f"/manage/campaigns/{campaign.public_id}/")
    client.post(f"/manage/campaigns/{campaign.public_id}/cancel/")
    with tenant_scope(alpha.tenant):
        campaign.refresh_from_db()
        states = set(CampaignRecipient.objects.values_list("state", flat=True))

    assert b"data-confirm=" in page.content
    assert campaign.status == Campaign.Status.CANCELLED
    assert states == {"cancelled"}


def test_agents_are_refused_and_other_tenants_campaigns_are_not_found(alpha, beta, setup):
    audience = setup
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    with tenant_scope(beta.tenant):
        beta_audience = telegram_audience(1)
    alpha_admin = signed_in_client(alpha, audience.admin)
    alpha_admin.post("/manage/campaigns/new/", _form(audience))
    with tenant_scope(alpha.tenant):
        campaign = Campaign.objects.get()

    as_agent = signed_in_client(alpha, agent).get("/manage/campaigns/")
    from_beta = signed_in_client(beta, beta_audience.admin).get(
        f"/manage/campaigns/{campaign.public_id}/"
    )

    assert as_agent.status_code == 403
    assert from_beta.status_code == 404


def test_contacts_chosen_on_the_contacts_page_start_a_campaign(alpha, setup):
    audience = setup
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    admin = signed_in_client(alpha, audience.admin)
    chosen = audience.contacts[:2]

    contacts_page = admin.get("/contacts/")
    agents_page = signed_in_client(alpha, agent).get("/contacts/")
    query = "&".join(f"contacts={c.public_id}" for c in chosen)
    form_page = admin.get(f"/manage/campaigns/new/?{query}")

    assert contacts_page.content.count(b'data-testid="contact-choose"') == 3
    assert b'data-testid="campaign-from-selection"' in contacts_page.content
    assert b'data-testid="contact-choose"' not in agents_page.content
    assert b'data-testid="campaign-selection"' in form_page.content
    assert str(chosen[0].public_id).encode() in form_page.content
    assert str(chosen[1].public_id).encode() in form_page.content


def _png(name="foto.png"):
    from campaigns.tests.test_campaign_media import PNG

    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_a_message_file_is_shown_kept_on_edit_and_removable_before_the_start(alpha, setup):
    from campaigns.models import CampaignMedia

    audience = setup
    client = signed_in_client(alpha, audience.admin)

    saved = client.post("/manage/campaigns/new/", _form(audience, media_1=_png()))
    with tenant_scope(alpha.tenant):
        campaign = Campaign.objects.get()
        media = CampaignMedia.objects.get(campaign=campaign)
    page = client.get(f"/manage/campaigns/{campaign.public_id}/")
    edit_page = client.get(f"/manage/campaigns/{campaign.public_id}/edit/")
    image = client.get(f"/manage/campaigns/media/{media.public_id}/")
    kept = client.post(
        f"/manage/campaigns/{campaign.public_id}/edit/", _form(audience, variant_1="Oi!")
    )
    with tenant_scope(alpha.tenant):
        after_keep = list(CampaignMedia.objects.filter(campaign=campaign))
    removed = client.post(
        f"/manage/campaigns/{campaign.public_id}/edit/",
        _form(audience, variant_1="Oi!", **{"media_1-clear": "on"}),
    )
    with tenant_scope(alpha.tenant):
        after_remove = CampaignMedia.objects.filter(campaign=campaign).count()

    assert saved.status_code == 302
    media_url = f"/manage/campaigns/media/{media.public_id}/"
    assert f'src="{media_url}"' in page.content.decode()
    assert 'data-testid="campaign-file-image"' in page.content.decode()
    assert 'data-testid="media-current"' in edit_page.content.decode()
    assert 'name="media_1-clear"' in edit_page.content.decode()
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert kept.status_code == 302
    assert [m.pk for m in after_keep] == [media.pk]
    assert removed.status_code == 302
    assert after_remove == 0


def test_a_bad_file_is_a_form_error_and_nothing_is_stored(alpha, setup, settings, tmp_path):
    from campaigns.models import CampaignMedia

    settings.MEDIA_ROOT = tmp_path
    audience = setup
    client = signed_in_client(alpha, audience.admin)
    bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/x-msdownload")

    response = client.post("/manage/campaigns/new/", _form(audience, media_1=bad))

    assert response.status_code == 200
    assert 'id="id_media_1-error"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert not Campaign.objects.exists()
        assert not CampaignMedia.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_another_tenants_campaign_file_is_a_404(alpha, beta, setup):
    audience = setup
    client = signed_in_client(alpha, audience.admin)
    client.post("/manage/campaigns/new/", _form(audience, media_1=_png()))
    from campaigns.models import CampaignMedia

    with tenant_scope(alpha.tenant):
        media = CampaignMedia.objects.get()
    with tenant_scope(beta.tenant):
        beta_admin = telegram_audience(0).admin
    beta_client = signed_in_client(beta, beta_admin)

    response = beta_client.get(f"/manage/campaigns/media/{media.public_id}/")

    assert response.status_code == 404


def test_a_refused_save_keeps_neither_the_new_file_nor_its_bytes(alpha, setup, settings, tmp_path):
    from campaigns.models import CampaignMedia

    settings.MEDIA_ROOT = tmp_path
    audience = setup
    client = signed_in_client(alpha, audience.admin)
    # Telegram shows at most 1024 characters under a photo.
    long_caption = "Oi {{contact.first_name}} " + "x" * 1100

    response = client.post(
        "/manage/campaigns/new/", _form(audience, variant_1=long_caption, media_1=_png())
    )

    assert response.status_code == 200
    assert 'id="id_variant_1-error"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert not Campaign.objects.exists()
        assert not CampaignMedia.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
