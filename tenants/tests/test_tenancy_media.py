"""``tenant_media_owns``: the one check that a stored path is the current tenant's own."""

from __future__ import annotations

from tenants.tenancy import public_scope, tenant_media_owns, tenant_media_path, tenant_scope


def test_a_path_is_owned_only_by_its_tenant_and_area(alpha, beta):
    with tenant_scope(alpha.tenant):
        mine = tenant_media_path("webchat-avatars", "a1.png")
        assert tenant_media_owns(mine)
        assert tenant_media_owns(mine, "webchat-avatars")
        assert not tenant_media_owns(mine, "webchat")  # another area of the same tenant
        assert not tenant_media_owns(f"tenants/{alpha.tenant.schema_name}/webchat/../x.png")
        assert not tenant_media_owns("")
    with tenant_scope(beta.tenant):
        assert not tenant_media_owns(mine)
        assert not tenant_media_owns(mine, "webchat-avatars")
    with public_scope():
        assert not tenant_media_owns(mine)
