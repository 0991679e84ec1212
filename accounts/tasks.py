"""Celery entry points of accounts (thin: load, call one service)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accounts.tasks.auth_expired_credentials_purge_task")
def auth_expired_credentials_purge_task() -> dict[str, int]:
    from accounts.services import auth_expired_credentials_purge

    return auth_expired_credentials_purge()
