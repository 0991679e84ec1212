"""``{{ key|provider_label }}``: a provider's name for people ("WhatsApp (QR code)"), translated."""

from __future__ import annotations

from django import template

from connections.providers.registry import provider_label as _provider_label

register = template.Library()


@register.filter
def provider_label(key: str) -> str:
    return _provider_label(key)
