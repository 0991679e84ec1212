"""The web chat's avatar on the connection's page: uploaded on create and edit, replaced,
removed (confirmed), kept when the settings change; bad files refused under the field with
nothing stored; the widget shows it, served on the tenant's own host only while enabled."""

from __future__ import annotations

import struct
import zlib

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory
from channels_integrations.services.webchat_avatar import AVATAR_MAX_BYTES, webchat_avatar_get
from conftest import host_client, signed_in_client
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope


def _png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _file(content: bytes, name: str, mime: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=mime)


def _admin_client(fixture):
    with tenant_scope(fixture.tenant):
        admin = AdminFactory()
    return signed_in_client(fixture, admin)


def _create(client, name: str = "Loja", **extra):
    return client.post(
        "/manage/connections/new/webchat/", {"name": name, "title": "Fale conosco", **extra}
    )


def _widget(fixture, name: str = "Loja") -> ChannelConnection:
    with tenant_scope(fixture.tenant):
        return ChannelConnection.objects.get(name=name)


def _avatar(fixture, connection: ChannelConnection):
    with tenant_scope(fixture.tenant):
        connection.refresh_from_db()
        return webchat_avatar_get(connection)


def _edit(client, connection, **data):
    base = {"name": connection.name, "title": "Fale conosco", "color": "#1f6feb"}
    return client.post(f"/manage/connections/{connection.public_id}/", {**base, **data})


def test_an_avatar_uploaded_on_create_is_stored_and_shown_by_the_widget(alpha):
    client = _admin_client(alpha)
    response = _create(client, avatar=_file(_png(), "logo.png", "image/png"))
    assert response.status_code == 302
    widget = _widget(alpha)
    avatar = _avatar(alpha, widget)
    assert avatar is not None
    assert avatar.name.startswith(f"tenants/{alpha.tenant.schema_name}/webchat-avatars/")
    assert "logo" not in avatar.name  # an unguessable name, not the admin's
    assert default_storage.exists(avatar.name)

    page = host_client(alpha.host).get(f"/widget/{widget.public_id}/").content.decode()
    assert f"/widget/{widget.public_id}/avatar?v={avatar.version}" in page
    assert 'data-testid="tt-webchat-avatar"' in page
    assert f'data-avatar="/widget/{widget.public_id}/avatar?v={avatar.version}"' in page

    served = host_client(alpha.host).get(f"/widget/{widget.public_id}/avatar")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["Cache-Control"] == "public, max-age=300"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == _png()

    detail = client.get(f"/manage/connections/{widget.public_id}/").content.decode()
    assert 'data-testid="connection-avatar-remove-form"' in detail
    assert "data-confirm=" in detail.split('data-testid="connection-avatar-remove-form"')[1][:200]


def test_without_an_avatar_the_widget_is_as_before_and_the_url_is_404(alpha):
    client = _admin_client(alpha)
    assert _create(client).status_code == 302
    widget = _widget(alpha)
    page = host_client(alpha.host).get(f"/widget/{widget.public_id}/").content.decode()
    assert "tt-webchat-avatar" not in page
    assert "data-avatar" not in page
    assert host_client(alpha.host).get(f"/widget/{widget.public_id}/avatar").status_code == 404
    detail = client.get(f"/manage/connections/{widget.public_id}/").content.decode()
    assert 'data-testid="connection-avatar"' not in detail
    assert 'enctype="multipart/form-data"' in detail


def test_replacing_keeps_one_file_and_a_settings_change_keeps_the_avatar(
    alpha, django_capture_on_commit_callbacks
):
    client = _admin_client(alpha)
    assert _create(client, avatar=_file(_png(), "a.png", "image/png")).status_code == 302
    widget = _widget(alpha)
    first = _avatar(alpha, widget)
    with django_capture_on_commit_callbacks(execute=True):
        response = _edit(client, widget, avatar=_file(JPEG, "b.jpg", "image/jpeg"))
    assert response.status_code == 302
    second = _avatar(alpha, widget)
    assert second is not None
    assert second.mime == "image/jpeg"
    assert second.name != first.name
    assert not default_storage.exists(first.name)  # the replaced file is gone
    served = host_client(alpha.host).get(f"/widget/{widget.public_id}/avatar")
    assert served["Content-Type"] == "image/jpeg"

    # A change of the widget's settings (checked again by the provider) keeps the avatar.
    assert _edit(client, widget, title="Novo título", color="#aa3366").status_code == 302
    assert _avatar(alpha, widget) == second
    with tenant_scope(alpha.tenant):
        widget.refresh_from_db()
    assert widget.details["title"] == "Novo título"
    assert client.post(f"/manage/connections/{widget.public_id}/check/").status_code == 302
    assert _avatar(alpha, widget) == second


def test_a_webp_avatar_is_accepted(alpha):
    client = _admin_client(alpha)
    assert _create(client, avatar=_file(WEBP, "c.webp", "image/webp")).status_code == 302
    avatar = _avatar(alpha, _widget(alpha))
    assert avatar is not None
    assert avatar.mime == "image/webp"


def test_removing_the_avatar_deletes_the_file_and_the_widget_shows_none(
    alpha, django_capture_on_commit_callbacks
):
    client = _admin_client(alpha)
    assert _create(client, avatar=_file(_png(), "a.png", "image/png")).status_code == 302
    widget = _widget(alpha)
    avatar = _avatar(alpha, widget)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/manage/connections/{widget.public_id}/remove-avatar/")
    assert response.status_code == 302
    assert _avatar(alpha, widget) is None
    assert not default_storage.exists(avatar.name)
    assert host_client(alpha.host).get(f"/widget/{widget.public_id}/avatar").status_code == 404
    page = host_client(alpha.host).get(f"/widget/{widget.public_id}/").content.decode()
    assert "tt-webchat-avatar" not in page
    assert "data-avatar" not in page


def _stored_avatars(fixture) -> list[str]:
    folder = f"tenants/{fixture.tenant.schema_name}/webchat-avatars"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def test_bad_files_are_refused_under_the_field_and_nothing_is_stored(alpha):
    client = _admin_client(alpha)
    before = _stored_avatars(alpha)
    bad = [  # the messages in the tenant's language (pt-BR)
        (SVG, "logo.svg", "image/svg+xml", "Use uma imagem PNG, JPEG ou WebP."),
        (b"GIF89a" + b"\x00" * 32, "logo.gif", "image/gif", "Use uma imagem PNG, JPEG ou WebP."),
        # Named and declared as a PNG, but it is a page: judged by its content.
        (b"<html><script>alert(1)</script></html>", "logo.png", "image/png", "JPEG ou WebP."),
        (_png() + b"\x00" * AVATAR_MAX_BYTES, "big.png", "image/png", "512 KB"),
    ]
    for content, name, mime, reason in bad:
        response = _create(client, name=f"Ruim {name}", avatar=_file(content, name, mime))
        assert response.status_code == 400, name
        html = response.content.decode()
        field_row = html.split('id="id_avatar"')[1].split("</div>")[0]
        assert 'class="field-error"' in field_row, name
        assert reason in field_row, name
        with tenant_scope(alpha.tenant):
            assert not ChannelConnection.objects.filter(name=f"Ruim {name}").exists()

    # Editing: the current avatar stays, nothing new is stored.
    assert _create(client, avatar=_file(_png(), "a.png", "image/png")).status_code == 302
    widget = _widget(alpha)
    current = _avatar(alpha, widget)
    response = _edit(client, widget, avatar=_file(SVG, "x.svg", "image/svg+xml"))
    assert response.status_code == 400
    assert _avatar(alpha, widget) == current
    assert sorted(_stored_avatars(alpha)) == sorted([*before, current.name.rsplit("/", 1)[1]])


def test_only_the_enabled_connection_of_the_host_s_tenant_is_served(alpha, beta):
    client = _admin_client(alpha)
    assert _create(client, avatar=_file(_png(), "a.png", "image/png")).status_code == 302
    widget = _widget(alpha)
    url = f"/widget/{widget.public_id}/avatar"
    assert host_client(alpha.host).get(url).status_code == 200
    # Tenant B's host cannot serve tenant A's avatar.
    assert host_client(beta.host).get(url).status_code == 404
    assert host_client(beta.host).get(f"/widget/{widget.public_id}/").status_code == 404

    assert client.post(f"/manage/connections/{widget.public_id}/disable/").status_code == 302
    assert host_client(alpha.host).get(url).status_code == 404
    detail = client.get(f"/manage/connections/{widget.public_id}/").content.decode()
    assert "o chat o mostra quando a conexão for ativada" in detail  # the tenant's pt-BR


def test_another_tenant_s_admin_cannot_remove_the_avatar(alpha, beta):
    client = _admin_client(alpha)
    assert _create(client, avatar=_file(_png(), "a.png", "image/png")).status_code == 302
    widget = _widget(alpha)
    other = _admin_client(beta)
    response = other.post(f"/manage/connections/{widget.public_id}/remove-avatar/")
    assert response.status_code == 404
    assert _avatar(alpha, widget) is not None
