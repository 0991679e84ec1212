"""A task that takes a list handles every id even when one fails, and then fails itself."""

from __future__ import annotations

import pytest

from core.task_lists import task_list_each


def test_every_id_gets_its_turn_and_the_first_failure_is_raised_at_the_end():
    done: list[int] = []

    def handle(item_id: int) -> int:
        if item_id in (2, 4):
            raise ValueError(f"poison {item_id}")
        done.append(item_id)
        return item_id * 10

    with pytest.raises(ValueError, match="poison 2"):
        task_list_each([1, 2, 3, 4, 5], handle)

    assert done == [1, 3, 5]


def test_the_results_come_in_the_lists_order():
    assert task_list_each([3, 1, 2], lambda item_id: item_id * 10) == [30, 10, 20]
