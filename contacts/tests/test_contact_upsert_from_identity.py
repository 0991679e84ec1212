"""Inbound messages find their contact through the channel identity, the phone, or create one;
simultaneous first messages of one person create exactly one contact."""

import threading

import pytest
from django.db import connection

from contacts.models import Contact, ContactIdentity
from contacts.services import contact_upsert_from_identity
from contacts.tests.factories import ContactFactory, ContactIdentityFactory
from tenants.tenancy import tenant_scope


def test_a_new_identity_creates_a_contact_and_its_identity(in_alpha):
    contact, created = contact_upsert_from_identity(
        provider="telegram",
        external_id="42",
        name="Ana Souza",
        phone="+55 11 98765-4321",
        avatar_url="https://example.com/a.png",
    )

    assert created
    assert (contact.name, contact.phone, contact.avatar_url) == (
        "Ana Souza",
        "+5511987654321",
        "https://example.com/a.png",
    )
    identity = ContactIdentity.objects.get()
    assert (identity.contact, identity.provider, identity.external_id) == (
        contact,
        "telegram",
        "42",
    )
    assert identity.display_name == "Ana Souza"


def test_a_known_identity_returns_its_contact_and_keeps_the_agents_name(in_alpha):
    identity = ContactIdentityFactory(
        contact__name="Ana (cliente VIP)",
        contact__avatar_url="",
        provider="telegram",
        external_id="42",
    )

    contact, created = contact_upsert_from_identity(
        provider="telegram", external_id="42", name="ana", avatar_url="https://example.com/a.png"
    )

    assert not created
    assert contact.pk == identity.contact.pk
    contact.refresh_from_db()
    assert contact.name == "Ana (cliente VIP)"
    assert contact.avatar_url == "https://example.com/a.png"
    identity.refresh_from_db()
    assert identity.display_name == "ana"
    assert Contact.objects.count() == 1


def test_a_new_channel_of_a_known_phone_attaches_an_identity_to_that_contact(in_alpha):
    known = ContactFactory(name="Ana", phone="+5511987654321")

    contact, created = contact_upsert_from_identity(
        provider="whatsapp_cloud", external_id="5511987654321", name="Ana S", phone="5511987654321"
    )

    assert not created
    assert contact.pk == known.pk
    assert list(known.identities.values_list("provider", flat=True)) == ["whatsapp_cloud"]
    assert Contact.objects.count() == 1


def test_the_same_id_on_another_provider_is_another_identity(in_alpha):
    first, _ = contact_upsert_from_identity(provider="telegram", external_id="42", name="A")
    second, created = contact_upsert_from_identity(provider="messenger", external_id="42", name="B")

    assert created
    assert first.pk != second.pk


def test_an_invalid_phone_does_not_lose_the_contact(in_alpha):
    contact, created = contact_upsert_from_identity(
        provider="telegram", external_id="7", name="", phone="12"
    )
    assert created
    assert contact.phone == ""
    assert contact.name == "7"


def test_a_phone_learnt_later_fills_the_empty_phone(in_alpha):
    contact_upsert_from_identity(provider="telegram", external_id="7", name="Bia")

    contact, _ = contact_upsert_from_identity(
        provider="telegram", external_id="7", name="Bia", phone="11987654321"
    )

    contact.refresh_from_db()
    assert contact.phone == "+5511987654321"


@pytest.mark.parametrize("phone", ["+5511955554444", None])
def test_twenty_simultaneous_first_messages_create_one_contact_and_one_identity(alpha, phone):
    tenant = alpha.tenant
    threads_count = 20
    barrier = threading.Barrier(threads_count)
    results: list[tuple[int, bool]] = []
    failures: list[BaseException] = []

    def race() -> None:
        try:
            with tenant_scope(tenant):
                barrier.wait(timeout=10)
                contact, created = contact_upsert_from_identity(
                    provider="telegram",
                    external_id="race-1",
                    name="Racer",
                    phone=phone,
                )
                results.append((contact.pk, created))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    def counts_and_cleanup() -> None:
        try:
            with tenant_scope(tenant):
                counts.append(Contact.objects.filter(name="Racer").count())
                counts.append(
                    ContactIdentity.objects.filter(
                        provider="telegram", external_id="race-1"
                    ).count()
                )
                Contact.objects.filter(name="Racer").delete()
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    counts: list[int] = []
    cleanup = threading.Thread(target=counts_and_cleanup)
    cleanup.start()
    cleanup.join(timeout=30)

    assert failures == []
    assert counts == [1, 1]
    assert len(results) == threads_count
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
