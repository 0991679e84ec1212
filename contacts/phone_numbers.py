"""Phone numbers: parse what people type into E.164, with the tenant's country as the default.

Uses Google's libphonenumber rules (the ``phonenumbers`` package), so national formats such as
"(11) 98765-4321" or "011 98765-4321" and international ones ("+55 11 98765-4321",
"5511987654321") all become "+5511987654321".
"""

from __future__ import annotations

import re

import phonenumbers

from contacts.errors import InvalidPhone
from tenants.tenancy import current_tenant

DEFAULT_REGION = "BR"

# Time zone → ISO 3166 region used to read national numbers. Add a country by adding its zones;
# zones not listed fall back to DEFAULT_REGION.
_BRAZIL_ZONES = (
    "America/Sao_Paulo",
    "America/Araguaina",
    "America/Bahia",
    "America/Belem",
    "America/Boa_Vista",
    "America/Campo_Grande",
    "America/Cuiaba",
    "America/Eirunepe",
    "America/Fortaleza",
    "America/Maceio",
    "America/Manaus",
    "America/Noronha",
    "America/Porto_Velho",
    "America/Recife",
    "America/Rio_Branco",
    "America/Santarem",
    "Brazil/East",
    "Brazil/West",
    "Brazil/Acre",
    "Brazil/DeNoronha",
)
TIME_ZONE_REGIONS: dict[str, str] = {
    **dict.fromkeys(_BRAZIL_ZONES, "BR"),
    "Europe/Lisbon": "PT",
    "Atlantic/Azores": "PT",
    "Atlantic/Madeira": "PT",
    "America/Argentina/Buenos_Aires": "AR",
    "America/Montevideo": "UY",
    "America/Asuncion": "PY",
    "America/Santiago": "CL",
    "America/Bogota": "CO",
    "America/Lima": "PE",
    "America/Mexico_City": "MX",
    "America/New_York": "US",
    "America/Chicago": "US",
    "America/Denver": "US",
    "America/Los_Angeles": "US",
}

_MAX_INPUT_LENGTH = 40
_DIGITS = re.compile(r"\D")


def region_for_time_zone(time_zone: str) -> str:
    """The region whose national numbering applies in ``time_zone`` (DEFAULT_REGION if unknown)."""
    return TIME_ZONE_REGIONS.get(time_zone, DEFAULT_REGION)


def tenant_phone_region() -> str:
    """The region used for numbers typed without a country code in the current tenant."""
    return region_for_time_zone(current_tenant().time_zone)


def _parse_valid(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_normalize(raw: str, *, region: str) -> str:
    """``raw`` as E.164 ("+5511987654321"); ``InvalidPhone`` when it is not a valid number.

    A number without "+" is read in ``region`` first; when that fails and it is all digits, it is
    read again as international, because exports from WhatsApp write "5511987654321".
    """
    text = (raw or "").strip()
    if not text or len(text) > _MAX_INPUT_LENGTH:
        raise InvalidPhone(extra={"fields": {"phone": [str(InvalidPhone.default_message)]}})
    normalized = _parse_valid(text, region)
    if normalized is None and not text.startswith("+"):
        digits = _DIGITS.sub("", text)
        if digits and len(digits) >= 8:
            normalized = _parse_valid(f"+{digits}", None)
    if normalized is None:
        raise InvalidPhone(extra={"fields": {"phone": [str(InvalidPhone.default_message)]}})
    return normalized
