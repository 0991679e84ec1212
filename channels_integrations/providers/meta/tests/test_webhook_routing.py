"""Routing keys of the shared Meta endpoint, and splitting batched bodies per connection."""

import json

import pytest

from channels_integrations.providers.instagram.provider import InstagramProvider
from channels_integrations.providers.messenger.provider import MessengerProvider
from channels_integrations.providers.meta.tests.support import fixture_json, load_fixture
from channels_integrations.providers.meta.webhooks import (
    MalformedPayload,
    meta_route_keys_of,
    meta_split_by_route_key,
)
from channels_integrations.providers.whatsapp_cloud.provider import WhatsAppCloudProvider


def test_whatsapp_routes_by_phone_number_id_not_by_business_account():
    assert meta_route_keys_of(load_fixture("whatsapp_cloud", "text")) == (
        "whatsapp_business_account",
        ["106540352242922"],
    )


def test_messenger_routes_by_page_id_and_instagram_by_account_id():
    assert meta_route_keys_of(load_fixture("messenger", "message_text")) == (
        "page",
        ["682498302938465"],
    )
    assert meta_route_keys_of(load_fixture("instagram", "message_text")) == (
        "instagram",
        ["17841405822304914"],
    )


def test_route_keys_match_what_each_provider_registers():
    whatsapp = WhatsAppCloudProvider().route_keys({"phone_number_id": "106540352242922"})
    messenger = MessengerProvider().route_keys({"page_id": "682498302938465"})
    instagram = InstagramProvider().route_keys(
        {"instagram_account_id": "17841405822304914", "page_id": "101205488901234"}
    )
    assert whatsapp == meta_route_keys_of(load_fixture("whatsapp_cloud", "image"))[1]
    assert messenger == meta_route_keys_of(load_fixture("messenger", "read"))[1]
    assert instagram == meta_route_keys_of(load_fixture("instagram", "reaction"))[1]


def _batched_pages() -> bytes:
    first = fixture_json("messenger", "message_text")
    second = fixture_json("messenger", "message_image")
    second["entry"][0]["id"] = "998877665544332"
    for event in second["entry"][0]["messaging"]:
        event["recipient"]["id"] = "998877665544332"
    third = fixture_json("messenger", "read")
    return json.dumps(
        {"object": "page", "entry": first["entry"] + second["entry"] + third["entry"]}
    ).encode()


def _batched_numbers() -> bytes:
    body = fixture_json("whatsapp_cloud", "text")
    other = fixture_json("whatsapp_cloud", "status_sent")["entry"][0]["changes"][0]
    other["value"]["metadata"]["phone_number_id"] = "106540352242999"
    body["entry"][0]["changes"].append(other)
    return json.dumps(body).encode()


def test_keys_of_a_batch_are_listed_once_in_order():
    assert meta_route_keys_of(_batched_pages()) == ("page", ["682498302938465", "998877665544332"])
    assert meta_route_keys_of(_batched_numbers())[1] == ["106540352242922", "106540352242999"]


def test_a_batch_is_split_so_each_connection_parses_only_its_own_events():
    parts = meta_split_by_route_key(_batched_pages())
    assert sorted(parts) == ["682498302938465", "998877665544332"]
    provider = MessengerProvider()
    first = provider.parse_inbound(parts["682498302938465"])
    second = provider.parse_inbound(parts["998877665544332"])
    # The first page got its text and the read receipt, the second page only its image.
    assert [item.event_id for item in first] == [
        "m_1457764197618:41d102a3e1ae206a38",
        "read:1254477777772919:1458668856253",
    ]
    assert [item.event_id for item in second] == ["mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"]


def test_a_whatsapp_entry_with_two_numbers_is_split_by_number():
    parts = meta_split_by_route_key(_batched_numbers())
    provider = WhatsAppCloudProvider()
    first = provider.parse_inbound(parts["106540352242922"])
    second = provider.parse_inbound(parts["106540352242999"])
    assert [type(item).__name__ for item in first] == ["InboundMessage"]
    assert [type(item).__name__ for item in second] == ["InboundStatus"]
    assert json.loads(parts["106540352242999"])["entry"][0]["id"] == "102290129340398"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"object": "page"}', b'{"entry": []}', b"\xff\xfe"],
)
def test_a_body_that_is_not_a_meta_envelope_is_malformed(body):
    with pytest.raises(MalformedPayload):
        meta_route_keys_of(body)
    with pytest.raises(MalformedPayload):
        meta_split_by_route_key(body)
