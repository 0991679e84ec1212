"""Replies never wait behind inbound work: their task goes to the ``replies`` queue, which a
worker of its own serves in docker-compose.yml (and in the bench's processes). Inbound tasks
never wait behind default work (an inbound batch's follow-ups): the ``inbound`` queue has a
worker of its own too."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.processes import CELERY_WORKERS, celery_worker_command
from tiktickets.celery import app

ROOT = Path(__file__).resolve().parents[1]


def _queue_of(task_name: str) -> str:
    return str(app.amqp.router.route({}, task_name)["queue"].name)


def test_the_pipeline_tasks_are_routed_to_their_queues_without_being_told():
    assert _queue_of("channels_integrations.tasks.outbound_message_deliver_task") == "replies"
    assert _queue_of("channels_integrations.tasks.inbound_event_process_task") == "inbound"


def _queues(command: list[str]) -> set[str]:
    [flag] = [part for part in command if part.startswith("--queues=")]
    return set(flag.removeprefix("--queues=").split(","))


def test_docker_compose_runs_a_worker_for_replies_only():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    served = {
        name: _queues(service["command"])
        for name, service in services.items()
        if "command" in service and "worker" in service["command"]
    }
    assert served["worker-replies"] == {"replies"}
    assert [name for name, queues in served.items() if "replies" in queues] == ["worker-replies"]
    assert set().union(*served.values()) == {"inbound", "replies", "default", "bulk"}


def test_the_bench_starts_the_same_replies_worker():
    served = [_queues(celery_worker_command(*worker)) for worker in CELERY_WORKERS]
    assert [queues for queues in served if "replies" in queues] == [{"replies"}]
    assert set().union(*served) == {"inbound", "replies", "default"}


def test_the_follow_ups_of_an_inbound_batch_go_to_the_default_queue():
    for task in (
        "automation.tasks.tickets_distribute_task",
        "automation.tasks.out_of_hours_notices_send_task",
        "campaigns.tasks.campaign_replies_record_task",
        "reports.tasks.attendance_refresh_for_messages_task",
        "reports.tasks.attendances_refresh_for_batch_task",
    ):
        assert _queue_of(task) == "default", task


def test_docker_compose_and_the_bench_run_a_worker_for_inbound_only():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    compose = [
        _queues(service["command"])
        for service in services.values()
        if "command" in service and "worker" in service["command"]
    ]
    bench = [_queues(celery_worker_command(*worker)) for worker in CELERY_WORKERS]
    for served in (compose, bench):
        assert [queues for queues in served if "inbound" in queues] == [{"inbound"}]
        assert [queues for queues in served if "default" in queues] == [{"default"}]
