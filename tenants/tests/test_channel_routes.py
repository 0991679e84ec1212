"""The public routing table: each provider account routes to one connection of one tenant."""

import uuid

import pytest

from tenants.channel_routes import channel_route_find, channel_routes_clear, channel_routes_set
from tenants.errors import ChannelAccountTaken
from tenants.models import ChannelRoute
from tenants.tenancy import public_scope, redis_key, tenant_scope


def _routes():
    with public_scope():
        return sorted(
            ChannelRoute.objects.values_list(
                "provider", "external_account_id", "tenant__schema_name"
            )
        )


def test_routes_are_set_for_the_current_tenant_and_found_from_the_public_schema(alpha):
    connection_id = uuid.uuid4()
    with tenant_scope(alpha.tenant):
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=connection_id, keys=["1065", "1066"]
        )

    route = channel_route_find(provider="whatsapp_cloud", external_account_id="1066")

    assert route is not None
    assert (route.tenant.schema_name, route.connection_public_id) == ("alpha", connection_id)
    assert channel_route_find(provider="messenger", external_account_id="1066") is None
    assert channel_route_find(provider="whatsapp_cloud", external_account_id="") is None


def test_setting_routes_again_replaces_them(alpha):
    connection_id = uuid.uuid4()
    with tenant_scope(alpha.tenant):
        channel_routes_set(provider="messenger", connection_public_id=connection_id, keys=["p1"])
        channel_routes_set(provider="messenger", connection_public_id=connection_id, keys=["p2"])

    assert _routes() == [("messenger", "p2", "alpha")]


def test_an_account_routed_to_another_tenant_is_refused_and_nothing_changes(alpha, beta):
    with tenant_scope(alpha.tenant):
        channel_routes_set(provider="messenger", connection_public_id=uuid.uuid4(), keys=["page"])

    with tenant_scope(beta.tenant), pytest.raises(ChannelAccountTaken) as exc:
        channel_routes_set(
            provider="messenger", connection_public_id=uuid.uuid4(), keys=["other", "page"]
        )

    assert (exc.value.code, exc.value.http_status) == ("channel_account_taken", 409)
    assert _routes() == [("messenger", "page", "alpha")]


def test_the_same_external_id_may_exist_for_two_providers(alpha, beta):
    with tenant_scope(alpha.tenant):
        channel_routes_set(provider="messenger", connection_public_id=uuid.uuid4(), keys=["42"])
    with tenant_scope(beta.tenant):
        channel_routes_set(provider="instagram", connection_public_id=uuid.uuid4(), keys=["42"])

    assert _routes() == [("instagram", "42", "beta"), ("messenger", "42", "alpha")]


def test_clearing_removes_only_that_connections_routes(alpha):
    kept, cleared = uuid.uuid4(), uuid.uuid4()
    with tenant_scope(alpha.tenant):
        channel_routes_set(provider="telegram", connection_public_id=kept, keys=["tok-a"])
        channel_routes_set(provider="telegram", connection_public_id=cleared, keys=["tok-b"])
        assert channel_routes_clear(connection_public_id=cleared) == 1

    assert _routes() == [("telegram", "tok-a", "alpha")]


def test_routes_cannot_be_written_from_the_public_schema(alpha):
    with public_scope(), pytest.raises(RuntimeError):
        channel_routes_set(provider="telegram", connection_public_id=uuid.uuid4(), keys=["x"])


def test_redis_keys_carry_the_current_schema(alpha, beta):
    with tenant_scope(alpha.tenant):
        in_alpha = redis_key("ratelimit", 7)
    with tenant_scope(beta.tenant):
        in_beta = redis_key("ratelimit", 7)

    assert (in_alpha, in_beta) == ("alpha:tt-test:ratelimit:7", "beta:tt-test:ratelimit:7")
    with tenant_scope(alpha.tenant), pytest.raises(ValueError, match="Invalid"):
        redis_key("a:b")
