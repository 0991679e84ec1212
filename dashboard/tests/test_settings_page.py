"""The settings page shows only settings that act: every setting it offers is read by some code
outside the table that declares it; settings no channel supports yet are not offered."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

from accounts.tests.factories import AdminFactory
from conftest import signed_in_client
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tenants.tenant_settings import TENANT_SETTINGS

ROOT = Path(settings.BASE_DIR)
# Where a setting is declared or merely offered, which is not where it is acted on.
NOT_READERS = {
    ROOT / "tenants" / "tenant_settings.py",
    ROOT / "dashboard" / "manage" / "forms.py",
}
SKIPPED_DIRS = {"tests", "migrations", "bench", "scripts", "node_modules"}


def _string_constants_of_the_code() -> set[str]:
    """Every string literal of the project's modules (not tests, migrations or benchmarks):
    a setting is read when its key is named in code, ``tenant_setting("key")`` or alike."""
    found: set[str] = set()
    for package in ROOT.iterdir():
        if not (package / "__init__.py").exists() or package.name in SKIPPED_DIRS:
            continue
        for module in package.rglob("*.py"):
            if module in NOT_READERS or SKIPPED_DIRS & set(module.relative_to(ROOT).parts):
                continue
            tree = ast.parse(module.read_text(encoding="utf-8"))
            found.update(
                node.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            )
    return found


def _settings_on_the_page(alpha) -> set[str]:
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    page = signed_in_client(alpha, admin).get("/manage/settings/")
    assert page.status_code == 200
    form = page.content.decode().split('data-testid="settings-form"', 1)[1].split("</form>", 1)[0]
    return set(re.findall(r'\bname="([a-z_]+)"', form)) & set(TENANT_SETTINGS)


def test_every_setting_shown_on_the_settings_page_is_read_by_code(alpha):
    shown = _settings_on_the_page(alpha)
    constants = _string_constants_of_the_code()

    unread = sorted(key for key in shown if key not in constants)

    assert shown, "the settings page shows no tenant setting"
    assert unread == [], f"shown on /manage/settings/ but read by no code: {unread}"


def test_the_whatsapp_qr_channels_call_and_group_settings_are_shown(alpha):
    shown = _settings_on_the_page(alpha)

    assert {"reject_calls", "call_reject_message", "ignore_group_messages"} <= shown


def _form_values(alpha, **changes):
    with public_scope():
        tenant = Tenant.objects.get(pk=alpha.tenant.pk)
    values = {
        "time_zone": tenant.time_zone,
        "language": tenant.language,
        "days_to_close": "7",
        "reopen_window_minutes": "0",
        "audit_retention_days": "365",
        "farewell_on_close": "on",
    }
    return {**values, **changes}


def test_an_admin_changes_the_tenants_time_zone_and_language(alpha, beta):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory(language="")
    client = signed_in_client(alpha, admin)

    saved = client.post(
        "/manage/settings/", _form_values(alpha, time_zone="Europe/Lisbon", language="en")
    )

    assert saved.status_code == 302
    with public_scope():
        changed = Tenant.objects.get(pk=alpha.tenant.pk)
        untouched = Tenant.objects.get(pk=beta.tenant.pk)
    assert (changed.time_zone, changed.language) == ("Europe/Lisbon", "en")
    assert (untouched.time_zone, untouched.language) == ("America/Sao_Paulo", "pt-br")
    page = client.get("/manage/settings/")
    assert page["Content-Language"] == "en"
    assert 'value="Europe/Lisbon" selected' in page.content.decode()


def test_an_unknown_time_zone_is_refused_and_nothing_is_stored(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    client = signed_in_client(alpha, admin)

    refused = client.post(
        "/manage/settings/",
        _form_values(alpha, time_zone="Mars/Olympus", language="en", days_to_close="3"),
    )

    assert refused.status_code == 400
    assert "has-error" in refused.content.decode()
    with public_scope():
        tenant = Tenant.objects.get(pk=alpha.tenant.pk)
    assert (tenant.time_zone, tenant.language) == ("America/Sao_Paulo", "pt-br")
    assert "days_to_close" not in (tenant.settings or {})
