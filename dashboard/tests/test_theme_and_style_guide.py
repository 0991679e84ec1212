"""The theme each user chooses in the profile (light, dark or the system's) is written by the
server on every page's <html>, so the first paint already has it; the pages load the design
tokens and components; /manage/style/ shows the components to admins only."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string

from accounts.models import User
from accounts.tests.factories import AdminFactory, UserFactory, users_with_the_same_id
from conftest import host_client, signed_in_client
from tenants.tenancy import tenant_scope


def _html_tag(html: str) -> str:
    match = re.search(r"<html [^>]*>", html)
    assert match is not None
    return match.group(0)


def _profile_post(client, **changes):
    return client.post("/accounts/profile/", {"name": "Ana Lima", "language": "", **changes})


def _theme_of(fixture, user) -> str:
    with tenant_scope(fixture.tenant):
        return User.objects.get(pk=user.pk).theme


def test_a_new_user_follows_the_system_and_pages_carry_the_tokens(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    page = signed_in_client(alpha, agent).get("/").content.decode()

    assert "data-theme" not in _html_tag(page)
    assert '<meta name="color-scheme" content="light dark">' in page
    tokens, components, app = (
        page.index(f"/static/css/{name}.css") for name in ("tokens", "components", "app")
    )
    assert tokens < components < app


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_a_chosen_theme_is_stored_and_written_on_every_page(alpha, theme):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    client = signed_in_client(alpha, agent)

    saved = _profile_post(client, theme=theme)

    assert saved.status_code == 302
    assert _theme_of(alpha, agent) == theme
    for path in ("/", "/contacts/", "/accounts/profile/", "/manage/"):
        html = client.get(path).content.decode()
        assert f'data-theme="{theme}"' in _html_tag(html), path
        assert f'<meta name="color-scheme" content="{theme}">' in html, path
    profile = client.get("/accounts/profile/").content.decode()
    assert re.search(rf'<option value="{theme}" selected>', profile)


def test_an_unknown_theme_is_refused_next_to_the_field_and_nothing_is_stored(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(theme=User.Theme.DARK)
    client = signed_in_client(alpha, agent)

    refused = _profile_post(client, theme="purple")

    assert refused.status_code == 400
    assert "has-error" in refused.content.decode()
    assert _theme_of(alpha, agent) == User.Theme.DARK


def test_a_theme_left_out_of_the_form_means_the_system(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(theme=User.Theme.DARK)

    saved = _profile_post(signed_in_client(alpha, agent))

    assert saved.status_code == 302
    assert _theme_of(alpha, agent) == User.Theme.SYSTEM


def test_one_users_theme_is_not_anothers(alpha, beta):
    dark, other = users_with_the_same_id(alpha.tenant, beta.tenant)
    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=dark.pk).update(theme=User.Theme.DARK)
        colleague = UserFactory()

    assert 'data-theme="dark"' in _html_tag(signed_in_client(alpha, dark).get("/").content.decode())
    for client in (signed_in_client(alpha, colleague), signed_in_client(beta, other)):
        assert "data-theme" not in _html_tag(client.get("/").content.decode())


def test_the_sign_in_page_follows_the_system(alpha):
    html = host_client(alpha.host).get("/accounts/login/").content.decode()

    assert "data-theme" not in _html_tag(html)
    assert "/static/css/tokens.css" in html


def test_the_style_guide_is_for_admins_and_shows_each_component(alpha):
    with tenant_scope(alpha.tenant):
        admin, agent = AdminFactory(), UserFactory()

    page = signed_in_client(alpha, admin).get("/manage/style/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="style-guide"' in html
    for component in (
        'class="secondary"',
        'class="danger"',
        "<select",
        'class="tabs"',
        'class="badge badge-success"',
        'class="toast',
        "<dialog",
        'class="list"',
        'class="empty-state"',
        "--color-accent",
    ):
        assert component in html, component
    index = signed_in_client(alpha, admin).get("/manage/").content.decode()
    assert 'href="/manage/style/" data-testid="manage-card"' in index
    assert signed_in_client(alpha, agent).get("/manage/style/").status_code == 403


def test_the_standalone_500_page_loads_the_tokens_and_follows_the_system():
    html = render_to_string("500.html")

    assert '<meta name="color-scheme" content="light dark">' in html
    tokens, components, app = (
        html.index(f"/static/css/{name}.css") for name in ("tokens", "components", "app")
    )
    assert tokens < components < app
