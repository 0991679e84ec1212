"""Tenants' files on the local disk or an S3-compatible object store: the same names, the same
checks, and on the object store short-lived signed links to a private bucket.

The object store is a real S3-compatible server on loopback (moto's server mode,
``tests/support/media_storage.py``); tests marked with ``media_backend`` run on both backends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from channels_integrations.tests.webchat_support import base, make_widget
from conftest import host_client, sign_in_api, signed_in_client
from core.object_storage import PrivateMediaStorage, media_origin
from tenants.tenancy import tenant_scope
from tests.support.media_storage import media_fetch, store_get, stored_names
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

PNG = b"\x89PNG-tenant-file"


def _agent_with_ticket(fixture):
    with tenant_scope(fixture.tenant):
        queue = QueueFactory()
        agent = UserFactory(queues=[queue])
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent, queue=queue)
    return agent, ticket


def _upload(api, ticket, content=PNG, name="foto.png", mime="image/png") -> dict:
    response = api.post(
        f"/api/v1/tickets/{ticket.public_id}/messages/",
        {"media": SimpleUploadedFile(name, content, content_type=mime)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def s3_only(object_store, settings, tmp_path):
    """The object store with a bucket of its own and a 30 s link expiry."""
    settings.MEDIA_ROOT = tmp_path
    bucket = object_store.bucket_create()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": object_store.storage_settings(bucket, expiry=30),
    }
    return object_store, bucket


def test_a_file_is_served_by_a_signed_link_to_its_one_key_that_expires(alpha, api_alpha, s3_only):
    store, bucket = s3_only
    agent, ticket = _agent_with_ticket(alpha)
    sign_in_api(api_alpha, agent.email)
    body = _upload(api_alpha, ticket)
    with tenant_scope(alpha.tenant):
        key = Message.objects.get(public_id=body["id"]).media.name

    redirect = api_alpha.get(body["media"]["url"])

    assert redirect.status_code == 302
    assert "no-store" in redirect["Cache-Control"]
    link = urlsplit(redirect["Location"])
    assert f"{link.scheme}://{link.netloc}" == store.endpoint_url
    assert link.path == f"/{bucket}/{key}"
    query = {name: values[0] for name, values in parse_qs(link.query).items()}
    assert query["X-Amz-Expires"] == "30"
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 60
    assert query["response-content-type"] == "image/png"
    fetched = store_get(redirect["Location"])
    assert (fetched.status, fetched.body) == (200, PNG)
    # The bucket is private: the same key without a signature is refused, and no object is
    # readable by everyone.
    assert store_get(f"{store.endpoint_url}/{bucket}/{key}").status == 403
    grants = store.client().get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert all("URI" not in grant["Grantee"] for grant in grants)


def test_no_link_is_made_for_someone_who_may_not_see_the_file(alpha, api_alpha, s3_only):
    agent, ticket = _agent_with_ticket(alpha)
    sign_in_api(api_alpha, agent.email)
    url = _upload(api_alpha, ticket)["media"]["url"]
    with tenant_scope(alpha.tenant):
        outsider = UserFactory(queues=[QueueFactory()])

    refused = sign_in_api(api_alpha, outsider.email).get(url)
    anonymous = host_client(alpha.host).get(url)

    assert refused.status_code == 404
    assert anonymous.status_code in (401, 403)
    assert not refused.has_header("Location")
    assert not anonymous.has_header("Location")


def test_two_tenants_files_never_share_a_prefix(
    alpha, beta, api_alpha, api_beta, media_backend, object_store
):
    alpha_agent, alpha_ticket = _agent_with_ticket(alpha)
    beta_agent, beta_ticket = _agent_with_ticket(beta)
    sign_in_api(api_alpha, alpha_agent.email)
    sign_in_api(api_beta, beta_agent.email)

    # The same file name at the same moment in both tenants.
    alpha_body = _upload(api_alpha, alpha_ticket, content=b"\x89PNG alpha")
    beta_body = _upload(api_beta, beta_ticket, content=b"\x89PNG beta")

    names = stored_names(default_storage)
    assert len(names) == 2
    assert [name for name in names if name.startswith("tenants/alpha/")] != []
    assert [name for name in names if name.startswith("tenants/beta/")] != []
    assert all(name.startswith(("tenants/alpha/", "tenants/beta/")) for name in names)
    if media_backend == "s3":
        bucket = default_storage.bucket_name
        assert object_store.keys(bucket) == names  # the key is the stored name, nothing else
    assert media_fetch(api_alpha, alpha_body["media"]["url"]).body == b"\x89PNG alpha"
    assert media_fetch(api_beta, beta_body["media"]["url"]).body == b"\x89PNG beta"


def test_a_tenant_cannot_have_another_tenants_key_served(
    alpha, beta, api_alpha, api_beta, media_backend
):
    alpha_agent, alpha_ticket = _agent_with_ticket(alpha)
    sign_in_api(api_alpha, alpha_agent.email)
    alpha_body = _upload(api_alpha, alpha_ticket, content=b"\x89PNG alpha secret")
    with tenant_scope(alpha.tenant):
        alpha_key = Message.objects.get(public_id=alpha_body["id"]).media.name
    beta_agent, beta_ticket = _agent_with_ticket(beta)
    sign_in_api(api_beta, beta_agent.email)
    with tenant_scope(beta.tenant):
        # A beta row that names alpha's real key (tampered or restored from elsewhere).
        forged = Message.objects.create(
            ticket=beta_ticket,
            connection=beta_ticket.connection,
            direction="in",
            sender="contact",
            kind="image",
            media=alpha_key,
            media_mime="image/png",
        )

    by_id = api_beta.get(alpha_body["media"]["url"])  # alpha's message id at beta
    by_row = api_beta.get(f"/api/v1/messages/{forged.public_id}/media/")

    assert by_id.status_code == 404
    assert (by_row.status_code, by_row.json()["code"]) == (404, "media_not_found")
    assert not by_id.has_header("Location")
    assert not by_row.has_header("Location")
    assert default_storage.exists(alpha_key)  # it is there; beta just cannot have it


def test_a_users_photo_is_served_on_both_backends(alpha, media_backend):
    with tenant_scope(alpha.tenant):
        member = UserFactory()
        member.avatar.save("me.png", ContentFile(b"\x89PNG me"))
        viewer = UserFactory()
    assert member.avatar.name.startswith("tenants/alpha/avatars/")

    served = media_fetch(signed_in_client(alpha, viewer), f"/accounts/avatars/{member.pk}/")

    assert (served.status, served.body) == (200, b"\x89PNG me")
    assert served.headers["Content-Type"] == "image/png"


def test_the_widget_page_allows_files_from_the_object_store_only_when_they_live_there(
    alpha, media_backend, object_store
):
    widget = make_widget(alpha.tenant)

    policy = host_client(alpha.host).get(base(widget))["Content-Security-Policy"]

    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    origin = media_origin(default_storage)
    if media_backend == "s3":
        assert origin == object_store.endpoint_url
        assert origin in directives["img-src"]
        assert origin in directives["media-src"]
    else:
        assert origin == ""
        assert directives["img-src"] == ["'self'", "blob:", "data:"]
    assert directives["connect-src"] == ["'self'", "ws:", "wss:"]  # never the store


def _settings_probe(**environment: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; django.setup(); "
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, getattr(s, 'bucket_name', ''), "
        "getattr(s, 'querystring_expire', ''))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEDIA_")},
        "DJANGO_SETTINGS_MODULE": "tiktickets.settings.test",
        **environment,
    }
    return subprocess.run(  # noqa: S603  (our own interpreter)
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_environment_selects_the_backend():
    local = _settings_probe()
    s3 = _settings_probe(
        MEDIA_STORAGE="s3",
        MEDIA_S3_BUCKET="tenant-files",
        MEDIA_S3_ENDPOINT_URL="http://127.0.0.1:9",
        MEDIA_URL_EXPIRY_SECONDS="45",
    )
    wrong = _settings_probe(MEDIA_STORAGE="ftp")
    no_bucket = _settings_probe(MEDIA_STORAGE="s3")

    assert local.stdout.split()[0] == "FileSystemStorage", local.stderr
    assert s3.stdout.split() == [PrivateMediaStorage.__name__, "tenant-files", "45"], s3.stderr
    assert wrong.returncode != 0
    assert "MEDIA_STORAGE must be 'local' or 's3'" in wrong.stderr
    assert no_bucket.returncode != 0
    assert "MEDIA_S3_BUCKET is required" in no_bucket.stderr


def test_links_name_the_public_endpoint_when_browsers_reach_the_store_elsewhere(
    alpha, api_alpha, s3_only, settings
):
    """The app writes through one address (``http://minio:9000`` in compose) and hands out links
    to another (``MEDIA_S3_PUBLIC_ENDPOINT_URL``): here 127.0.0.1 and localhost, the same server."""
    store, bucket = s3_only
    public = store.endpoint_url.replace("127.0.0.1", "localhost")
    options = {**settings.STORAGES["default"]["OPTIONS"], "public_endpoint_url": public}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    agent, ticket = _agent_with_ticket(alpha)
    sign_in_api(api_alpha, agent.email)
    url = _upload(api_alpha, ticket, content=b"\x89PNG public")["media"]["url"]

    location = api_alpha.get(url)["Location"]

    assert location.startswith(f"{public}/{bucket}/tenants/alpha/messages/")
    assert store_get(location).body == b"\x89PNG public"
    assert media_origin(default_storage) == public
