"""factory_boy factories of the contacts tests (users included: accounts is below contacts)."""

from __future__ import annotations

import factory

from accounts.models import User
from contacts.models import Contact, ContactAttributeDefinition, ContactIdentity, Tag

PASSWORD = "Agent-Password-42"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"contacts-agent{n}@example.com")
    name = factory.Faker("name", locale="pt_BR")
    role = User.Role.AGENT
    password = factory.django.Password(PASSWORD)


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_superuser = True


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"label-{n}")
    color = "#aa3355"


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    name = factory.Faker("name", locale="pt_BR")
    phone = factory.Sequence(lambda n: f"+55219{n:08d}")


class ContactIdentityFactory(factory.django.DjangoModelFactory[ContactIdentity]):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    provider = "webchat"
    external_id = factory.Sequence(lambda n: f"visitor-{n}")


class AttributeDefinitionFactory(factory.django.DjangoModelFactory[ContactAttributeDefinition]):
    class Meta:
        model = ContactAttributeDefinition

    key = factory.Sequence(lambda n: f"attr_{n}")
    label = factory.Sequence(lambda n: f"Attribute {n}")
    type = ContactAttributeDefinition.Type.TEXT
