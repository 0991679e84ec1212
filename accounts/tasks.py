"""Celery entry points of accounts (thin: load, call one service)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accounts.tasks.auth_expired_credentials_purge_task")
def auth_expired_credentials_purge_task() -> dict[str, int]:
    from accounts.services import auth_expired_credentials_purge

    return auth_expired_credentials_purge()


@shared_task(name="accounts.tasks.password_reset_mail_send_task")
def password_reset_mail_send_task(user_id: int, link_base: str) -> bool:
    from accounts.services import password_reset_mail_send

    return password_reset_mail_send(user_id=user_id, link_base=link_base)
