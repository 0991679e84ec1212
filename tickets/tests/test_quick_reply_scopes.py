"""Quick replies are tenant-wide (admins) or personal (owner); shortcodes unique per scope."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from core.exceptions import ApplicationError
from tenants.tenancy import tenant_scope
from tickets.selectors import quick_replies_for
from tickets.services.quick_replies import (
    quick_reply_create,
    quick_reply_delete,
    quick_reply_update,
)


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def test_an_agent_sees_shared_replies_and_only_their_own_personal_ones(in_alpha):
    admin, maria, joao = AdminFactory(), UserFactory(), UserFactory()
    quick_reply_create(by=admin, shortcode="ola", body="Olá", shared=True)
    quick_reply_create(by=maria, shortcode="pix", body="Chave pix", shared=False)
    quick_reply_create(by=joao, shortcode="pix", body="Outra chave", shared=False)

    visible = [(r.shortcode, r.body) for r in quick_replies_for(maria)]

    assert visible == [("ola", "Olá"), ("pix", "Chave pix")]


def test_a_duplicate_shortcode_in_the_same_scope_is_refused(in_alpha):
    admin, agent = AdminFactory(), UserFactory()
    quick_reply_create(by=admin, shortcode="ola", body="a", shared=True)
    quick_reply_create(by=agent, shortcode="ola", body="b", shared=False)  # other scope: fine

    with pytest.raises(ApplicationError) as shared_exc:
        quick_reply_create(by=admin, shortcode="ola", body="c", shared=True)
    with pytest.raises(ApplicationError) as personal_exc:
        quick_reply_create(by=agent, shortcode="ola", body="d", shared=False)

    assert shared_exc.value.code == personal_exc.value.code == "quick_reply_exists"
    assert shared_exc.value.http_status == 409


def test_only_admins_create_or_change_shared_replies(in_alpha):
    agent, admin = UserFactory(), AdminFactory()
    shared = quick_reply_create(by=admin, shortcode="ola", body="a", shared=True)

    with pytest.raises(ApplicationError) as create_exc:
        quick_reply_create(by=agent, shortcode="x", body="a", shared=True)
    with pytest.raises(ApplicationError) as update_exc:
        quick_reply_update(quick_reply=shared, by=agent, body="hack")

    assert create_exc.value.code == update_exc.value.code == "admin_required"
    shared.refresh_from_db()
    assert shared.body == "a"


def test_a_personal_reply_is_changed_only_by_its_owner(in_alpha):
    owner = UserFactory()
    mine = quick_reply_create(by=owner, shortcode="pix", body="a", shared=False)

    with pytest.raises(ApplicationError) as exc:
        quick_reply_delete(quick_reply=mine, by=AdminFactory())
    quick_reply_update(quick_reply=mine, by=owner, shortcode="pix2")

    assert exc.value.code == "quick_reply_forbidden"
    assert [r.shortcode for r in quick_replies_for(owner)] == ["pix2"]


def test_prefix_search_matches_the_start_of_the_shortcode(in_alpha):
    admin = AdminFactory()
    for code in ("boleto", "bom-dia", "abono"):
        quick_reply_create(by=admin, shortcode=code, body=code, shared=True)

    assert [r.shortcode for r in quick_replies_for(admin, prefix="/bo")] == ["boleto", "bom-dia"]
