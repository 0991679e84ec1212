"""A template's parameters read from its Graph components, the send's ``template`` object, the
text the ticket shows, and the refusals of parameters that do not match the definition."""

from __future__ import annotations

import pytest
from django.utils import translation

from channels_integrations.errors import TemplateNotApproved, TemplateParametersInvalid
from channels_integrations.models import MessageTemplate
from channels_integrations.services.templates import (
    template_parameter_defaults,
    template_parameters,
    template_payload,
    template_render_text,
)
from contacts.models import Contact

ORDER_UPDATE = [
    {
        "type": "HEADER",
        "format": "TEXT",
        "text": "Order {{1}}",
        "example": {"header_text": ["#88"]},
    },
    {
        "type": "BODY",
        "text": "Hi {{1}}, your order {{2}} ships on {{3}}. Thanks, {{1}}!",
        "example": {"body_text": [["Maria", "#88", "Monday"]]},
    },
    {"type": "FOOTER", "text": "Reply STOP to opt out"},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Talk to us"},
            {
                "type": "URL",
                "text": "Track",
                "url": "https://shop.example/track/{{1}}",
                "example": ["https://shop.example/track/88"],
            },
        ],
    },
]


def template(components=ORDER_UPDATE, status=MessageTemplate.Status.APPROVED, **fields):
    return MessageTemplate(
        name=fields.get("name", "order_update"),
        language=fields.get("language", "pt_BR"),
        category=MessageTemplate.Category.UTILITY,
        status=status,
        components=components,
    )


FILLED = {
    "header.1": "#91",
    "body.1": "Ana",
    "body.2": "#91",
    "body.3": "Friday",
    "button.1.1": "91",
}


def test_parameters_come_from_header_body_and_url_buttons_with_their_examples():
    params = template_parameters(template())
    assert [(p.key, p.component, p.index, p.example) for p in params] == [
        ("header.1", "header", "1", "#88"),
        ("body.1", "body", "1", "Maria"),
        ("body.2", "body", "2", "#88"),
        ("body.3", "body", "3", "Monday"),
        ("button.1.1", "button", "1", "https://shop.example/track/88"),
    ]
    assert params[-1].button_index == 1


def test_payload_is_the_graph_template_object():
    assert template_payload(template(), FILLED) == {
        "name": "order_update",
        "language": {"code": "pt_BR"},
        "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "#91"}]},
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Ana"},
                    {"type": "text", "text": "#91"},
                    {"type": "text", "text": "Friday"},
                ],
            },
            {
                "type": "button",
                "sub_type": "url",
                "index": "1",
                "parameters": [{"type": "text", "text": "91"}],
            },
        ],
    }


def test_rendered_text_fills_every_occurrence_and_lists_buttons():
    assert template_render_text(template(), FILLED) == (
        "Order #91\n\nHi Ana, your order #91 ships on Friday. Thanks, Ana!\n\n"
        "Reply STOP to opt out\n\n[Talk to us] [Track]"
    )


def test_a_template_without_placeholders_sends_no_components():
    plain = template([{"type": "BODY", "text": "We are open again."}], name="reopened")
    assert template_parameters(plain) == []
    assert template_payload(plain, {}) == {"name": "reopened", "language": {"code": "pt_BR"}}


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"body.2": None}, "body.2", "Fill this parameter."),
        ({"body.3": "   "}, "body.3", "Fill this parameter."),
        ({"body.4": "extra"}, "body.4", "This template has no such parameter."),
        ({"body.1": "Ana\nSilva"}, "body.1", "WhatsApp does not accept"),
        ({"body.1": "x" * 1025}, "body.1", "At most 1024 characters."),
    ],
)
def test_parameters_not_matching_the_definition_are_refused_by_key(change, field, expected):
    values = {**FILLED, **change}
    values = {k: v for k, v in values.items() if v is not None}
    with translation.override("en"), pytest.raises(TemplateParametersInvalid) as refused:
        template_payload(template(), values)
    assert refused.value.code == "template_parameters_invalid"
    assert refused.value.http_status == 400
    assert list(refused.value.extra["fields"]) == [field]
    assert refused.value.extra["fields"][field][0].startswith(expected)


@pytest.mark.parametrize(
    "status",
    [s for s in MessageTemplate.Status if s != MessageTemplate.Status.APPROVED],
)
def test_only_an_approved_template_is_sent(status):
    with pytest.raises(TemplateNotApproved) as refused:
        template_payload(template(status=status), FILLED)
    assert refused.value.http_status == 409
    assert refused.value.extra == {"status": status}


def test_media_header_takes_an_https_link():
    welcome = template(
        [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U="]}},
            {"type": "BODY", "text": "Welcome!"},
        ],
        name="welcome",
    )
    (media,) = template_parameters(welcome)
    assert (media.key, media.kind) == ("header.media", "image")
    with pytest.raises(TemplateParametersInvalid):
        template_payload(welcome, {"header.media": "http://insecure.example/a.png"})
    payload = template_payload(welcome, {"header.media": "https://cdn.example/a.png"})
    assert payload["components"] == [
        {
            "type": "header",
            "parameters": [{"type": "image", "image": {"link": "https://cdn.example/a.png"}}],
        }
    ]
    assert template_render_text(welcome, {}) == "Welcome!"


def test_named_parameters_carry_their_names_and_default_from_the_contact():
    named = template(
        [
            {
                "type": "BODY",
                "text": "Hi {{first_name}}, your plan {{plan}} renews on {{date}}.",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "first_name", "example": "Maria"},
                        {"param_name": "plan", "example": "Gold"},
                        {"param_name": "date", "example": "May 1"},
                    ]
                },
            }
        ],
        name="renewal",
    )
    assert [p.example for p in template_parameters(named)] == ["Maria", "Gold", "May 1"]
    contact = Contact(name="Ana Souza", phone="+5511999990000", custom_attributes={"plan": "Pro"})
    assert template_parameter_defaults(named, contact) == {
        "body.first_name": "Ana",
        "body.plan": "Pro",
    }
    payload = template_payload(
        named, {"body.first_name": "Ana", "body.plan": "Pro", "body.date": "June 2"}
    )
    assert payload["components"][0]["parameters"][0] == {
        "type": "text",
        "parameter_name": "first_name",
        "text": "Ana",
    }
