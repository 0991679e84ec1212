"""factory_boy factories of users (agents and admins); call them inside a tenant scope."""

from __future__ import annotations

import time
from typing import cast

import factory
import pyotp

from accounts.models import TwoFactorDevice, User
from accounts.two_factor import two_factor_enrolment_confirm, two_factor_enrolment_start
from tenants.models import Tenant
from tenants.tenancy import tenant_scope

# Every factory-made user signs in with this password (see conftest's sign-in helpers).
PASSWORD = "Agent-Password-42"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """An agent; ``UserFactory(queues=[queue])`` also makes them a member of those queues."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    name = factory.Faker("name", locale="pt_BR")
    role = User.Role.AGENT
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def queues(self, create, extracted, **kwargs):
        # The queues relation is declared by tickets.Queue; it is reached through the reverse
        # accessor, so accounts imports nothing above it.
        if create and extracted:
            self.queues.set(extracted)


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_superuser = True


def users_with_the_same_id(first: Tenant, second: Tenant) -> tuple[User, User]:
    """A user in each tenant with the same primary key (each schema has its own sequence, so
    one of them gets fillers until they meet): the case where an unscoped id would leak."""

    def made_in(tenant: Tenant) -> User:
        with tenant_scope(tenant):
            return cast(User, UserFactory())

    mine, twin = made_in(first), made_in(second)
    while mine.pk != twin.pk:
        behind = first if mine.pk < twin.pk else second
        made = made_in(behind)
        mine, twin = (made, twin) if behind is first else (mine, made)
    return mine, twin


def two_factor_enrol(user: User) -> tuple[pyotp.TOTP, list[str]]:
    """Give ``user`` (call inside its schema) a confirmed authenticator through the services, as
    if enrolled a minute ago: the returned TOTP's current code has not been used yet. Returns
    it with the recovery codes."""
    enrolment = two_factor_enrolment_start(user=user)
    totp = pyotp.TOTP(enrolment.secret)
    codes = two_factor_enrolment_confirm(user=user, code=totp.now(), ip="127.0.0.1")
    TwoFactorDevice.objects.filter(user=user).update(last_used_step=totp.timecode(time.time()) - 2)
    return totp, codes
