"""Campaign messages with a file: the variant's text is the caption, rendered per contact; the
file is checked like agents' files (nothing stored when refused), kept under the tenant's media
path on the local disk and in a bucket, sent as the provider's media message (Telegram sendPhoto,
a WhatsApp Cloud template's image header), and never reachable from another tenant."""

from __future__ import annotations

import base64
from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory
from audit.models import AuditEntry
from campaigns.models import Campaign, CampaignMedia, CampaignRecipient
from campaigns.sending import campaign_send_run
from campaigns.services import (
    CampaignInput,
    campaign_audience_add,
    campaign_create,
    campaign_media_upload,
    campaign_start,
    campaign_update,
)
from campaigns.tests.conftest import telegram_audience
from channels_integrations.models import MessageTemplate
from channels_integrations.tests.support import meta_connection
from conftest import sign_in_api
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope
from tickets.media import MEDIA_MAX_BYTES
from tickets.tests.factories import ConnectionFactory

State = CampaignRecipient.State
# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _image(name: str = "oferta.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _telegram_input(audience, variants, media) -> CampaignInput:
    return CampaignInput(
        name="Com foto",
        connection=audience.connection,
        variants=variants,
        media=media,
        per_minute=600,
    )


def _start_and_send(campaign, contacts) -> None:
    campaign_audience_add(
        campaign=campaign, contacts=Contact.objects.filter(pk__in=[c.pk for c in contacts])
    )
    campaign_start(campaign=campaign)
    campaign_send_run(campaign_id=campaign.pk, run_seconds=10)


def test_an_image_campaign_reaches_every_recipient_as_a_photo_with_its_caption(
    alpha, sim, media_backend
):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(3)
        media = campaign_media_upload(file=_image())
        stored_name = media.file.name
        campaign = campaign_create(
            by=audience.admin,
            data=_telegram_input(
                audience, ["Olá {{contact.first_name}}, veja!"], [media.public_id]
            ),
        )
        _start_and_send(campaign, audience.contacts)
        states = Counter(
            CampaignRecipient.objects.filter(campaign=campaign).values_list("state", flat=True)
        )
        with default_storage.open(stored_name, "rb") as handle:
            stored = handle.read()

    sends = [r for r in sim.sends() if r.account == audience.token]
    assert states == Counter({State.SENT: 3})
    assert stored_name.startswith(f"tenants/{alpha.tenant.schema_name}/campaigns/")
    assert stored == PNG
    assert {r.method for r in sends} == {"sendPhoto"}
    # Uploaded with the first message; the others name the file_id Telegram gave the bot.
    assert sends[0].body["photo"] == "<file>"
    assert {r.body["photo"] for r in sends[1:]} == {next(iter(sim.telegram_file_ids))}
    assert all(r.status == 200 for r in sends)
    captions = {str(r.body["chat_id"]): r.body["caption"] for r in sends}
    assert captions == {
        f"9{c.pk:07d}": f"Olá {c.name.split()[0]}, veja!" for c in audience.contacts
    }


OFFER_WITH_IMAGE = [
    {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1n"]}},
    {
        "type": "BODY",
        "text": "Oi {{1}}, a oferta da foto vale até sexta.",
        "example": {"body_text": [["Ana"]]},
    },
]


def _whatsapp_template(tenant):
    connection = meta_connection(
        tenant,
        "whatsapp_cloud",
        route_key="1099887755",
        secret="s3cr3t",
        phone_number_id="1099887755",
        access_token="token-media",
        business_account_id="waba-78",
    )
    with tenant_scope(tenant):
        template = MessageTemplate.objects.create(
            connection=connection,
            name="oferta_foto",
            language="pt_BR",
            category=MessageTemplate.Category.MARKETING,
            status=MessageTemplate.Status.APPROVED,
            components=OFFER_WITH_IMAGE,
        )
    return connection, template


def _template_input(connection, template, media) -> CampaignInput:
    return CampaignInput(
        name="Oferta com foto",
        connection=connection,
        variants=(),
        media=media,
        per_minute=600,
        template=template,
        template_parameters={"body.1": "{{contact.first_name}}"},
    )


def test_a_template_with_an_image_header_carries_the_campaign_image(alpha, sim):
    connection, template = _whatsapp_template(alpha.tenant)
    sim.templates.add("waba-78", name="oferta_foto", components=OFFER_WITH_IMAGE)
    with tenant_scope(alpha.tenant):
        contacts = [ContactFactory(name="Ana Souza"), ContactFactory(name="Bruno Lima")]
        media = campaign_media_upload(file=_image())
        campaign = campaign_create(
            by=AdminFactory(), data=_template_input(connection, template, [media.public_id])
        )
        _start_and_send(campaign, contacts)
        states = Counter(
            CampaignRecipient.objects.filter(campaign=campaign).values_list("state", flat=True)
        )

    graph = [r for r in sim.requests if r.provider == "graph" and r.account == "1099887755"]
    uploads = [r for r in graph if r.method == "media"]
    messages = [r for r in graph if r.method == "messages"]
    assert states == Counter({State.SENT: 2})
    # The image is uploaded once; every recipient's message names that upload's id.
    assert len(uploads) == 1
    assert uploads[0].body["file"] == "<file>"
    assert all(r.status == 200 for r in messages)  # the simulator checked the header
    by_phone = {r.body["to"]: r.body["template"]["components"] for r in messages}
    for contact in contacts:
        header, body = by_phone[contact.phone.lstrip("+")]
        assert header["type"] == "header"
        (parameter,) = header["parameters"]
        assert parameter["type"] == "image"
        assert parameter["image"]["id"] in sim.media_ids
        assert body["parameters"] == [{"type": "text", "text": contact.name.split()[0]}]
    assert len({header["parameters"][0]["image"]["id"] for header, _ in by_phone.values()}) == 1


def test_a_media_header_needs_a_file_of_its_kind(alpha, sim):
    connection, template = _whatsapp_template(alpha.tenant)
    with tenant_scope(alpha.tenant):
        document = campaign_media_upload(
            file=SimpleUploadedFile("tabela.pdf", b"%PDF-1.4", content_type="application/pdf")
        )
        with pytest.raises(FieldValidationError) as missing:
            campaign_create(by=AdminFactory(), data=_template_input(connection, template, []))
        with pytest.raises(FieldValidationError) as wrong_kind:
            campaign_create(
                by=AdminFactory(),
                data=_template_input(connection, template, [document.public_id]),
            )
        assert not Campaign.objects.exists()

    assert "image" in missing.value.extra["fields"]["media"][0]
    assert "document" in wrong_kind.value.extra["fields"]["media"][0]


def test_the_simulator_refuses_a_header_of_another_kind_or_without_a_file(sim):
    sim.templates.add("waba-79", name="foto", components=OFFER_WITH_IMAGE)
    body = {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}

    def send(header_parameter):
        header = {"type": "header", "parameters": [header_parameter]}
        template = {"name": "foto", "language": {"code": "pt_BR"}, "components": [header, body]}
        return sim.templates.check_send(template, {"123"})

    assert send({"type": "image", "image": {"id": "123"}}) is None
    assert send({"type": "image", "image": {"link": "https://example.com/a.png"}}) is None
    assert send({"type": "document", "document": {"id": "123"}})[0] == 400
    assert send({"type": "image", "image": {"id": "999"}})[1]["error"]["code"] == 132012


def test_audio_with_text_is_refused_where_the_channel_shows_no_caption_on_audio(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(1)
        qr = ConnectionFactory(provider="whatsapp_qr", name="Celular")
        audio = campaign_media_upload(
            file=SimpleUploadedFile("aviso.mp3", b"ID3", content_type="audio/mpeg")
        )
        with pytest.raises(FieldValidationError) as refused:
            campaign_create(
                by=audience.admin,
                data=CampaignInput(
                    name="Áudio", connection=qr, variants=["Ouça"], media=[audio.public_id]
                ),
            )
        without_text = campaign_create(
            by=audience.admin,
            data=CampaignInput(name="Áudio", connection=qr, variants=[""], media=[audio.public_id]),
        )
        # Telegram shows a caption under audio.
        other_audio = campaign_media_upload(
            file=SimpleUploadedFile("aviso.mp3", b"ID3", content_type="audio/mpeg")
        )
        on_telegram = campaign_create(
            by=audience.admin, data=_telegram_input(audience, ["Ouça"], [other_audio.public_id])
        )

    assert "media.0" in refused.value.extra["fields"]
    assert without_text.variants == [""]
    assert on_telegram.variants == ["Ouça"]


def test_a_caption_longer_than_the_provider_allows_is_refused(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(1)
        media = campaign_media_upload(file=_image())
        long_text = "x" * 1100
        with pytest.raises(FieldValidationError) as refused:
            campaign_create(
                by=audience.admin, data=_telegram_input(audience, [long_text], [media.public_id])
            )
        text_only = campaign_create(
            by=audience.admin, data=_telegram_input(audience, [long_text], [])
        )

    assert "1024" in refused.value.extra["fields"]["variants.0"][0]
    assert text_only.variants == [long_text]


def test_an_update_with_a_file_is_audited_by_name_and_the_old_file_goes(
    alpha, sim, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(1)
        first = campaign_media_upload(file=_image("primeira.png"))
        campaign = campaign_create(
            by=audience.admin, data=_telegram_input(audience, ["Oi"], [first.public_id])
        )
        second = campaign_media_upload(file=_image("segunda.png"))
        first_path = tmp_path / first.file.name
        with django_capture_on_commit_callbacks(execute=True):
            campaign_update(
                campaign=campaign, data=_telegram_input(audience, ["Oi"], [second.public_id])
            )
        entry = AuditEntry.objects.filter(action="campaign.updated").latest("id")
        files = list(CampaignMedia.objects.filter(campaign=campaign).values_list("name", flat=True))
        first_gone = not CampaignMedia.objects.filter(pk=first.pk).exists()

    assert entry.changes["media"] == {"before": ["1: primeira.png"], "after": ["1: segunda.png"]}
    assert "PNG" not in str(entry.changes)
    assert "iVBOR" not in str(entry.changes)
    assert files == ["segunda.png"]
    assert first_gone
    assert not first_path.exists()


# --------------------------------------------------------------------------- API


@pytest.fixture
def alpha_admin_api(alpha, api_alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(2)
    sign_in_api(api_alpha, audience.admin.email)
    return audience


def _upload(api, upload):
    return api.post("/api/v1/campaigns/media/", {"file": upload}, format="multipart")


def test_the_api_takes_an_upload_then_a_campaign_naming_it(alpha, api_alpha, alpha_admin_api):
    audience = alpha_admin_api
    uploaded = _upload(api_alpha, _image())
    media_id = uploaded.json()["id"]
    created = api_alpha.post(
        "/api/v1/campaigns/",
        {
            "name": "Foto",
            "connection": str(audience.connection.public_id),
            "variants": ["Oi {{contact.first_name}}", "Olá"],
            "media": [media_id, None],
        },
        format="json",
    )
    downloaded = api_alpha.get(f"/api/v1/campaigns/media/{media_id}/")

    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["kind"] == "image"
    assert uploaded.json()["variant"] is None
    assert created.status_code == 201, created.content
    assert created.json()["media"] == [
        {
            "id": media_id,
            "variant": 0,
            "name": "oferta.png",
            "mime": "image/png",
            "size": len(PNG),
            "kind": "image",
        }
    ]
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PNG
    assert downloaded["Content-Type"] == "image/png"


def test_a_bad_file_is_refused_with_a_code_and_nothing_is_stored(
    alpha, api_alpha, alpha_admin_api, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    wrong_type = _upload(
        api_alpha, SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    )
    disguised = _upload(api_alpha, SimpleUploadedFile("page.html", PNG, content_type="image/png"))
    too_large = _upload(
        api_alpha,
        SimpleUploadedFile("big.png", b"\0" * (MEDIA_MAX_BYTES + 1), content_type="image/png"),
    )
    no_file = api_alpha.post("/api/v1/campaigns/media/", {}, format="multipart")

    for response, code in (
        (wrong_type, "media_type_not_allowed"),
        (disguised, "media_type_not_allowed"),
        (too_large, "media_too_large"),
        (no_file, "validation_error"),
    ):
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == code
        assert {"code", "message", "extra"} <= set(body)
    with tenant_scope(alpha.tenant):
        assert not CampaignMedia.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_tenant_can_neither_reference_nor_download_another_tenants_file(
    alpha, beta, api_alpha, api_beta, sim
):
    with tenant_scope(alpha.tenant):
        alpha_audience = telegram_audience(1)
    with tenant_scope(beta.tenant):
        beta_audience = telegram_audience(1)
    sign_in_api(api_alpha, alpha_audience.admin.email)
    sign_in_api(api_beta, beta_audience.admin.email)
    alpha_media = _upload(api_alpha, _image()).json()["id"]

    beta_download = api_beta.get(f"/api/v1/campaigns/media/{alpha_media}/")
    beta_reference = api_beta.post(
        "/api/v1/campaigns/",
        {
            "name": "Roubada",
            "connection": str(beta_audience.connection.public_id),
            "variants": ["Oi"],
            "media": [alpha_media],
        },
        format="json",
    )
    alpha_download = api_alpha.get(f"/api/v1/campaigns/media/{alpha_media}/")

    assert beta_download.status_code == 404
    assert beta_download.json()["code"] == "media_not_found"
    assert beta_reference.status_code == 400
    assert "media.0" in beta_reference.json()["extra"]["fields"]
    assert alpha_download.status_code == 200
    with tenant_scope(beta.tenant):
        assert not Campaign.objects.exists()
        assert not CampaignMedia.objects.exists()


def test_a_file_of_another_campaign_cannot_be_taken(alpha, sim):
    with tenant_scope(alpha.tenant):
        audience = telegram_audience(1)
        media = campaign_media_upload(file=_image())
        campaign_create(
            by=audience.admin, data=_telegram_input(audience, ["Oi"], [media.public_id])
        )
        with pytest.raises(FieldValidationError) as taken:
            campaign_create(
                by=audience.admin, data=_telegram_input(audience, ["Olá"], [media.public_id])
            )

    assert "media.0" in taken.value.extra["fields"]


# --------------------------------------------------------------------------- WhatsApp QR


@pytest.fixture
def gateway(settings):
    """The simulated Evolution API gateway (as in the WhatsApp QR tests)."""
    from channels_integrations.providers.whatsapp_qr.tests.support import GLOBAL_KEY, deliver
    from simulator import Simulator

    simulator = Simulator().start()
    simulator.evolution.api_key = GLOBAL_KEY
    simulator.evolution.qr_interval = 3600
    simulator.evolution.hold = True
    simulator.evolution.deliver = deliver
    settings.EVOLUTION_API_URL = simulator.evolution_url
    settings.EVOLUTION_API_KEY = GLOBAL_KEY
    yield simulator
    simulator.stop()


def test_a_qr_gateway_campaign_sends_the_file_with_its_caption_and_audio_alone(alpha, gateway):
    from channels_integrations.providers.whatsapp_qr.tests.support import (
        instance_of,
        qr_connection,
    )

    connection = qr_connection(alpha.tenant)
    gateway.evolution.scan(instance_of(connection))
    with tenant_scope(alpha.tenant):
        contacts = [ContactFactory(name="Ana Souza"), ContactFactory(name="Bruno Lima")]
        image = campaign_media_upload(file=_image())
        photo_campaign = campaign_create(
            by=AdminFactory(),
            data=CampaignInput(
                name="Foto",
                connection=connection,
                variants=["Oi {{contact.first_name}}"],
                media=[image.public_id],
                per_minute=600,
            ),
        )
        _start_and_send(photo_campaign, contacts)
        audio = campaign_media_upload(
            file=SimpleUploadedFile("aviso.mp3", b"ID3", content_type="audio/mpeg")
        )
        audio_campaign = campaign_create(
            by=AdminFactory(),
            data=CampaignInput(
                name="Áudio",
                connection=connection,
                variants=[""],
                media=[audio.public_id],
                per_minute=600,
            ),
        )
        _start_and_send(audio_campaign, contacts)
        states = Counter(CampaignRecipient.objects.values_list("state", flat=True))

    sends = [r for r in gateway.sends() if r.provider == "evolution"]
    media_sends = [r for r in sends if r.method == "sendMedia"]
    audio_sends = [r for r in sends if r.method == "sendWhatsAppAudio"]
    assert states == Counter({State.SENT: 4})
    assert sorted(r.body["caption"] for r in media_sends) == ["Oi Ana", "Oi Bruno"]
    assert {r.body["mediatype"] for r in media_sends} == {"image"}
    assert all(base64.b64decode(r.body["media"]) == PNG for r in media_sends)
    assert len(audio_sends) == 2
