"""What a Telegram connection needs: the bot token from @BotFather
(https://core.telegram.org/bots/features#botfather). The webhook secret is ours, generated."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# <bot id>:<35 characters>; https://core.telegram.org/bots/api#authorizing-your-bot
BOT_TOKEN_REGEX = r"^\d{5,16}:[A-Za-z0-9_-]{30,64}$"  # noqa: S105  (a pattern, not a secret)


class TelegramCredentialsSerializer(serializers.Serializer):
    bot_token = serializers.RegexField(
        BOT_TOKEN_REGEX,
        max_length=100,
        label=_("Bot token (from @BotFather)"),
        error_messages={"invalid": _("This is not a bot token (<digits>:<35 characters>).")},
    )
