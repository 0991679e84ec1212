"""The GET handshake Meta makes when the callback URL is saved:
https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
"""

from django.http import QueryDict

from channels_integrations.providers.meta.webhooks import (
    meta_verify_subscription,
    verify_subscription,
)

HANDSHAKE = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"


def test_the_challenge_is_returned_when_the_token_matches():
    assert verify_subscription(QueryDict(HANDSHAKE), "meatyhamhock") == "1158201444"


def test_nothing_is_returned_for_another_token():
    assert verify_subscription(QueryDict(HANDSHAKE), "another-token") is None


def test_nothing_is_returned_when_no_token_is_configured():
    params = QueryDict("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=")
    assert verify_subscription(params, "") is None


def test_nothing_is_returned_for_another_mode_or_without_challenge():
    unsubscribe = HANDSHAKE.replace("subscribe", "unsubscribe")
    no_challenge = "hub.mode=subscribe&hub.verify_token=meatyhamhock"
    assert verify_subscription(QueryDict(unsubscribe), "meatyhamhock") is None
    assert verify_subscription(QueryDict(no_challenge), "meatyhamhock") is None


def test_the_shared_endpoint_asks_the_lookup_about_the_token():
    asked: list[str] = []

    def lookup(token: str) -> bool:
        asked.append(token)
        return token in {"meatyhamhock", "other-tenant-token"}

    assert meta_verify_subscription(QueryDict(HANDSHAKE), lookup) == "1158201444"
    assert asked == ["meatyhamhock"]
    assert meta_verify_subscription(QueryDict(HANDSHAKE), lambda token: False) is None


def test_the_lookup_is_not_asked_without_subscribe_mode():
    def lookup(token: str) -> bool:
        raise AssertionError("must not be asked")

    params = QueryDict(HANDSHAKE.replace("subscribe", "unsubscribe"))
    assert meta_verify_subscription(params, lookup) is None
