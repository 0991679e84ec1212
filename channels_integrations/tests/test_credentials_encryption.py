"""Channel credentials are encrypted at rest, readable only with a configured key, rotatable,
and masked whenever they are shown."""

import base64
import os

import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection as db

from connections.crypto import (
    CredentialsUnreadable,
    credentials_masked,
    secret_mask,
)
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def _key():
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _raw_column(connection):
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted FROM connections_channelconnection WHERE id = %s",
            [connection.pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def test_the_database_row_holds_a_fernet_token_not_the_secret(in_alpha, settings):
    key = _key()
    settings.CREDENTIALS_ENCRYPTION_KEY = key
    connection = ConnectionFactory(provider="telegram", credentials={"bot_token": TOKEN})

    raw = _raw_column(connection)

    assert TOKEN not in raw
    assert "bot_token" not in raw
    assert Fernet(key.encode()).decrypt(raw.encode()) == b'{"bot_token":"' + TOKEN.encode() + b'"}'
    assert ChannelConnection.objects.get(pk=connection.pk).credentials == {"bot_token": TOKEN}


def test_another_key_cannot_read_the_credentials(in_alpha, settings):
    settings.CREDENTIALS_ENCRYPTION_KEY = _key()
    connection = ConnectionFactory(credentials={"bot_token": TOKEN})

    settings.CREDENTIALS_ENCRYPTION_KEY = _key()
    with pytest.raises(CredentialsUnreadable):
        ChannelConnection.objects.get(pk=connection.pk).credentials  # noqa: B018


def test_without_a_configured_key_dev_and_test_derive_one_from_the_secret_key(in_alpha, settings):
    settings.CREDENTIALS_ENCRYPTION_KEY = ""
    connection = ConnectionFactory(credentials={"bot_token": TOKEN})

    assert TOKEN not in _raw_column(connection)
    assert ChannelConnection.objects.get(pk=connection.pk).credentials == {"bot_token": TOKEN}
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    with pytest.raises(CredentialsUnreadable):
        ChannelConnection.objects.get(pk=connection.pk).credentials  # noqa: B018


def test_a_key_is_rotated_by_putting_the_new_one_first_and_re_encrypting(alpha, beta, settings):
    old, new = _key(), _key()
    settings.CREDENTIALS_ENCRYPTION_KEY = old
    with tenant_scope(alpha.tenant):
        in_a = ConnectionFactory(credentials={"bot_token": TOKEN})
    with tenant_scope(beta.tenant):
        in_b = ConnectionFactory(credentials={"access_token": "EAAG-beta-token-0001"})

    settings.CREDENTIALS_ENCRYPTION_KEY = f"{new},{old}"
    call_command("credentials_rotate", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.CREDENTIALS_ENCRYPTION_KEY = new

    with tenant_scope(alpha.tenant):
        assert ChannelConnection.objects.get(pk=in_a.pk).credentials == {"bot_token": TOKEN}
    with tenant_scope(beta.tenant):
        stored = ChannelConnection.objects.get(pk=in_b.pk)
        assert stored.credentials == {"access_token": "EAAG-beta-token-0001"}
        Fernet(new.encode()).decrypt(_raw_column(stored).encode())  # no InvalidToken


def test_masking_keeps_only_the_last_four_characters_of_long_secrets():
    assert secret_mask(TOKEN) == "••••Dsaw"
    assert secret_mask("short-secret") == "••••"
    assert secret_mask("") == ""
    assert credentials_masked(
        {"bot_token": TOKEN, "phone_number_id": "106540352242922"}, ("bot_token",)
    ) == {"bot_token": "••••Dsaw", "phone_number_id": "106540352242922"}


def test_a_malformed_key_is_a_system_check_error(settings):
    settings.CREDENTIALS_ENCRYPTION_KEY = f"{_key()},not-a-fernet-key"

    ids = [message.id for message in run_checks()]

    assert "channels_integrations.E001" in ids


def _deploy_check_ids():
    return [message.id for message in run_checks(include_deployment_checks=True)]


def test_the_deploy_check_requires_an_explicit_key(settings):
    settings.CREDENTIALS_ENCRYPTION_KEY = ""
    assert "channels_integrations.E002" in _deploy_check_ids()

    settings.CREDENTIALS_ENCRYPTION_KEY = _key()
    assert "channels_integrations.E002" not in _deploy_check_ids()


def test_credentials_are_decrypted_once_a_process_and_not_past_a_dropped_key(
    in_alpha, settings, monkeypatch
):
    """Every webhook's verification reads its connection's credentials: a stored token is
    decrypted once (each read still gets a dict of its own), and a key dropped from the
    settings refuses what only it decrypted, as before."""
    settings.CREDENTIALS_ENCRYPTION_KEY = _key()
    connection = ConnectionFactory(credentials={"bot_token": TOKEN})
    decrypted: list[bytes] = []
    decrypt = MultiFernet.decrypt

    def counted(fernet: MultiFernet, token: bytes, ttl: int | None = None) -> bytes:
        decrypted.append(token)
        return decrypt(fernet, token, ttl)

    monkeypatch.setattr(MultiFernet, "decrypt", counted)
    stored = ChannelConnection.objects.get(pk=connection.pk)
    first = stored.credentials
    first["bot_token"] = "changed by its reader"

    assert stored.credentials == {"bot_token": TOKEN}
    assert ChannelConnection.objects.get(pk=connection.pk).credentials == {"bot_token": TOKEN}
    assert len(decrypted) == 1
    settings.CREDENTIALS_ENCRYPTION_KEY = _key()
    with pytest.raises(CredentialsUnreadable):
        stored.credentials  # noqa: B018
