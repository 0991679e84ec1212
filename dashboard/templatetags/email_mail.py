"""How an e-mail message's parts are shown in the ticket panel: its sanitised HTML without
remote images (nothing is fetched from the sender's servers until the agent asks)."""

from __future__ import annotations

from django import template

from channels_integrations.providers.email.parse import html_without_remote_images

register = template.Library()


@register.filter
def without_remote_images(markup: str) -> str:
    """The stored (already sanitised) HTML with every image's source removed."""
    return html_without_remote_images(markup or "")
