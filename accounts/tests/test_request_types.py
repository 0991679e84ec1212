"""The signed-in user of a request, and the one "admins only" check of the API."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.errors import AdminRequired
from accounts.models import User
from accounts.requests import request_user
from accounts.roles import require_admin


def _request(user: User | AnonymousUser) -> HttpRequest:
    request = HttpRequest()
    request.user = user
    return request


def test_request_user_is_the_signed_in_user():
    user = User(email="a@example.com", role=User.Role.AGENT)
    assert request_user(_request(user)) is user


def test_request_user_refuses_an_anonymous_caller():
    with pytest.raises(PermissionDenied):
        request_user(_request(AnonymousUser()))


def test_require_admin_lets_admins_through_and_refuses_agents():
    admin = User(email="admin@example.com", role=User.Role.ADMIN)
    agent = User(email="agent@example.com", role=User.Role.AGENT)

    assert require_admin(admin) is admin
    with pytest.raises(AdminRequired) as refused:
        require_admin(agent)
    assert (refused.value.code, refused.value.http_status) == ("admin_required", 403)
