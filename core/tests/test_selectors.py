"""``get_visible_or_404``: the row, or one not-found answer for missing, hidden and malformed."""

import pytest
from django.utils import translation
from rest_framework import status

from core.exceptions import ApplicationError, NotFound, api_exception_handler
from core.selectors import get_visible_or_404
from tenants.models import Tenant
from tenants.tenancy import public_scope


class WidgetGone(ApplicationError):
    code = "widget_gone"
    http_status = status.HTTP_404_NOT_FOUND


@pytest.fixture
def tenants(alpha, beta):
    with public_scope():
        yield Tenant.objects.all()


def test_the_matching_row_comes_back(tenants, alpha):
    assert get_visible_or_404(tenants, pk=alpha.tenant.pk) == alpha.tenant


@pytest.mark.parametrize("pk", [424242, "not-a-number"])
def test_missing_and_malformed_ids_are_not_found(tenants, pk):
    with translation.override("en"), pytest.raises(NotFound) as raised:
        get_visible_or_404(tenants, pk=pk)

    response = api_exception_handler(raised.value, {})
    assert response is not None
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.data == {"code": "not_found", "message": "Not found.", "extra": {}}


def test_a_row_outside_the_queryset_is_not_found(tenants, alpha, beta):
    with pytest.raises(NotFound):
        get_visible_or_404(tenants.exclude(pk=beta.tenant.pk), pk=beta.tenant.pk)


@pytest.mark.parametrize("pk", [424242, "not-a-number"])
def test_an_app_names_its_own_not_found_error(tenants, pk):
    with pytest.raises(WidgetGone):
        get_visible_or_404(tenants, WidgetGone, pk=pk)
