"""Fixtures of the reports tests."""

from __future__ import annotations

import pytest

from tenants.tenancy import tenant_scope


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha
