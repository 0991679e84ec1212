"""Celery entry points of automation (thin: each calls one service). Enqueued by the
subscribers in tiktickets/event_handlers.py, inside the tenant, so they run in its schema."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="automation.tasks.out_of_hours_notice_send_task")
def out_of_hours_notice_send_task(message_id: int) -> int | None:
    """A customer's message was stored: send the out-of-hours notice when it is due."""
    from automation.services.business_hours import out_of_hours_notice_send

    notice = out_of_hours_notice_send(message_id=message_id)
    return notice.pk if notice is not None else None


@shared_task(name="automation.tasks.ticket_distribute_task")
def ticket_distribute_task(ticket_id: int) -> int | None:
    """A ticket entered a queue: hand it to an online agent when the queue distributes."""
    from automation.services.distribution import ticket_distribute

    agent = ticket_distribute(ticket_id=ticket_id)
    return agent.pk if agent is not None else None


@shared_task(name="automation.tasks.out_of_hours_notices_send_task")
def out_of_hours_notices_send_task(message_ids: list[int]) -> list[int | None]:
    """``out_of_hours_notice_send_task`` for each message of an inbound batch."""
    from automation.services.business_hours import out_of_hours_notice_send
    from core.task_lists import task_list_each

    def send(message_id: int) -> int | None:
        notice = out_of_hours_notice_send(message_id=message_id)
        return notice.pk if notice is not None else None

    return task_list_each(message_ids, send)


@shared_task(name="automation.tasks.tickets_distribute_task")
def tickets_distribute_task(ticket_ids: list[int]) -> list[int | None]:
    """``ticket_distribute_task`` for each ticket of an inbound batch, in order."""
    from automation.services.distribution import ticket_distribute
    from core.task_lists import task_list_each

    def distribute(ticket_id: int) -> int | None:
        agent = ticket_distribute(ticket_id=ticket_id)
        return agent.pk if agent is not None else None

    return task_list_each(ticket_ids, distribute)


@shared_task(name="automation.tasks.agent_backlog_distribute_task")
def agent_backlog_distribute_task(user_id: int) -> int:
    """An agent came online: hand out the tickets waiting in their distributing queues."""
    from automation.services.distribution import agent_backlog_distribute

    return agent_backlog_distribute(user_id=user_id)


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
