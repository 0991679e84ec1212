"""What a provider declares about itself: the part of the provider interface a channel
connection needs (its key, its name for people, the credentials it takes and what it can do).

The pipeline side of the interface (webhooks, parsing, sending, media) extends this class in
``channels_integrations.providers.base.ChannelProvider``; the adapters live there, one folder
each, and are found through ``connections.providers.registry``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.utils.functional import Promise
from rest_framework import serializers


class ConnectionProvider:
    """The declaration every provider makes; one subclass (through ``ChannelProvider``) per
    provider, registered with one line in ``registry.PROVIDERS``."""

    key: ClassVar[str]  # the value stored in ChannelConnection.provider
    # The provider's name for people (admin pages, the inbox's channel icon); translated.
    label: ClassVar[str | Promise]
    # Validates ChannelConnection.credentials; its ``validated_data`` is what gets stored, and
    # the admin pages build the connection form from its fields (label, help text, required).
    credentials_serializer: ClassVar[type[serializers.Serializer[Any]]]
    # Credential fields never returned in full by the API nor shown again on the admin pages.
    secret_fields: ClassVar[tuple[str, ...]] = ()
    # How webhooks reach us: "connection" (a URL per connection), "shared" (one URL for every
    # connection of the provider) or "" (none); ChannelProvider says more.
    webhook_routing: ClassVar[str] = ""
    # For "shared" routing: the path under /webhooks/ that the provider is configured to call
    # (e.g. "meta/"), shown to admins as the connection's webhook URL.
    shared_webhook_path: ClassVar[str] = ""
    # Messages per second the provider allows per connection (outbound rate limit).
    rate_limit_per_second: ClassVar[float] = 20.0
    # Message kinds whose file can carry the text as a caption; for other kinds, senders that
    # have a caption (the chatbot) send the text as its own message after the file.
    caption_kinds: ClassVar[frozenset[str]] = frozenset({"image", "video", "document"})
    # The longest caption the provider shows under a file (characters; 0: no limit of its own).
    caption_max_length: ClassVar[int] = 0
    # Whom an agent may write to first (a new conversation, tickets.services.conversations):
    # "phone" (any phone number), "after_customer" (only customers who wrote on this
    # connection before) or "" (nobody: the customer always writes first).
    conversation_reach: ClassVar[str] = ""
    # Why nobody, or nobody who never wrote, can be reached first: shown next to the connection.
    conversation_refusal: ClassVar[str | Promise] = ""
    # Free-form text is accepted only this long after the customer's last message (None: at
    # any time); outside it the provider wants an approved template, if it has templates.
    free_text_window: ClassVar[timedelta | None] = None
    # Whether the provider sends message templates (WhatsApp Cloud): outside the window only a
    # template is sent, and free text is refused before it reaches the provider.
    sends_templates: ClassVar[bool] = False
    # Why the window is closed, shown next to the connection.
    window_refusal: ClassVar[str | Promise] = ""
    # Whether an agent's edit of a message the channel already delivered changes the
    # customer's copy, and whether deleting it removes that copy. Where not, the change stays
    # here and the panel says so before the agent acts.
    edits_reach_customer: ClassVar[bool] = False
    deletions_reach_customer: ClassVar[bool] = False
    # How long after sending the channel still deletes a message (hours; None: always).
    deletion_window_hours: ClassVar[int | None] = None
    # The emoji an agent may react with to a customer's message, in the order the panel offers
    # them; empty when the channel has no reactions.
    reaction_emojis: ClassVar[tuple[str, ...]] = ()
    # Audio formats (MIME types) the provider delivers as a voice note (the customer's app shows
    # a playable recording); empty when it has none. The composer says before sending how a
    # recording will arrive.
    voice_note_mime_types: ClassVar[frozenset[str]] = frozenset()
    # Audio formats the provider accepts at all, or None when it takes any file (sending what it
    # cannot play as a plain file); a recording in another format is refused before sending.
    audio_mime_types: ClassVar[frozenset[str] | None] = None

    @classmethod
    def is_configured(cls) -> bool:
        """Whether this installation has what the provider needs beyond a connection's own
        credentials (a gateway, say); connections of a provider that is not are not offered."""
        return True

    @classmethod
    def credential_fields(cls) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        """The credential fields a person fills in, in declaration order."""
        fields: dict[str, serializers.Field[Any, Any, Any, Any]] = dict(
            cls.credentials_serializer().fields
        )
        return fields
