"""The session store (``accounts.session_store``): Django's database sessions, the per-request
read compiled once per process, with Django's answers for live, expired, unknown and other
tenants' sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import host_client, signed_in_client
from tenants.tenancy import tenant_scope

pytestmark = pytest.mark.django_db

PAGE = "/inbox/counts/"  # signed in: 200; not: a redirect to the sign-in page


def _agent(fixture: Any) -> Any:
    with tenant_scope(fixture.tenant):
        return UserFactory()


@pytest.fixture
def session_compilations(monkeypatch) -> list[str]:
    """Every compilation of a statement on the sessions table (Django's compiler, spied)."""
    seen: list[str] = []
    as_sql = SQLCompiler.as_sql

    def spied(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        if self.query.model is Session:
            seen.append(type(self).__name__)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", spied)
    return seen


def test_a_signed_in_browsers_requests_compile_no_session_statement(alpha, session_compilations):
    client = signed_in_client(alpha, _agent(alpha))
    assert client.get(PAGE).status_code == 200  # the statement may be compiled here, once
    session_compilations.clear()

    for _ in range(3):
        assert client.get(PAGE).status_code == 200

    assert session_compilations == []


def test_an_expired_session_is_signed_out(alpha):
    client = signed_in_client(alpha, _agent(alpha))
    assert client.get(PAGE).status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    with tenant_scope(alpha.tenant):
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )

    assert client.get(PAGE).status_code == 302


def test_a_session_is_only_valid_on_its_own_tenants_host(alpha, beta):
    client = signed_in_client(alpha, _agent(alpha))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    elsewhere = host_client(beta.host)
    elsewhere.cookies[settings.SESSION_COOKIE_NAME] = key

    assert client.get(PAGE).status_code == 200
    assert elsewhere.get(PAGE).status_code == 302
    assert host_client(alpha.host).get(PAGE).status_code == 302  # no cookie at all


def test_a_session_written_by_djangos_store_stays_signed_in(alpha):
    user = _agent(alpha)
    with tenant_scope(alpha.tenant):
        written = DjangoSessionStore()
        written[SESSION_KEY] = str(user.pk)
        written[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        written[HASH_SESSION_KEY] = user.get_session_auth_hash()
        written.create()
    client = host_client(alpha.host)
    client.cookies[settings.SESSION_COOKIE_NAME] = written.session_key

    page = client.get(PAGE)

    assert page.status_code == 200
    assert page.context["user"].pk == user.pk
