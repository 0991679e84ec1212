"""The contact list: wallet visibility, search, tag filter, keyset pages with pinned queries."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from contacts.tests.factories import ContactFactory, TagFactory


@pytest.fixture
def agent(in_alpha):
    return UserFactory()


@pytest.fixture
def as_agent(api_alpha, agent):
    return sign_in_api(api_alpha, agent.email)


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {contact["name"] for contact in response.json()["results"]}


def test_an_agent_sees_contacts_without_wallet_and_their_own(as_agent, agent):
    ContactFactory(name="Free")
    ContactFactory(name="Mine").owners.add(agent)
    shared = ContactFactory(name="Shared")
    shared.owners.add(agent, UserFactory())
    ContactFactory(name="Others").owners.add(UserFactory())

    names = _names(as_agent.get("/api/v1/contacts/"))

    assert names == {"Free", "Mine", "Shared"}


def test_an_admin_sees_every_contact(api_alpha, in_alpha):
    admin = AdminFactory()
    ContactFactory(name="Free")
    ContactFactory(name="Others").owners.add(UserFactory())

    names = _names(sign_in_api(api_alpha, admin.email).get("/api/v1/contacts/"))

    assert names == {"Free", "Others"}


def test_a_contact_with_several_owners_is_listed_once(as_agent, agent):
    ContactFactory(name="Shared").owners.add(agent, UserFactory(), UserFactory())

    response = as_agent.get("/api/v1/contacts/")

    assert [c["name"] for c in response.json()["results"]] == ["Shared"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("silva", {"João Silva"}),
        ("Joao Silvia", {"João Silva"}),
        ("98765", {"João Silva"}),
        ("(11) 98765", {"João Silva"}),
        ("ana@", {"Ana Costa"}),
        ("zzz", set()),
        ("' OR 1=1 --", set()),
    ],
)
def test_search_by_name_phone_digits_or_email(as_agent, search, expected):
    ContactFactory(name="João Silva", phone="+5511987654321")
    ContactFactory(name="Ana Costa", phone="+5521912340000", email="ana@example.com")

    assert _names(as_agent.get("/api/v1/contacts/", {"search": search})) == expected


def test_tag_filter_returns_contacts_with_any_of_the_tags(as_agent):
    vip, lead, other = TagFactory(), TagFactory(), TagFactory()
    ContactFactory(name="A").tags.add(vip)
    ContactFactory(name="B").tags.add(lead, vip)
    ContactFactory(name="C").tags.add(other)
    ContactFactory(name="D")

    response = as_agent.get("/api/v1/contacts/", {"tag_ids": [vip.pk, lead.pk]})

    assert _names(response) == {"A", "B"}
    assert len(response.json()["results"]) == 2


def test_a_bad_tag_filter_is_a_400(as_agent):
    response = as_agent.get("/api/v1/contacts/", {"tag_ids": ["x"]})
    assert response.status_code == 400
    assert "tag_ids" in response.json()["extra"]["fields"]


def test_pages_follow_the_cursor_without_repeats(as_agent):
    for index in range(5):
        ContactFactory(name=f"C{index}")

    seen: list[str] = []
    url = "/api/v1/contacts/?page_size=2"
    while url:
        body = as_agent.get(url).json()
        seen += [c["name"] for c in body["results"]]
        url = body["next"]

    assert sorted(seen) == [f"C{i}" for i in range(5)]


@pytest.mark.parametrize("page_size", [1, 40])
def test_the_list_costs_the_same_queries_for_any_page_size(
    as_agent, agent, django_assert_num_queries, page_size
):
    tags = [TagFactory(), TagFactory()]
    for _ in range(45):
        contact = ContactFactory()
        contact.tags.add(*tags)
        contact.owners.add(agent)
        contact.identities.create(provider="telegram", external_id=str(contact.pk))

    # user (JWT), contacts page, then tags, owners and identities of the page (the tenant from
    # the host cache, its search_path already the connection's)
    with django_assert_num_queries(5):
        response = as_agent.get("/api/v1/contacts/", {"page_size": page_size, "search": "a"})

    assert response.status_code == 200
    assert 1 <= len(response.json()["results"]) <= page_size
