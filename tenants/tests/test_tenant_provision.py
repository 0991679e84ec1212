"""tenant_provision: schema, primary domain and first admin, all or nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_tenants.signals import post_schema_sync

from accounts.models import User
from conftest import host_api_client
from core.exceptions import FieldValidationError
from tenants.models import Domain, Tenant
from tenants.services import tenant_provision
from tenants.tenancy import public_scope, tenant_scope

PASSWORD = "Lantern-Quartz-58"


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def _leftovers(slug: str) -> dict[str, bool]:
    """What exists for ``slug``: its schema, its tenant row, its ``<slug>.localhost`` domain."""
    with public_scope():
        return {
            "schema": _schema_exists(slug),
            "tenant": Tenant.objects.filter(schema_name=slug).exists(),
            "domain": Domain.objects.filter(domain=f"{slug}.localhost").exists(),
        }


NOTHING = {"schema": False, "tenant": False, "domain": False}


def _provision(**overrides):
    arguments = {
        "name": "Acme Support",
        "slug": "acme",
        "admin_email": "owner@acme.test",
        "admin_password": PASSWORD,
        "admin_name": "Olga Owner",
    }
    arguments.update(overrides)
    return tenant_provision(**arguments)


def test_provisioning_creates_the_schema_the_primary_domain_and_the_first_admin(alpha):
    assert _leftovers("acme") == NOTHING

    result = _provision(time_zone="Europe/Lisbon", language="en", max_users=4, max_channels=2)

    tenant = result.tenant
    assert _schema_exists("acme")
    with public_scope():
        stored = Tenant.objects.get(schema_name="acme")
        domains = list(Domain.objects.filter(tenant=stored))
    assert stored.pk == tenant.pk
    assert stored.name == "Acme Support"
    assert stored.status == Tenant.Status.ACTIVE
    assert (stored.time_zone, stored.language) == ("Europe/Lisbon", "en")
    assert (stored.max_users, stored.max_channels) == (4, 2)
    assert [(d.domain, d.is_primary) for d in domains] == [("acme.localhost", True)]
    assert result.admin_email == "owner@acme.test"
    assert result.admin_password == PASSWORD
    assert result.password_generated is False

    with tenant_scope(tenant):
        admins = list(User.objects.all())
    assert len(admins) == 1
    admin = admins[0]
    assert admin.email == "owner@acme.test"
    assert admin.name == "Olga Owner"
    assert admin.role == User.Role.ADMIN
    assert admin.is_superuser
    assert admin.check_password(PASSWORD)

    # the first admin exists only in the new schema
    with public_scope():
        assert not User.objects.filter(email="owner@acme.test").exists()
    with tenant_scope(alpha.tenant):
        assert not User.objects.filter(email="owner@acme.test").exists()


def test_a_generated_password_is_returned_and_signs_in(alpha):
    # given: no password was chosen
    result = _provision(slug="genpass", admin_email="first@genpass.test", admin_password=None)

    # then: one was generated, returned once, and stored only as a hash
    assert result.password_generated is True
    assert len(result.admin_password) >= 12
    with tenant_scope(result.tenant):
        admin = User.objects.get(email="first@genpass.test")
    assert admin.password != result.admin_password

    # when: the first admin signs in on the new tenant's host with it
    api = host_api_client("genpass.localhost")
    response = api.post(
        "/api/v1/auth/token/",
        {"email": "first@genpass.test", "password": result.admin_password},
        format="json",
    )

    # then: a token pair comes back and names the new admin
    assert response.status_code == 200, response.content
    me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.status_code == 200
    assert me.json()["email"] == "first@genpass.test"
    assert me.json()["tenant"]["slug"] == "genpass"


def test_a_slug_with_a_hyphen_is_a_host_that_answers(alpha):
    """Host names take hyphens (an underscore makes Django refuse the Host header)."""
    result = _provision(slug="loja-centro", admin_email="dona@loja-centro.test")

    api = host_api_client("loja-centro.localhost")
    response = api.post(
        "/api/v1/auth/token/",
        {"email": "dona@loja-centro.test", "password": PASSWORD},
        format="json",
    )

    assert _schema_exists("loja-centro")
    assert response.status_code == 200, response.content
    with tenant_scope(result.tenant):
        assert User.objects.filter(email="dona@loja-centro.test").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "slug"),
    [
        pytest.param({"slug": "1abc"}, "slug", "1abc", id="slug-starting-with-a-digit"),
        pytest.param({"slug": "Has Space"}, "slug", "has space", id="slug-with-a-space"),
        pytest.param({"slug": "a"}, "slug", "a", id="slug-too-short"),
        pytest.param({"slug": "x" * 41}, "slug", "x" * 41, id="slug-too-long"),
        pytest.param({"slug": "acme_co"}, "slug", "acme_co", id="slug-with-an-underscore"),
        pytest.param({"slug": "acme-"}, "slug", "acme-", id="slug-ending-with-a-hyphen"),
        pytest.param({"slug": "public"}, "slug", "public", id="reserved-public"),
        pytest.param({"slug": "www"}, "slug", "www", id="reserved-www"),
        pytest.param({"slug": "pg_temp1"}, "slug", "pg_temp1", id="postgres-prefix"),
        pytest.param(
            {"admin_password": "password"}, "admin_password", "acme", id="common-password"
        ),
        pytest.param(
            {"admin_password": "12345678"}, "admin_password", "acme", id="numeric-password"
        ),
        pytest.param({"admin_email": "not-an-email"}, "admin_email", "acme", id="invalid-email"),
        pytest.param(
            {"time_zone": "Mars/Olympus_Mons"}, "time_zone", "acme", id="unknown-time-zone"
        ),
        pytest.param({"language": "fr"}, "language", "acme", id="unknown-language"),
        pytest.param({"name": "   "}, "name", "acme", id="blank-name"),
        pytest.param({"max_users": 0}, "max_users", "acme", id="no-room-for-users"),
    ],
)
def test_invalid_input_is_refused_and_leaves_nothing_behind(alpha, overrides, field, slug):
    with public_scope():
        tenants_before = Tenant.objects.count()
        domains_before = Domain.objects.count()

    with pytest.raises(FieldValidationError) as excinfo:
        _provision(**overrides)

    assert excinfo.value.code == "validation_error"
    assert list(excinfo.value.extra["fields"]) == [field]
    assert all(excinfo.value.extra["fields"][field])
    if slug != "public":
        assert _leftovers(slug) == NOTHING
    with public_scope():
        assert Tenant.objects.count() == tenants_before
        assert Domain.objects.count() == domains_before


def test_every_invalid_field_is_reported_at_once(alpha):
    with pytest.raises(FieldValidationError) as excinfo:
        _provision(slug="1abc", admin_email="nope", admin_password="123", time_zone="Nowhere/Land")

    assert set(excinfo.value.extra["fields"]) == {
        "slug",
        "admin_email",
        "admin_password",
        "time_zone",
    }


def test_a_slug_that_is_taken_is_refused_whatever_its_case(alpha):
    with public_scope():
        tenants_before = Tenant.objects.count()
        domains_before = Domain.objects.count()

    with pytest.raises(FieldValidationError) as excinfo:
        _provision(slug=" Alpha ")

    assert list(excinfo.value.extra["fields"]) == ["slug"]
    with public_scope():
        assert Tenant.objects.count() == tenants_before
        assert Domain.objects.count() == domains_before
        # the existing tenant and its first admin are untouched
        assert Tenant.objects.get(schema_name="alpha").name == "Alpha"
    with tenant_scope(alpha.tenant):
        assert not User.objects.filter(email="owner@acme.test").exists()


def test_a_domain_that_already_routes_elsewhere_is_refused(alpha, beta):
    # given: beta already owns the host the new tenant would get
    with public_scope():
        Domain.objects.create(domain="acme.localhost", tenant=beta.tenant, is_primary=False)

    with pytest.raises(FieldValidationError) as excinfo:
        _provision(slug="acme")

    assert list(excinfo.value.extra["fields"]) == ["slug"]
    assert not _schema_exists("acme")
    with public_scope():
        assert not Tenant.objects.filter(schema_name="acme").exists()
        assert list(
            Domain.objects.filter(domain="acme.localhost").values_list("tenant", flat=True)
        ) == [beta.tenant.pk]


def test_a_failure_after_the_schema_was_created_rolls_everything_back(alpha):
    # given: an e-mail that validate_email accepts but the 254-character column does not, so the
    # failure happens only when the first admin is saved, inside the new schema
    local_part = ".".join(letter * 50 for letter in "abcde")
    email = f"{local_part}@x.com"
    assert len(email) > 254
    seen_during_provisioning: list[dict[str, bool]] = []

    def record(sender, tenant, **kwargs):
        seen_during_provisioning.append({"schema": _schema_exists(tenant.schema_name)})

    post_schema_sync.connect(record, dispatch_uid="test-rollback-probe")
    try:
        with pytest.raises(FieldValidationError) as excinfo:
            _provision(slug="rollback", admin_email=email)
    finally:
        post_schema_sync.disconnect(dispatch_uid="test-rollback-probe")

    # then: the schema had been created and migrated before the failure...
    assert seen_during_provisioning == [{"schema": True}]
    # ...the error names the admin's e-mail, and the schema, row and domain are gone
    assert list(excinfo.value.extra["fields"]) == ["admin_email"]
    assert _leftovers("rollback") == NOTHING
    # and the connection is usable and back in the public schema
    assert connection.schema_name == "public"
    with public_scope():
        assert Tenant.objects.filter(schema_name="alpha").exists()


def _drop_tenant(slug: str) -> None:
    """Remove what a committed provisioning created (its schema, row and domains)."""
    try:
        with public_scope():
            for tenant in Tenant.objects.filter(schema_name=slug):
                Domain.objects.filter(tenant=tenant).delete()
                tenant.delete(force_drop=True)
            Domain.objects.filter(domain=f"{slug}.localhost").delete()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
    finally:
        connection.close()


def _in_thread(target, *args):
    """Run ``target`` on its own connection (committed work, no locks held by the test)."""
    results = []
    thread = threading.Thread(target=lambda: results.append(target(*args)))
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert results, "the thread failed"
    return results[0]


def _admin_emails(slug: str) -> list[str]:
    try:
        with public_scope():
            tenant = Tenant.objects.get(schema_name=slug)
        with tenant_scope(tenant):
            return sorted(User.objects.values_list("email", flat=True))
    finally:
        connection.close()


def test_two_concurrent_provisionings_of_one_slug_create_exactly_one_tenant(alpha):
    # Each thread has its own connection that commits for real, outside the test transaction,
    # so whatever they create is dropped again from a thread at the end.
    slug = "racer"
    _in_thread(_drop_tenant, slug)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[object] = []
    lock = threading.Lock()

    def provision(index: int) -> None:
        try:
            barrier.wait()
            result = _provision(
                name=f"Racer {index}", slug=slug, admin_email=f"admin{index}@racer.test"
            )
            outcome: object = (result.tenant.pk, result.admin_email)
        except Exception as exc:  # the test inspects whatever was raised
            outcome = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    try:
        # when: two threads provision the same new slug at the same moment
        threads = [threading.Thread(target=provision, args=(i,)) for i in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)

        # then: one won, the other was told the address is taken
        winners = [o for o in outcomes if isinstance(o, tuple)]
        losers = [o for o in outcomes if not isinstance(o, tuple)]
        assert len(winners) == 1, outcomes
        assert len(losers) == 1, outcomes
        assert isinstance(losers[0], FieldValidationError), repr(losers[0])
        assert list(losers[0].extra["fields"]) == ["slug"]

        # and exactly one schema, tenant and domain exist, all belonging to the winner
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [slug])
            assert cursor.fetchone()[0] == 1
        [(winner_pk, winner_email)] = winners
        with public_scope():
            assert list(Tenant.objects.filter(schema_name=slug).values_list("pk", flat=True)) == [
                winner_pk
            ]
            domains = list(Domain.objects.filter(domain=f"{slug}.localhost"))
        assert [d.tenant_id for d in domains] == [winner_pk]
        # the loser's admin did not end up in the winner's schema (read from a thread, so the
        # test's transaction holds no lock on the schema that is dropped afterwards)
        assert _in_thread(_admin_emails, slug) == [winner_email]
    finally:
        _in_thread(_drop_tenant, slug)

    assert _leftovers(slug) == NOTHING
