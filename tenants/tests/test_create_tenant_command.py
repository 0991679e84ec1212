"""manage.py create_tenant: the provisioning service on the command line."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from tenants.models import Domain, Tenant
from tenants.tenancy import public_scope, tenant_scope


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def _create_tenant(*args: str) -> str:
    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return out.getvalue()


def test_the_command_creates_a_tenant_and_prints_its_address(alpha):
    output = _create_tenant(
        "--name", "Cli Corp",
        "--slug", "clicorp",
        "--admin-email", "Root@CliCorp.test",
        "--admin-password", "Saffron-Kettle-90",
        "--admin-name", "Carla Cli",
        "--time-zone", "Europe/Berlin",
        "--language", "en",
        "--max-users", "7",
        "--max-channels", "1",
    )  # fmt: skip

    assert "Tenant clicorp created at clicorp.localhost" in output
    # a chosen password is never echoed
    assert "Saffron-Kettle-90" not in output
    assert "(as given)" in output
    assert _schema_exists("clicorp")
    with public_scope():
        tenant = Tenant.objects.get(schema_name="clicorp")
        assert Domain.objects.get(tenant=tenant, is_primary=True).domain == "clicorp.localhost"
    assert (tenant.name, tenant.time_zone, tenant.language) == ("Cli Corp", "Europe/Berlin", "en")
    assert (tenant.max_users, tenant.max_channels) == (7, 1)
    with tenant_scope(tenant):
        admin = User.objects.get()
    assert admin.email == "root@clicorp.test"
    assert admin.role == User.Role.ADMIN
    assert admin.check_password("Saffron-Kettle-90")


def test_without_a_password_the_command_prints_a_generated_one_that_works(alpha):
    output = _create_tenant("--name", "Gen", "--slug", "gencli", "--admin-email", "a@gencli.test")

    match = re.search(r"Admin: a@gencli\.test / (\S+)", output)
    assert match, output
    with public_scope():
        tenant = Tenant.objects.get(schema_name="gencli")
    with tenant_scope(tenant):
        assert User.objects.get(email="a@gencli.test").check_password(match.group(1))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--slug", "1abc", "--admin-email", "a@b.test"], "slug"),
        (["--slug", "public", "--admin-email", "a@b.test"], "slug"),
        (["--slug", "alpha", "--admin-email", "a@b.test"], "slug"),
        (["--slug", "badmail", "--admin-email", "not-an-email"], "admin_email"),
        (
            ["--slug", "badpass", "--admin-email", "a@b.test", "--admin-password", "123"],
            "admin_password",
        ),
        (
            ["--slug", "badzone", "--admin-email", "a@b.test", "--time-zone", "Atlantis/Capital"],
            "time_zone",
        ),
    ],
)
def test_bad_input_raises_a_command_error_naming_the_field_and_creates_nothing(alpha, args, field):
    with public_scope():
        tenants_before = Tenant.objects.count()
        domains_before = Domain.objects.count()
    slug = args[1]

    with pytest.raises(CommandError) as excinfo:
        _create_tenant("--name", "Nope", *args)

    assert "Tenant not created" in str(excinfo.value)
    assert re.search(rf"^\s+{field}: \S", str(excinfo.value), re.MULTILINE), str(excinfo.value)
    with public_scope():
        assert Tenant.objects.count() == tenants_before
        assert Domain.objects.count() == domains_before
    if slug not in ("public", "alpha"):
        assert not _schema_exists(slug)


def test_required_options_are_enforced(alpha):
    with pytest.raises(CommandError, match="--admin-email"):
        _create_tenant("--name", "Nope", "--slug", "missing")

    assert not _schema_exists("missing")
