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

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from channels_integrations.errors import TemplateNotApproved, TemplateParametersInvalid
from channels_integrations.models import MessageTemplate
from contacts.models import Contact

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
    template: MessageTemplate, parameters: dict[str, str]
) -> tuple[list[TemplateParameter], dict[str, str]]:
    """The template's parameters and the values given for them, stripped; raises
    ``TemplateParametersInvalid`` naming every missing, empty, extra or malformed one."""
    wanted = template_parameters(template)
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


def template_payload(template: MessageTemplate, parameters: dict[str, str]) -> dict[str, Any]:
    """The Graph ``template`` object of a send of ``template`` with ``parameters`` (it goes in
    ``tickets.Message.payload["template"]``, which the outbound pipeline hands to the WhatsApp
    Cloud adapter). 409 ``template_not_approved`` unless the template is approved; 400
    ``template_parameters_invalid`` with ``extra["fields"]`` per parameter key when one is
    missing, empty, unknown or not accepted by WhatsApp."""
    if not template.is_approved:
        raise TemplateNotApproved(extra={"status": template.status})
    wanted, values = _clean_parameters(template, parameters)
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
