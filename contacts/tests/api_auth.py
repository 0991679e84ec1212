"""Signing in test API clients through the real token endpoint."""

from __future__ import annotations

from rest_framework.test import APIClient

from accounts.tests.factories import PASSWORD


def bearer(api: APIClient, email: str, password: str = PASSWORD) -> APIClient:
    """Authenticate ``api`` with a JWT obtained through the API itself."""
    response = api.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return api
