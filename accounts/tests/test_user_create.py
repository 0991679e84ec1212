"""user_create: the plan's user limit, password rules and case-insensitive unique e-mails."""

from __future__ import annotations

import pytest

from accounts.errors import UserLimitReached
from accounts.models import User
from accounts.services import user_create
from core.exceptions import FieldValidationError
from tenants.tenancy import public_scope, tenant_scope

PASSWORD = "Tulip-Orbit-731"


def _set_max_users(tenant, max_users: int) -> None:
    with public_scope():
        tenant.max_users = max_users
        tenant.save(update_fields=["max_users"])


def test_a_user_is_created_in_the_current_tenant_with_a_lower_cased_email(alpha, beta):
    with tenant_scope(alpha.tenant):
        user = user_create(
            email="  Maria.Silva@Example.COM ", name="Maria Silva", password=PASSWORD
        )

    assert user.email == "maria.silva@example.com"
    assert user.role == User.Role.AGENT
    assert not user.is_superuser
    with tenant_scope(alpha.tenant):
        stored = User.objects.get(pk=user.pk)
        assert stored.email == "maria.silva@example.com"
        assert stored.check_password(PASSWORD)
    with tenant_scope(beta.tenant):
        assert not User.objects.filter(email="maria.silva@example.com").exists()


def test_an_admin_role_makes_a_superuser_of_the_tenant(alpha):
    with tenant_scope(alpha.tenant):
        user = user_create(
            email="boss@example.com", name="Boss", password=PASSWORD, role=User.Role.ADMIN
        )

    assert user.role == User.Role.ADMIN
    assert user.is_superuser
    assert user.is_staff


def test_the_user_after_the_plan_limit_is_refused(alpha):
    # given: room for two active users, one of them the first admin
    _set_max_users(alpha.tenant, 2)
    with tenant_scope(alpha.tenant):
        user_create(email="second@example.com", name="Second", password=PASSWORD)

        # when: a third one is added
        with pytest.raises(UserLimitReached) as excinfo:
            user_create(email="third@example.com", name="Third", password=PASSWORD)

        # then: refused with a stable code, and nobody was created
        assert excinfo.value.code == "user_limit_reached"
        assert excinfo.value.http_status == 409
        assert excinfo.value.extra == {"max_users": 2}
        assert not User.objects.filter(email="third@example.com").exists()
        assert User.objects.count() == 2


def test_inactive_users_do_not_count_against_the_plan_limit(alpha):
    _set_max_users(alpha.tenant, 2)
    with tenant_scope(alpha.tenant):
        leaver = user_create(email="leaver@example.com", name="Leaver", password=PASSWORD)
        leaver.is_active = False
        leaver.save(update_fields=["is_active"])

        newcomer = user_create(email="newcomer@example.com", name="Newcomer", password=PASSWORD)

    assert newcomer.pk is not None


def test_the_limit_of_one_tenant_does_not_apply_to_another(alpha, beta):
    _set_max_users(alpha.tenant, 1)
    with tenant_scope(alpha.tenant), pytest.raises(UserLimitReached):
        user_create(email="blocked@example.com", name="Blocked", password=PASSWORD)

    with tenant_scope(beta.tenant):
        user = user_create(email="blocked@example.com", name="Welcome", password=PASSWORD)
    assert user.pk is not None


@pytest.mark.parametrize(
    "weak_password", ["12345678", "password", "short1", "weakling@example.com"]
)
def test_a_weak_password_is_refused(alpha, weak_password):
    with tenant_scope(alpha.tenant):
        with pytest.raises(FieldValidationError) as excinfo:
            user_create(email="weakling@example.com", name="Weakling", password=weak_password)

        assert list(excinfo.value.extra["fields"]) == ["password"]
        assert excinfo.value.code == "validation_error"
        assert not User.objects.filter(email="weakling@example.com").exists()


def test_a_duplicate_email_is_refused_whatever_its_case(alpha):
    with tenant_scope(alpha.tenant):
        user_create(email="Dup@Example.com", name="First", password=PASSWORD)

        with pytest.raises(FieldValidationError) as excinfo:
            user_create(email="dUP@example.COM", name="Second", password=PASSWORD)

        assert "email" in excinfo.value.extra["fields"]
        assert User.objects.filter(email__iexact="dup@example.com").count() == 1


def test_the_first_admins_email_is_taken_in_its_own_tenant(alpha):
    with tenant_scope(alpha.tenant), pytest.raises(FieldValidationError) as excinfo:
        user_create(email=alpha.admin_email.upper(), name="Impostor", password=PASSWORD)

    assert "email" in excinfo.value.extra["fields"]


def test_an_invalid_email_is_refused(alpha):
    with tenant_scope(alpha.tenant):
        with pytest.raises(FieldValidationError) as excinfo:
            user_create(email="not-an-email", name="Nobody", password=PASSWORD)

        assert "email" in excinfo.value.extra["fields"]
        assert not User.objects.filter(name="Nobody").exists()
