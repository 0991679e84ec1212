"""Translated strings that contain ``<…>`` (``</body>``, ``<company>``) must reach the page as
text. A literal in ``{% translate %}`` is trusted as HTML, so the browser would swallow the
angle-bracketed part: "Paste this tag before </body> on every page" read "before on every page".

The scan renders every page without URL arguments of a tenant host (as an admin, in pt-BR and in
English), a connection's page and the platform home, and for every such string of the catalogue
whose beginning appears on a page, demands the whole string, escaped, on that page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.html import escape

from accounts.tests.factories import AdminFactory
from conftest import host_client, signed_in_client
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory

PO = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
SKIPPED_PREFIXES = ("admin/", "api/", "widget/", "static/", "media/")
ANGLED = re.compile(r"<[^<>]+>")


def _catalogue_strings_with_angles() -> list[str]:
    """Every msgid and msgstr of the pt-BR catalogue that has ``<…>`` in it."""
    entries = re.findall(r'^msg(?:id|str) ((?:".*"\n)+)', PO.read_text() + "\n", flags=re.MULTILINE)
    found = []
    for entry in entries:
        text = "".join(re.findall(r'"(.*)"', entry)).replace('\\"', '"')
        if ANGLED.search(text):
            found.append(text)
    return found


def _static_paths(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    paths = []
    for entry in patterns:
        route = str(entry.pattern)
        if "<" in route or route.startswith("^"):
            continue
        if isinstance(entry, URLResolver):
            paths.extend(_static_paths(entry.url_patterns, prefix + route))
        else:
            paths.append("/" + prefix + route)
    return [path for path in paths if not path.lstrip("/").startswith(SKIPPED_PREFIXES)]


def _losses(html: str, strings: list[str]) -> list[str]:
    """Strings whose text before the first ``<`` is on the page but not the whole, escaped."""
    lost = []
    for text in strings:
        head = text.split("<", 1)[0]
        if len(head) >= 12 and head in html and escape(text) not in html:
            lost.append(text)
    return lost


def test_the_catalogue_has_such_strings_to_check():
    strings = _catalogue_strings_with_angles()
    assert "Paste this tag before </body> on every page of the allowed sites:" in strings


@pytest.mark.parametrize("language", ["", "en"])
def test_no_page_of_a_tenant_host_loses_angle_bracketed_text(alpha, language):
    strings = _catalogue_strings_with_angles()
    with tenant_scope(alpha.tenant):
        admin = AdminFactory(language=language)
        widget = ConnectionFactory(provider="webchat", credentials={"allowed_origins": []})
    client = signed_in_client(alpha, admin)
    paths = _static_paths(get_resolver("tiktickets.urls").url_patterns)
    paths.append(f"/manage/connections/{widget.public_id}/")
    assert "/manage/connections/" in paths
    lost = {}
    scanned = 0
    for path in paths:
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        scanned += 1
        if losses := _losses(response.content.decode(), strings):
            lost[path] = losses
    assert scanned >= 8
    assert lost == {}


def test_the_platform_home_shows_the_tenant_address_pattern(alpha):
    html = host_client("localhost").get("/").content.decode()
    assert (
        escape("https://<company>.<this domain>/") in html
        or escape("https://<empresa>.<este domínio>/") in html
    )
    assert _losses(html, _catalogue_strings_with_angles()) == []
