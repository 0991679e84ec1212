"""Tasks that take a list of ids (published once per inbound batch instead of once per event).

Each id is handled as the one-id task would handle it, in the list's order; one failing id is
logged and does not stop the others, and the first failure is raised once all are done, so
the task fails as the one-id task did. The callers are idempotent per id: a task handed out
again (acks late, a worker killed) repeats the whole list without doubling anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

logger = logging.getLogger(__name__)

R = TypeVar("R")


def task_list_each(ids: Iterable[int], call: Callable[[int], R]) -> list[R | None]:
    """``call(id)`` for each id, in order: the results (None where it failed)."""
    results: list[R | None] = []
    failure: Exception | None = None
    for item_id in ids:
        try:
            results.append(call(item_id))
        except Exception as exc:  # the other ids still get their turn
            logger.exception("task list: id %s failed", item_id)
            results.append(None)
            failure = failure or exc
    if failure is not None:
        raise failure
    return results
