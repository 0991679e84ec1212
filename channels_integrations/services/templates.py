"""WhatsApp message templates: what a template asks to be filled, the Graph ``template`` object
of a send, and the text the ticket shows for it.

A template's ``components`` are kept as Graph returns them; a placeholder is ``{{1}}`` (positional)
or ``{{first_name}}`` (named) in the header text, the body, or a URL button. Parameters are passed
as a mapping of keys to text:

- ``body.<n>``, ``header.<n>``: a placeholder of the body or of a text header;
- ``header.media``: the public https link of a header's image, video or document;
- ``button.<i>.<n>``: the placeholder of the URL of button ``i`` (0-based, in the template's order).

https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/components
https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_object, audit_record
from channels_integrations.errors import (
    TemplateConnectionInvalid,
    TemplateNotApproved,
    TemplateParametersInvalid,
    TemplateProviderRefused,
)
from channels_integrations.models import MessageTemplate
from channels_integrations.providers.base import InboundTemplateStatus, ProviderError
from channels_integrations.providers.meta.graph import GraphClient
from connections.models import ChannelConnection
from contacts.models import Contact
from core.exceptions import FieldValidationError
from tickets.models import Message, Ticket
from tickets.services import conversation_start, message_send

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_MEDIA_FORMATS = frozenset({"IMAGE", "VIDEO", "DOCUMENT"})
# Graph refuses a text parameter with a new line, a tab or more than four spaces in a row
# (error 132018), and a body longer than 1024 characters in all.
_PARAMETER_FORBIDDEN = re.compile(r"[\n\t]| {5,}")
PARAMETER_MAX_LENGTH = 1024


@dataclass(frozen=True)
class TemplateParameter:
    """One value a send of the template must carry.

    ``component`` is ``header``, ``body`` or ``button``; ``index`` the placeholder's number or
    name (``"media"`` for a media header's link); ``button_index`` the button's position for a
    URL button; ``kind`` ``text`` or the media header's ``image``/``video``/``document``;
    ``example`` the sample value the template was approved with ("" when it has none).
    """

    key: str
    component: str
    index: str
    example: str = ""
    kind: str = "text"
    button_index: int | None = None

    @property
    def named(self) -> bool:
        return not self.index.isdigit() and self.index != "media"


def _components(template: MessageTemplate, kind: str) -> list[dict[str, Any]]:
    return [
        c
        for c in (template.components or [])
        if isinstance(c, dict) and str(c.get("type", "")).upper() == kind
    ]


def _placeholders(text: str) -> list[str]:
    """Placeholders in order of first appearance, each once."""
    seen: list[str] = []
    for match in _PLACEHOLDER.finditer(text or ""):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def _examples(component: dict[str, Any], prefix: str) -> dict[str, str]:
    """The sample values Graph keeps for a header's or body's placeholders, by placeholder."""
    example = component.get("example")
    if not isinstance(example, dict):
        return {}
    found: dict[str, str] = {}
    positional = example.get(f"{prefix}_text")
    if isinstance(positional, list) and positional:
        # body_text is a list holding one list of values; header_text is a flat list.
        values = positional[0] if isinstance(positional[0], list) else positional
        found.update({str(i): str(v) for i, v in enumerate(values, start=1)})
    named = example.get(f"{prefix}_text_named_params")
    if isinstance(named, list):
        for item in named:
            if isinstance(item, dict) and item.get("param_name"):
                found[str(item["param_name"])] = str(item.get("example", ""))
    return found


def template_parameters(template: MessageTemplate) -> list[TemplateParameter]:
    """What a send of ``template`` must fill, header first, then body, then URL buttons."""
    parameters: list[TemplateParameter] = []
    for header in _components(template, "HEADER")[:1]:
        header_format = str(header.get("format", "TEXT")).upper()
        if header_format in _MEDIA_FORMATS:
            handles = (header.get("example") or {}).get("header_handle") or [""]
            parameters.append(
                TemplateParameter(
                    key="header.media",
                    component="header",
                    index="media",
                    example=str(handles[0]) if isinstance(handles, list) and handles else "",
                    kind=header_format.lower(),
                )
            )
        elif header_format == "TEXT":
            examples = _examples(header, "header")
            parameters += [
                TemplateParameter(
                    key=f"header.{name}",
                    component="header",
                    index=name,
                    example=examples.get(name, ""),
                )
                for name in _placeholders(str(header.get("text", "")))
            ]
    for body in _components(template, "BODY")[:1]:
        examples = _examples(body, "body")
        parameters += [
            TemplateParameter(
                key=f"body.{name}", component="body", index=name, example=examples.get(name, "")
            )
            for name in _placeholders(str(body.get("text", "")))
        ]
    for buttons in _components(template, "BUTTONS")[:1]:
        for position, button in enumerate(buttons.get("buttons") or []):
            if not isinstance(button, dict) or str(button.get("type", "")).upper() != "URL":
                continue
            samples = button.get("example") or []
            for name in _placeholders(str(button.get("url", ""))):
                parameters.append(
                    TemplateParameter(
                        key=f"button.{position}.{name}",
                        component="button",
                        index=name,
                        example=str(samples[0]) if isinstance(samples, list) and samples else "",
                        button_index=position,
                    )
                )
    return parameters


def _clean_parameters(
    template: MessageTemplate, parameters: dict[str, str], *, header_from_file: bool = False
) -> tuple[list[TemplateParameter], dict[str, str]]:
    """The template's parameters and the values given for them, stripped; raises
    ``TemplateParametersInvalid`` naming every missing, empty, extra or malformed one. With
    ``header_from_file`` a media header is not asked for (the message's file is)."""
    wanted = [
        p
        for p in template_parameters(template)
        if not (header_from_file and p.component == "header" and p.kind != "text")
    ]
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    known = {p.key for p in wanted}
    for key in parameters:
        if key not in known:
            errors[str(key)] = [_("This template has no such parameter.")]
    for parameter in wanted:
        raw = parameters.get(parameter.key)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            errors[parameter.key] = [_("Fill this parameter.")]
        elif parameter.kind != "text":
            if not value.lower().startswith("https://") or len(value) > 2000:
                errors[parameter.key] = [_("Give the public https link of the file.")]
        elif len(value) > PARAMETER_MAX_LENGTH:
            errors[parameter.key] = [
                _("At most %(max)d characters.") % {"max": PARAMETER_MAX_LENGTH}
            ]
        elif _PARAMETER_FORBIDDEN.search(value):
            errors[parameter.key] = [
                _("WhatsApp does not accept line breaks, tabs or five spaces in a row here.")
            ]
        values[parameter.key] = value
    if errors:
        raise TemplateParametersInvalid(errors)
    return wanted, values


def _text_parameter(parameter: TemplateParameter, value: str) -> dict[str, str]:
    item = {"type": "text", "text": value}
    if parameter.named:
        item["parameter_name"] = parameter.index
    return item


def template_payload(
    template: MessageTemplate, parameters: dict[str, str], *, header_from_file: bool = False
) -> dict[str, Any]:
    """The Graph ``template`` object of a send of ``template`` with ``parameters`` (it goes in
    ``tickets.Message.payload["template"]``, which the outbound pipeline hands to the WhatsApp
    Cloud adapter). 409 ``template_not_approved`` unless the template is approved; 400
    ``template_parameters_invalid`` with ``extra["fields"]`` per parameter key when one is
    missing, empty, unknown or not accepted by WhatsApp.

    ``header_from_file``: a media header is left out of the payload and of ``parameters``; the
    message carries the file (``OutboundMessage.media_name``), which the WhatsApp Cloud adapter
    uploads and names in the header (a campaign's file)."""
    if not template.is_approved:
        raise TemplateNotApproved(extra={"status": template.status})
    wanted, values = _clean_parameters(template, parameters, header_from_file=header_from_file)
    components: list[dict[str, Any]] = []
    header = [p for p in wanted if p.component == "header"]
    if header and header[0].kind != "text":
        kind = header[0].kind
        link = values[header[0].key]
        components.append({"type": "header", "parameters": [{"type": kind, kind: {"link": link}}]})
    elif header:
        components.append(
            {"type": "header", "parameters": [_text_parameter(p, values[p.key]) for p in header]}
        )
    body = [p for p in wanted if p.component == "body"]
    if body:
        components.append(
            {"type": "body", "parameters": [_text_parameter(p, values[p.key]) for p in body]}
        )
    for position in sorted({p.button_index for p in wanted if p.button_index is not None}):
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": str(position),
                "parameters": [
                    {"type": "text", "text": values[p.key]}
                    for p in wanted
                    if p.button_index == position
                ],
            }
        )
    payload: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if components:
        payload["components"] = components
    return payload


def _fill(text: str, prefix: str, parameters: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(
        lambda m: parameters.get(f"{prefix}.{m.group(1)}", "").strip() or m.group(0), text
    )


def template_render_text(template: MessageTemplate, parameters: dict[str, str]) -> str:
    """The text the ticket shows for a send: the header's text, the body and the footer with
    the parameters in place (a placeholder without a value stays as written), then the
    buttons' labels in brackets."""
    parts: list[str] = []
    for header in _components(template, "HEADER")[:1]:
        header_format = str(header.get("format", "TEXT")).upper()
        if header_format == "TEXT" and header.get("text"):
            parts.append(_fill(str(header["text"]), "header", parameters))
    for body in _components(template, "BODY")[:1]:
        parts.append(_fill(str(body.get("text", "")), "body", parameters))
    for footer in _components(template, "FOOTER")[:1]:
        if footer.get("text"):
            parts.append(str(footer["text"]))
    labels = [
        f"[{button['text']}]"
        for buttons in _components(template, "BUTTONS")[:1]
        for button in (buttons.get("buttons") or [])
        if isinstance(button, dict) and button.get("text")
    ]
    if labels:
        parts.append(" ".join(labels))
    return "\n\n".join(part for part in parts if part.strip())


def template_parameter_label(parameter: TemplateParameter) -> str:
    """What a form calls the parameter: its part and placeholder (``Text {{1}}``), or the
    header file's link."""
    if parameter.kind != "text":
        return _("Link of the header's %(kind)s (https)") % {"kind": parameter.kind}
    if parameter.component == "header":
        part = _("Header")
    elif parameter.component == "button":
        part = _("Button %(n)d") % {"n": (parameter.button_index or 0) + 1}
    else:
        part = _("Text")
    return f"{part} {{{{{parameter.index}}}}}"


def template_parameter_defaults(template: MessageTemplate, contact: Contact) -> dict[str, str]:
    """Values for the template's parameters taken from the contact, for the agent to review: a
    named placeholder gets the field or custom attribute of that name (``name``,
    ``first_name``, ``phone``, ``email``, attribute keys); a positional one gets nothing."""
    first_name = (contact.name or "").split(" ")[0]
    fields: dict[str, str] = {
        "name": contact.name or "",
        "first_name": first_name,
        "phone": contact.phone or "",
        "email": contact.email or "",
    }
    for key, value in (contact.custom_attributes or {}).items():
        if value not in (None, "", []):
            fields.setdefault(str(key), str(value))
    return {
        p.key: fields[p.index]
        for p in template_parameters(template)
        if p.named and fields.get(p.index)
    }


def contact_field_values(contact: Contact) -> list[str]:
    """Every non-empty value of the contact an agent may want to put in a parameter (name,
    first name, phone, e-mail, custom attributes), each once, for the composer's suggestions."""
    values = [contact.name, (contact.name or "").split(" ")[0], contact.phone, contact.email]
    values += [str(v) for v in (contact.custom_attributes or {}).values() if v not in (None, "")]
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


# --------------------------------------------------------------------------- Graph


TEMPLATE_PROVIDER = "whatsapp_cloud"
SYNC_PAGE_SIZE = 100
SYNC_MAX_PAGES = 50  # 5,000 templates: far above WhatsApp's per-account limit
_TEMPLATE_FIELDS = "id,name,language,category,status,components,rejected_reason"
NAME_PATTERN = re.compile(r"^[a-z0-9_]{1,512}$")


def template_account(connection: ChannelConnection) -> tuple[GraphClient, str]:
    """The Graph client and the WhatsApp Business Account id of a WhatsApp Cloud connection;
    400 ``template_connection_invalid`` for another provider or one without the account id."""
    if connection.provider != TEMPLATE_PROVIDER:
        raise TemplateConnectionInvalid()
    credentials = dict(connection.credentials or {})
    account = str(credentials.get("business_account_id") or "")
    if not account:
        raise TemplateConnectionInvalid(
            _(
                "Fill in the connection's WhatsApp Business Account ID to manage its message "
                "templates."
            )
        )
    return GraphClient(str(credentials.get("access_token") or "")), account


def _refused(exc: ProviderError) -> TemplateProviderRefused:
    return TemplateProviderRefused(
        _("WhatsApp refused: %(detail)s") % {"detail": exc.detail},
        http_status=502 if not exc.permanent else 422,
        extra={"provider_code": exc.code},
    )


def _row_fields(item: dict[str, Any], now: Any) -> dict[str, Any]:
    reason = str(item.get("rejected_reason") or "")
    return {
        "category": str(item.get("category") or "")[:16],
        "status": str(item.get("status") or MessageTemplate.Status.PENDING)[:20],
        "components": item.get("components") if isinstance(item.get("components"), list) else [],
        "external_id": str(item.get("id") or "")[:64],
        "rejected_reason": "" if reason.upper() == "NONE" else reason[:500],
        "synced_at": now,
    }


def templates_sync(*, connection: ChannelConnection) -> int:
    """An admin's sync of the connection's templates (``_templates_sync``), in the audit log."""
    count = _templates_sync(connection)
    audit_record("template.synced", obj=connection, extra={"templates": count})
    return count


def _templates_sync(connection: ChannelConnection) -> int:
    """Bring the connection's templates in line with Graph (``GET /<WABA-ID>/message_templates``
    page by page through ``paging.next``): new ones created, known ones updated, ones Graph no
    longer lists removed. Nothing changes unless every page was read. Returns how many there
    are now; 502/422 ``template_provider_refused`` when Graph fails."""
    client, account = template_account(connection)
    items: list[dict[str, Any]] = []
    try:
        page = client.get(
            f"{account}/message_templates",
            params={"fields": _TEMPLATE_FIELDS, "limit": SYNC_PAGE_SIZE},
        )
        for _page in range(SYNC_MAX_PAGES):
            items += [i for i in page.get("data") or [] if isinstance(i, dict)]
            next_url = (page.get("paging") or {}).get("next")
            if not next_url:
                break
            page = client.get_next(str(next_url))
    except ProviderError as exc:
        raise _refused(exc) from exc
    now = timezone.now()
    with transaction.atomic():
        seen: list[int] = []
        for item in items:
            name, language = str(item.get("name") or ""), str(item.get("language") or "")
            if not name or not language:
                continue
            row, _created = MessageTemplate.objects.update_or_create(
                connection=connection,
                name=name[:512],
                language=language[:16],
                defaults=_row_fields(item, now),
            )
            seen.append(row.pk)
        MessageTemplate.objects.filter(connection=connection).exclude(pk__in=seen).delete()
    return len(seen)


def _submit_components(
    *,
    body: str,
    body_examples: list[str],
    header_text: str,
    header_example: str,
    footer: str,
    quick_replies: list[str],
    url_button: dict[str, str] | None,
) -> list[dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    body_count = len(_placeholders(body))
    if not body.strip():
        errors["body"] = [_("Write the template's text.")]
    elif [str(i) for i in range(1, body_count + 1)] != _placeholders(body):
        errors["body"] = [_("Number the parameters {{1}}, {{2}}... in order, each once.")]
    elif len(body) > 1024:
        errors["body"] = [_("At most 1024 characters.")]
    if body_count and (
        len(body_examples) != body_count or not all(e.strip() for e in body_examples)
    ):
        errors["body_examples"] = [
            _("Give one example for each parameter (%(count)d).") % {"count": body_count}
        ]
    header_count = len(_placeholders(header_text))
    if header_count > 1 or (header_count and _placeholders(header_text) != ["1"]):
        errors["header_text"] = [_("A header takes at most one parameter, {{1}}.")]
    elif len(header_text) > 60:
        errors["header_text"] = [_("At most 60 characters.")]
    elif header_count and not header_example.strip():
        errors["header_example"] = [_("Give an example for the header's parameter.")]
    if len(footer) > 60:
        errors["footer"] = [_("At most 60 characters.")]
    if len(quick_replies) > 3 or any(len(q) > 25 for q in quick_replies):
        errors["quick_replies"] = [_("Up to three buttons of at most 25 characters.")]
    if url_button is not None:
        url = url_button.get("url", "")
        url_count = len(_placeholders(url))
        if not url_button.get("text") or len(url_button["text"]) > 25:
            errors["url_button_text"] = [_("Give the button a label of at most 25 characters.")]
        if not url.startswith("https://") or url_count > 1 or "{{" in url.split("}}")[-1]:
            errors["url_button_url"] = [
                _("An https address; at most one parameter, {{1}}, at its end.")
            ]
        elif url_count and not url_button.get("example", "").startswith("https://"):
            errors["url_button_example"] = [_("Give an example of the full address.")]
    if errors:
        raise FieldValidationError(errors)
    components: list[dict[str, Any]] = []
    if header_text.strip():
        header: dict[str, Any] = {"type": "HEADER", "format": "TEXT", "text": header_text.strip()}
        if header_count:
            header["example"] = {"header_text": [header_example.strip()]}
        components.append(header)
    body_component: dict[str, Any] = {"type": "BODY", "text": body.strip()}
    if body_count:
        body_component["example"] = {"body_text": [[e.strip() for e in body_examples]]}
    components.append(body_component)
    if footer.strip():
        components.append({"type": "FOOTER", "text": footer.strip()})
    buttons: list[dict[str, Any]] = [
        {"type": "QUICK_REPLY", "text": q.strip()} for q in quick_replies if q.strip()
    ]
    if url_button is not None:
        button: dict[str, Any] = {
            "type": "URL",
            "text": url_button["text"].strip(),
            "url": url_button["url"].strip(),
        }
        if _placeholders(url_button["url"]):
            button["example"] = [url_button["example"].strip()]
        buttons.append(button)
    if buttons:
        components.append({"type": "BUTTONS", "buttons": buttons})
    return components


def template_submit(
    *,
    connection: ChannelConnection,
    name: str,
    language: str,
    category: str,
    body: str,
    body_examples: list[str] | None = None,
    header_text: str = "",
    header_example: str = "",
    footer: str = "",
    quick_replies: list[str] | None = None,
    url_button: dict[str, str] | None = None,
) -> MessageTemplate:
    """Submit a new template for WhatsApp's review (``POST /<WABA-ID>/message_templates``):
    stored as Graph answers it, normally ``PENDING`` until the review's webhook or a sync.
    400 ``validation_error`` (by field) before anything is sent when the definition is not
    one WhatsApp accepts; 409 ``template_exists`` for a name already used in that language;
    ``template_provider_refused`` when Graph says no."""
    client, account = template_account(connection)
    errors: dict[str, list[str]] = {}
    if not NAME_PATTERN.match(name):
        errors["name"] = [_("Lowercase letters, digits and _ only.")]
    if category not in MessageTemplate.Category.values:
        errors["category"] = [_("Choose a category.")]
    if not re.match(r"^[a-z]{2,3}(_[A-Z]{2})?$", language):
        errors["language"] = [_("A language code such as pt_BR or en_US.")]
    if errors:
        raise FieldValidationError(errors)
    components = _submit_components(
        body=body,
        body_examples=body_examples or [],
        header_text=header_text,
        header_example=header_example,
        footer=footer,
        quick_replies=quick_replies or [],
        url_button=url_button,
    )
    if MessageTemplate.objects.filter(connection=connection, name=name, language=language).exists():
        raise TemplateProviderRefused(
            _("A template with this name already exists in this language."),
            code="template_exists",
            http_status=409,
        )
    try:
        answer = client.post(
            f"{account}/message_templates",
            json={
                "name": name,
                "language": language,
                "category": category,
                "components": components,
            },
        )
    except ProviderError as exc:
        raise _refused(exc) from exc
    template = MessageTemplate.objects.create(
        connection=connection,
        name=name,
        language=language,
        category=str(answer.get("category") or category)[:16],
        status=str(answer.get("status") or MessageTemplate.Status.PENDING)[:20],
        components=components,
        external_id=str(answer.get("id") or "")[:64],
        synced_at=timezone.now(),
    )
    audit_record("template.submitted", obj=template, extra={"language": language})
    return template


def template_delete(*, template: MessageTemplate) -> None:
    """Delete the template at WhatsApp (``DELETE /<WABA-ID>/message_templates?name=&hsm_id=``,
    this language only) and here. A template WhatsApp no longer knows is removed here too."""
    client, account = template_account(template.connection)
    params = {"name": template.name}
    if template.external_id:
        params["hsm_id"] = template.external_id
    try:
        client.delete(f"{account}/message_templates", params=params)
    except ProviderError as exc:
        if "not found" not in exc.detail.lower():
            raise _refused(exc) from exc
    target = audit_object(template)
    template.delete()
    audit_record("template.deleted", obj=target)


def template_status_apply(*, connection: ChannelConnection, item: InboundTemplateStatus) -> int:
    """A ``message_template_status_update`` of the connection's business account: the template
    (by Graph's id, else by name and language) takes the new status and rejection reason, on
    every connection of the tenant that holds it. A template we do not know yet is left to the
    next sync. Returns how many rows changed."""
    rows = MessageTemplate.objects.filter(external_id=item.template_id)
    if not rows.exists() and item.name and item.language:
        rows = MessageTemplate.objects.filter(
            connection=connection, name=item.name, language=item.language
        )
    status = item.status[:20]
    reason = item.reason[:500] if status == MessageTemplate.Status.REJECTED else ""
    changed = rows.update(
        status=status, rejected_reason=reason, synced_at=timezone.now(), updated_at=timezone.now()
    )
    if not changed:
        logger.info("Status of unknown template %s: left to the next sync", item.template_id)
    return changed


def templates_sync_all() -> int:
    """Re-sync every active WhatsApp Cloud connection of the current tenant that has its
    business account id (the periodic task); a failing connection does not stop the others.
    Returns how many were synced."""
    synced = 0
    connections = ChannelConnection.objects.filter(provider=TEMPLATE_PROVIDER, is_active=True)
    for connection in connections:
        if not (connection.credentials or {}).get("business_account_id"):
            continue
        try:
            _templates_sync(connection)  # periodic housekeeping: not an admin's action
        except (TemplateProviderRefused, TemplateConnectionInvalid) as exc:
            logger.warning("Template sync of connection %s failed: %s", connection.pk, exc)
            continue
        synced += 1
    return synced


# --------------------------------------------------------------------------- sends


def template_send(
    *,
    ticket: Ticket,
    by: User,
    template: MessageTemplate,
    parameters: dict[str, str],
) -> Message:
    """Send ``template`` with ``parameters`` on ``ticket`` through the outbound pipeline
    (idempotent, retried): the ticket shows its rendered text. Taken outside the free-text
    window. 400 ``template_connection_invalid`` when the template is not of the ticket's
    connection, plus every refusal of ``template_payload`` and ``message_send``."""
    if template.connection_id != ticket.connection_id:
        raise TemplateConnectionInvalid(
            _("This template belongs to another connection than the ticket's.")
        )
    payload = template_payload(template, parameters)
    return message_send(
        ticket=ticket,
        by=by,
        body=template_render_text(template, parameters),
        template=payload,
    )


def template_conversation_start(
    *,
    by: User,
    template: MessageTemplate,
    parameters: dict[str, str],
    contact: Contact | None = None,
    phone: str = "",
) -> Ticket:
    """Start a conversation on the template's connection with the template as its first
    message (``tickets.services.conversation_start``: same refusals)."""
    payload = template_payload(template, parameters)
    return conversation_start(
        by=by,
        connection=template.connection,
        body=template_render_text(template, parameters),
        contact=contact,
        phone=phone,
        template=payload,
    )
