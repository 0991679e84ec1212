"""What an e-mail connection needs: the mailbox's address, its IMAP server (where customers'
mail is read) and its SMTP server (where our replies leave). Passwords are secret fields,
stored encrypted with the other credentials (``connections.crypto``).

TLS is required by default: ``ssl`` (implicit TLS, IMAP 993 / SMTP 465) or ``starttls`` (IMAP
143 / SMTP 587). ``none`` sends the password in clear and is refused unless the installation
allows it (``EMAIL_CHANNEL_ALLOW_PLAINTEXT``, for a server on the same machine).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

SECURITY_SSL = "ssl"
SECURITY_STARTTLS = "starttls"
SECURITY_NONE = "none"
INBOUND_IMAP = "imap"
INBOUND_MAILGUN = "mailgun"
INBOUND_CHOICES = [
    (INBOUND_IMAP, _("IMAP: we read the mailbox")),
    (INBOUND_MAILGUN, _("Mailgun: its inbound route forwards each mail to us")),
]
# The fields each way of receiving needs.
_IMAP_REQUIRED = ("imap_host", "imap_port", "imap_username", "imap_password")

SECURITY_CHOICES = [
    (SECURITY_SSL, _("TLS (SSL)")),
    (SECURITY_STARTTLS, _("STARTTLS")),
    (SECURITY_NONE, _("None (password sent in clear)")),
]


class EmailCredentialsSerializer(serializers.Serializer):
    address = serializers.EmailField(
        max_length=254,
        label=_("E-mail address"),
        help_text=_("The address customers write to; our replies are sent from it."),
    )
    display_name = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        default="",
        label=_("Sender name"),
        help_text=_("Shown to customers beside the address (for example, your company's name)."),
    )
    inbound = serializers.ChoiceField(
        choices=INBOUND_CHOICES, default=INBOUND_IMAP, label=_("How mail arrives")
    )
    mailgun_signing_key = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        label=_("Mailgun webhook signing key"),
        style={"input_type": "password"},
    )
    imap_host = serializers.CharField(
        max_length=253, required=False, allow_blank=True, default="", label=_("IMAP server")
    )
    imap_port = serializers.IntegerField(
        min_value=1, max_value=65535, required=False, default=993, label=_("IMAP port")
    )
    imap_security = serializers.ChoiceField(
        choices=SECURITY_CHOICES, default=SECURITY_SSL, label=_("IMAP security")
    )
    imap_username = serializers.CharField(
        max_length=254, required=False, allow_blank=True, default="", label=_("IMAP user name")
    )
    imap_password = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("IMAP password"),
        style={"input_type": "password"},
    )
    imap_folder = serializers.CharField(
        max_length=200, required=False, default="INBOX", label=_("IMAP folder")
    )
    smtp_host = serializers.CharField(max_length=253, label=_("SMTP server"))
    smtp_port = serializers.IntegerField(min_value=1, max_value=65535, label=_("SMTP port"))
    smtp_security = serializers.ChoiceField(
        choices=SECURITY_CHOICES, default=SECURITY_STARTTLS, label=_("SMTP security")
    )
    smtp_username = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        default="",
        label=_("SMTP user name"),
        help_text=_("Leave empty when the SMTP server takes no sign-in."),
    )
    smtp_password = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        label=_("SMTP password"),
        style={"input_type": "password"},
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not getattr(settings, "EMAIL_CHANNEL_ALLOW_PLAINTEXT", False):
            errors = {
                name: [
                    _("Choose TLS (SSL) or STARTTLS: this server would get the password in clear.")
                ]
                for name in ("imap_security", "smtp_security")
                if attrs.get(name) == SECURITY_NONE
            }
            if errors:
                raise serializers.ValidationError(errors)
        required: tuple[str, ...] = _IMAP_REQUIRED
        if attrs.get("inbound") == INBOUND_MAILGUN:
            required = ("mailgun_signing_key",)
        missing = {name: [_("This field is required.")] for name in required if not attrs.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        attrs["address"] = attrs["address"].strip().lower()
        return attrs
