"""Phone numbers are stored in E.164, read in the tenant's country when typed nationally."""

import pytest

from contacts.errors import InvalidPhone
from contacts.phone_numbers import phone_normalize, region_for_time_zone, tenant_phone_region


@pytest.mark.parametrize(
    "raw",
    [
        "+55 11 98765-4321",
        "+5511987654321",
        "(11) 98765-4321",
        "11987654321",
        "011 98765-4321",
        "5511987654321",
        "  55 (11) 9 8765 4321 ",
    ],
)
def test_a_brazilian_mobile_becomes_e164_with_or_without_the_country_code(raw):
    assert phone_normalize(raw, region="BR") == "+5511987654321"


def test_a_landline_is_accepted():
    assert phone_normalize("(21) 3456-7890", region="BR") == "+552134567890"


def test_a_foreign_number_with_plus_keeps_its_country():
    assert phone_normalize("+351 912 345 678", region="BR") == "+351912345678"


@pytest.mark.parametrize("raw", ["", "   ", "abc", "123", "+55 11 1234", "9" * 41, "+999 1234567"])
def test_an_invalid_number_is_refused_with_a_code(raw):
    with pytest.raises(InvalidPhone) as caught:
        phone_normalize(raw, region="BR")
    assert caught.value.code == "invalid_phone"
    assert caught.value.http_status == 400


def test_brazilian_time_zones_read_numbers_as_brazilian():
    assert region_for_time_zone("America/Sao_Paulo") == "BR"
    assert region_for_time_zone("America/Manaus") == "BR"
    assert region_for_time_zone("Europe/Lisbon") == "PT"
    assert region_for_time_zone("Antarctica/Troll") == "BR"


def test_the_tenant_region_follows_its_time_zone(in_alpha):
    tenant = in_alpha.tenant
    assert tenant_phone_region() == "BR"
    tenant.time_zone = "Europe/Lisbon"
    assert tenant_phone_region() == "PT"
    assert phone_normalize("912 345 678", region=tenant_phone_region()) == "+351912345678"
    tenant.time_zone = "America/Sao_Paulo"
