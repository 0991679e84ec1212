"""The settings page shows only settings that act: every setting it offers is read by some code
outside the table that declares it; settings no channel supports yet are not offered."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

from accounts.tests.factories import AdminFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
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


def test_group_and_call_settings_are_not_shown_until_a_channel_supports_them(alpha):
    shown = _settings_on_the_page(alpha)

    assert not shown & {"ignore_group_messages", "reject_calls", "call_reject_message"}
