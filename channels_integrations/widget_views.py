"""The web chat widget on a tenant host: the loader script a site embeds, the chat page it
frames, and the visitor's JSON endpoints. Thin: every rule is in services/webchat.py.

Embedding: ``/widget/<id>.js`` adds a launcher and an iframe of ``/widget/<id>/``; that page
sends ``Content-Security-Policy: frame-ancestors`` with the connection's allowed origins, so
browsers refuse it inside any other site. The visitor token travels in a cookie on this origin
(persistence) and, for every API call, in the ``X-Visitor-Token`` header: a header a foreign
page cannot add, so the cookie alone never authorises a write (no CSRF through the widget).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_integrations.errors import VisitorForbidden
from channels_integrations.services import webchat
from channels_integrations.services.webchat_avatar import Avatar, webchat_avatar_get
from connections.models import ChannelConnection
from core.client_ip import client_ip
from core.exceptions import ApplicationError, error_body
from core.json_bodies import MalformedJSON, body_within, json_loads_safe
from core.object_storage import media_origin
from core.text import data_clean
from tickets.media import media_response

COOKIE_PREFIX = "tt_wc_"
TOKEN_HEADER = "X-Visitor-Token"  # noqa: S105 (a header name)
# The visitor's JSON calls carry a name, an e-mail, a phone or one text of at most
# webchat.MESSAGE_MAX_LENGTH characters; files go as multipart under their own size limit.
WIDGET_JSON_MAX_BYTES = 64 * 1024
INVALID_JSON = "invalid_json"  # the widget's code for a body that is no JSON object


def _error(exc: ApplicationError) -> JsonResponse:
    response = JsonResponse(error_body(exc.code, exc.message, exc.extra), status=exc.http_status)
    if exc.http_status == 429 and "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _cookie_name(connection: ChannelConnection) -> str:
    return f"{COOKIE_PREFIX}{connection.public_id.hex}"


def _set_token_cookie(response: HttpResponse, connection: ChannelConnection, token: str) -> None:
    """The token in a cookie of this origin for the framed page: ``SameSite=None; Secure`` to
    be sent inside a foreign site's iframe at all, ``Partitioned`` (CHIPS) so browsers that
    block third-party cookies keep it per embedding site, and ``HttpOnly``. Browsers treat
    ``localhost`` hosts as secure, so ``Secure`` holds in development too."""
    name = _cookie_name(connection)
    response.set_cookie(
        name,
        token,
        max_age=webchat.TOKEN_MAX_AGE,
        path=f"/widget/{connection.public_id}/",
        secure=True,
        httponly=True,
        samesite="None",
    )
    # Django 5.2 and Python 3.11's cookies have no "Partitioned" flag; the SameSite value is
    # written as is, so it carries the flag after it.
    response.cookies[name]["samesite"] = "None; Partitioned"


def _connection_or_404(public_id: UUID) -> ChannelConnection:
    try:
        return webchat.webchat_connection_get(public_id)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _visitor(request: HttpRequest, connection: ChannelConnection) -> webchat.Visitor:
    token = request.headers.get(TOKEN_HEADER, "")
    return webchat.webchat_visitor_from_token(connection=connection, token=token)


@require_GET
def widget_loader(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """``/widget/<id>.js``: the one script tag a tenant pastes into its site."""
    try:
        connection = webchat.webchat_connection_get(public_id)
    except ApplicationError:
        return HttpResponse(
            "/* TikTickets: this chat is not available. */",
            status=404,
            content_type="application/javascript; charset=utf-8",
        )
    config = webchat.webchat_settings(connection)
    frame = request.build_absolute_uri(reverse("widget-page", args=[connection.public_id]))
    body = render(
        request,
        "widget/loader.js",
        {
            "config": json.dumps(
                {
                    "frame": frame,
                    "origins": config["allowed_origins"],
                    "self": request.build_absolute_uri("/").rstrip("/"),
                    "title": config["title"],
                    "color": config["color"],
                }
            )
        },
        content_type="application/javascript; charset=utf-8",
    )
    body["Cache-Control"] = "public, max-age=300"
    body["X-Content-Type-Options"] = "nosniff"
    return body


@require_GET
@xframe_options_exempt  # framing is governed by frame-ancestors below
def widget_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """``/widget/<id>/``: the chat itself, shown inside the loader's iframe."""
    connection = _connection_or_404(public_id)
    config = webchat.webchat_settings(connection)
    token = request.COOKIES.get(_cookie_name(connection), "")
    try:
        webchat.webchat_visitor_from_token(connection=connection, token=token)
    except VisitorForbidden:
        token = ""
    avatar = webchat_avatar_get(connection)
    response = render(
        request,
        "widget/page.html",
        {
            "connection": connection,
            "settings": config,
            "avatar_url": _avatar_url(connection, avatar) if avatar else "",
            "boot": {
                "api": reverse("widget-page", args=[connection.public_id]) + "api/",
                "ws": f"/ws/widget/{connection.public_id}/",
                "token": token,
                "welcome": config["welcome"],
                "strings": {
                    "failed": _("Not sent. Tap to retry."),
                    "received": _("Received"),
                    "file": _("File"),
                    "offline": _("Connection lost, reconnecting…"),
                    "expired": _("Your conversation expired. Start again."),
                    "typing": _("The agent is typing…"),
                },
            },
        },
    )
    ancestors = " ".join(["'self'", *config["allowed_origins"]])
    # Files of the conversation redirect to signed links on the object store, when media live there.
    files = " ".join(["'self'", "blob:", *filter(None, [media_origin(default_storage)])])
    response["Content-Security-Policy"] = (
        f"frame-ancestors {ancestors}; default-src 'self'; img-src {files} data:; "
        f"media-src {files}; style-src 'self'; script-src 'self'; connect-src 'self' ws: wss:"
    )
    response["Cache-Control"] = "no-store"
    return response


def _avatar_url(connection: ChannelConnection, avatar: Avatar) -> str:
    """The avatar's URL, versioned: a replaced image is fetched anew."""
    return f"{reverse('widget-avatar', args=[connection.public_id])}?v={avatar.version}"


@require_GET
def widget_avatar(request: HttpRequest, public_id: UUID) -> HttpResponse | FileResponse:
    """``/widget/<id>/avatar``: the widget's avatar, public like the widget (visitors are
    anonymous); 404 when the connection is disabled, not this tenant's, or has none."""
    connection = _connection_or_404(public_id)
    avatar = webchat_avatar_get(connection)
    if avatar is None:
        raise Http404()
    try:
        handle = default_storage.open(avatar.name, "rb")
    except OSError as exc:
        raise Http404() from exc
    response = FileResponse(handle, content_type=avatar.mime)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def widget_try(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """``/widget/<id>/try/``: a plain page embedding the widget, to see it work: for the
    tenant's signed-in admins (any visitor in DEBUG, so ``make run`` shows it at once)."""
    user = request.user
    if not settings.DEBUG and not (user.is_authenticated and getattr(user, "is_admin", False)):
        raise Http404()
    connection = _connection_or_404(public_id)
    script = reverse("widget-loader", args=[connection.public_id])
    return render(request, "widget/try.html", {"connection": connection, "script": script})


@csrf_exempt  # authorised by the X-Visitor-Token header, never by the cookie alone
@require_POST
def widget_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        connection = webchat.webchat_connection_get(public_id)
        webchat.webchat_throttle("start", client_ip(request))
        data = _json(request)
        visitor, token = webchat.webchat_visitor_start(
            connection=connection,
            name=str(data.get("name") or ""),
            email=str(data.get("email") or ""),
            phone=str(data.get("phone") or ""),
        )
    except ApplicationError as exc:
        return _error(exc)
    response = JsonResponse({"token": token, "name": visitor.contact.name}, status=201)
    _set_token_cookie(response, connection, token)
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def widget_messages(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        connection = webchat.webchat_connection_get(public_id)
        visitor = _visitor(request, connection)
        if request.method == "GET":
            _throttle_reads(request, visitor)
            history = webchat.webchat_history(connection=connection, visitor=visitor)
            return JsonResponse({"messages": history, "name": visitor.contact.name})
        webchat.webchat_throttle("message", visitor.id)
        webchat.webchat_throttle("message_ip", client_ip(request))
        if request.content_type == "multipart/form-data":
            fields: dict[str, Any] = data_clean(request.POST.dict())
            upload = request.FILES.get("file")
        else:
            fields, upload = _json(request), None
        created = webchat.webchat_message_post(
            connection=connection,
            visitor=visitor,
            client_id=str(fields.get("client_id") or ""),
            text=str(fields.get("text") or ""),
            upload=upload,
        )
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse({"accepted": True, "duplicate": not created}, status=202)


@require_GET
def widget_media(request: HttpRequest, public_id: UUID, message_id: UUID) -> HttpResponseBase:
    """A file of the visitor's conversation; the token may come from the cookie here (a plain
    ``<img>``/link cannot send headers), reading only."""
    try:
        connection = webchat.webchat_connection_get(public_id)
        token = request.headers.get(TOKEN_HEADER) or request.COOKIES.get(
            _cookie_name(connection), ""
        )
        visitor = webchat.webchat_visitor_from_token(connection=connection, token=token)
        _throttle_reads(request, visitor)
        message = webchat.webchat_media_message(
            connection=connection, visitor=visitor, message_id=message_id
        )
    except ApplicationError as exc:
        return _error(exc)
    return media_response(message)


def _throttle_reads(request: HttpRequest, visitor: webchat.Visitor) -> None:
    webchat.webchat_throttle("read", visitor.id)
    webchat.webchat_throttle("read_ip", client_ip(request))


def _json(request: HttpRequest) -> dict[str, Any]:
    """The JSON object of the body: at most ``WIDGET_JSON_MAX_BYTES`` (413), depth-limited
    (400, under the widget's own code ``invalid_json``), every string made storable
    (``core.text.data_clean``)."""
    try:
        data = json_loads_safe(body_within(request, max_bytes=WIDGET_JSON_MAX_BYTES) or b"{}")
    except MalformedJSON as exc:
        raise MalformedJSON(exc.message, code=INVALID_JSON) from exc
    if not isinstance(data, dict):
        raise MalformedJSON(code=INVALID_JSON)
    return dict(data_clean(data))
