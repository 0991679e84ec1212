"""R14: hostile uploads through the agents' message API, as one set.

Each hostile file must be refused with a 4xx in the error shape, leave no row and no file; what
is accepted must be stored under the tenant's private prefix with a clean name and served with
headers that keep a browser from running it; another tenant's agent gets 404 for its URL.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from conftest import sign_in_api
from tenants.tenancy import tenant_scope
from tickets.media import MEDIA_MAX_BYTES
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def test_r14_hostile_uploads_are_refused_and_stored_files_are_inert(
    alpha, beta, api_alpha, api_beta, settings, tmp_path, report_figure
) -> None:
    settings.MEDIA_ROOT = tmp_path
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent = UserFactory.create(queues=[queue])
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent, queue=queue)
    with tenant_scope(beta.tenant):
        outsider = UserFactory.create()
    sign_in_api(api_alpha, agent.email)
    sign_in_api(api_beta, outsider.email)
    url = f"/api/v1/tickets/{ticket.public_id}/messages/"

    hostile = {
        "over the size limit": SimpleUploadedFile(
            "big.pdf", b"%PDF" + b"0" * MEDIA_MAX_BYTES, content_type="application/pdf"
        ),
        "HTML page": SimpleUploadedFile("page.html", b"<script>x</script>", "text/html"),
        "HTML declared as PNG": SimpleUploadedFile("photo.html", b"<script>", "image/png"),
        "SVG with script": SimpleUploadedFile(
            "logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"
        ),
        "executable": SimpleUploadedFile("setup.exe", b"MZ\x90\x00", "application/x-msdownload"),
        "JavaScript as octet-stream": SimpleUploadedFile(
            "app.js", b"alert(1)", "application/octet-stream"
        ),
        "no extension, no type": SimpleUploadedFile("payload", b"??", ""),
    }
    refused = 0
    problems = []
    for label, upload in hostile.items():
        response = api_alpha.post(url, {"media": upload}, format="multipart")
        body = response.json() if response.get("Content-Type") == "application/json" else {}
        if 400 <= response.status_code < 500 and {"code", "message", "extra"} <= set(body):
            refused += 1
        else:
            problems.append(f"{label}: {response.status_code}")
    with tenant_scope(alpha.tenant):
        rows = Message.objects.filter(ticket_id=ticket.pk).count()
    assert problems == []
    assert rows == 0
    assert _files(tmp_path) == []

    # Accepted: a PNG whose name tries to climb out of the tenant's folder.
    accepted = api_alpha.post(
        url,
        {"media": SimpleUploadedFile("../../../etc/passwd.png", PNG, "image/png")},
        format="multipart",
    )
    assert accepted.status_code == 201, accepted.content
    [stored] = _files(tmp_path)
    relative = str(stored.relative_to(tmp_path))
    assert relative.startswith("tenants/alpha/messages/")
    assert ".." not in relative
    media_url = accepted.json()["media"]["url"]
    served = api_alpha.get(media_url)
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert 'filename="passwd.png"' in served["Content-Disposition"]
    from_beta = api_beta.get(media_url)
    assert from_beta.status_code == 404

    report_figure(
        f"R14: {refused}/{len(hostile)} hostile uploads refused (4xx, error shape), 0 rows, "
        f"0 files; traversal name stored as {relative.rsplit('/', 1)[-1]!r} under the tenant "
        f"prefix; served with nosniff + CSP sandbox; other tenant -> {from_beta.status_code}"
    )
