"""factory_boy factories of users (agents and admins); call them inside a tenant scope."""

from __future__ import annotations

import factory

from accounts.models import User

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
