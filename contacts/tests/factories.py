"""factory_boy factories of contacts, their identities, tags and attribute definitions; call
them inside a tenant scope. Users come from accounts/tests/factories.py."""

from __future__ import annotations

import factory

from contacts.models import Contact, ContactAttributeDefinition, ContactIdentity, Tag


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")
    color = "#aa3355"


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    name = factory.Faker("name", locale="pt_BR")
    phone = factory.Sequence(lambda n: f"+55119{n:08d}")


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
