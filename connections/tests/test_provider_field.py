"""The provider field has no choices: the registry is the list. A key it does not know fails
model validation, and a stored key whose adapter is gone is still shown (by its key)."""

import pytest
from django.core.exceptions import ValidationError

from connections.models import ChannelConnection


def test_a_registered_provider_passes_validation_and_is_shown_by_its_label():
    connection = ChannelConnection(provider="telegram", name="Bot")

    connection.full_clean(validate_unique=False, validate_constraints=False)

    assert connection.provider_label == "Telegram"
    assert str(connection) == "Bot (Telegram)"


def test_an_unknown_provider_fails_validation_and_is_shown_by_its_key():
    connection = ChannelConnection(provider="fax", name="Old")

    with pytest.raises(ValidationError) as exc:
        connection.full_clean(validate_unique=False, validate_constraints=False)

    assert exc.value.error_dict["provider"][0].code == "provider_unavailable"
    assert connection.provider_label == "fax"
