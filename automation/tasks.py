"""Celery entry points of the automation domain (thin: call one service each)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="automation.tasks.flow_run_send_delayed_task")
def flow_run_send_delayed_task(run_id: int, step: int, sends: list[dict[str, Any]]) -> int:
    """Send a bot step's interactions whose delay has passed (dropped if the step moved on)."""
    from automation.services.flow_runs import flow_run_send_delayed

    return flow_run_send_delayed(run_id=run_id, step=step, sends=sends)


@shared_task(name="automation.tasks.flow_runs_inactive_task")
def flow_runs_inactive_task() -> int:
    """Move the current tenant's tickets silent inside the bot past their flow's rule."""
    from automation.services.flow_runs import flow_runs_inactive_process

    return flow_runs_inactive_process()
