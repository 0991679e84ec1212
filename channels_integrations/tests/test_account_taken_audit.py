"""Connecting an account that is connected elsewhere is refused with one generic answer, whoever
holds it (this tenant, another one): the refusal tells a tenant admin nothing about other
tenants. Each refusal is written to the audit logger with a keyed hash of the account id."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from django.conf import settings
from django.utils import translation
from django.utils.crypto import salted_hmac

from accounts.models import User
from channels_integrations.tests.sample_provider import API
from channels_integrations.tests.support import sample_connection
from conftest import sign_in_api
from tenants.errors import ChannelAccountTaken
from tenants.tenancy import tenant_scope

URL = "/api/v1/connections/"
GENERIC = "This account cannot be connected here."
GENERIC_PT_BR = "Esta conta não pode ser conectada aqui."  # the tenants' language


@pytest.fixture
def admin_api(alpha, api_alpha, sample_providers):
    return sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)


@pytest.fixture
def provider_api():
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{API}/check").mock(return_value=httpx.Response(200, json={"name": "Loja"}))
        mock.post(f"{API}/webhook").mock(return_value=httpx.Response(200, json={"ok": True}))
        yield mock


def _connect(api, account: str):
    body = {
        "provider": "sample_shared",
        "name": "Página",
        "credentials": {"secret": "sample-secret-9876", "account": account},
    }
    return api.post(URL, body, format="json")


def test_an_account_held_elsewhere_and_one_held_here_get_the_same_generic_refusal(
    alpha, beta, admin_api, provider_api
):
    sample_connection(beta.tenant, shared=True, account="page-beta")
    assert _connect(admin_api, "page-alpha").status_code == 201

    elsewhere = _connect(admin_api, "page-beta")
    here = _connect(admin_api, "page-alpha")

    for response in (elsewhere, here):
        assert response.status_code == 409
        assert response.json() == {
            "code": "channel_account_taken",
            "message": GENERIC_PT_BR,
            "extra": {},
        }


def test_each_refusal_is_audit_logged_without_the_raw_account_id(
    alpha, beta, admin_api, provider_api, caplog
):
    sample_connection(beta.tenant, shared=True, account="page-beta")
    with tenant_scope(alpha.tenant):
        admin_id = User.objects.get(email=alpha.admin_email).pk

    with caplog.at_level(logging.WARNING, logger="tiktickets.audit"):
        _connect(admin_api, "page-beta")

    [record] = [r for r in caplog.records if r.name == "tiktickets.audit"]
    assert record.levelno == logging.WARNING
    assert record.audit_event == "channel_account_taken"
    assert record.tenant_schema == "alpha"
    assert record.user_id == admin_id
    assert record.provider == "sample_shared"
    assert (
        record.account_hash
        == salted_hmac("tiktickets.audit", "page-beta", algorithm="sha256").hexdigest()
    )
    assert "page-beta" not in record.getMessage()
    assert "page-beta" not in str(vars(record))


def test_the_message_names_nobody():
    with translation.override("en"):
        assert ChannelAccountTaken().message == GENERIC


def test_the_audit_logger_is_configured_to_keep_warnings():
    assert settings.LOGGING["loggers"]["tiktickets.audit"]["level"] in ("INFO", "WARNING")
