"""Integrator API for sign-in and the current user: one view per operation, services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    LogoutInputSerializer,
    MeOutputSerializer,
    MeStatusInputSerializer,
    TokenObtainInputSerializer,
    TokenPairOutputSerializer,
    TokenRefreshInputSerializer,
)
from accounts.authentication import TenantJWTAuthentication
from accounts.presence import presence_choose
from accounts.requests import AuthenticatedRequest
from core.client_ip import client_ip
from tenants.tenancy import current_tenant


class TokenObtainApi(APIView):
    """Exchange e-mail and password (and ``otp``, the code of a user with two-factor sign-in)
    for a tenant-bound JWT pair."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenObtainInputSerializer, responses={200: TokenPairOutputSerializer})
    def post(self, request: Request) -> Response:
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ip = client_ip(request._request)
        pair = services.auth_token_obtain(
            request=request._request,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            otp=data.validated_data.get("otp"),
            ip=ip,
        )
        return Response(TokenPairOutputSerializer(pair).data)


class TokenRefreshApi(APIView):
    """Rotate a refresh token: a new pair comes back and the old refresh token stops working."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRefreshInputSerializer, responses={200: TokenPairOutputSerializer})
    def post(self, request: Request) -> Response:
        data = TokenRefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.auth_token_refresh(refresh=data.validated_data["refresh"])
        return Response(TokenPairOutputSerializer(pair).data)

    def get_authenticate_header(self, request: Request) -> str:
        # Without authentication classes DRF turns a refused token's 401 into a 403.
        return TenantJWTAuthentication().authenticate_header(request)


class LogoutApi(APIView):
    """Blacklist the caller's refresh token."""

    @extend_schema(request=LogoutInputSerializer, responses={204: None})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The signed-in user and the tenant it belongs to."""

    @extend_schema(responses={200: MeOutputSerializer})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(MeOutputSerializer(request.user, context={"tenant": current_tenant()}).data)


class MeStatusApi(APIView):
    """PUT: the signed-in user sets themselves away or available (``online``)."""

    @extend_schema(
        operation_id="me_status_set",
        request=MeStatusInputSerializer,
        responses={200: MeOutputSerializer},
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        data = MeStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        presence_choose(user_id=request.user.pk, status=data.validated_data["status"])
        return Response(MeOutputSerializer(request.user, context={"tenant": current_tenant()}).data)
