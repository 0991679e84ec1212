"""SignalThrottle: bounded on/off relaying that never leaves the other side at "stopped" while
the person is typing."""

import asyncio

from core.signal_throttle import SignalThrottle

INTERVAL = 0.2


def _run(steps):
    """Feed ``steps`` (key, on) or a float (sleep) to a throttle; return what was relayed."""
    relayed: list[tuple[str, bool, object]] = []

    async def relay(key, on, extra):
        relayed.append((key, on, extra))

    async def body():
        throttle = SignalThrottle(INTERVAL, relay)
        for step in steps:
            if isinstance(step, float):
                await asyncio.sleep(step)
            else:
                await throttle.signal(*step)
        throttle.cancel()

    asyncio.run(body())
    return relayed


def test_a_steady_stream_of_on_is_relayed_once_per_interval():
    steps = [("t", True)] * 5 + [INTERVAL + 0.05] + [("t", True)] * 5
    assert _run(steps) == [("t", True, None), ("t", True, None)]


def test_off_goes_out_only_after_an_on_did():
    assert _run([("t", False), ("t", False)]) == []
    assert _run([("t", True), ("t", False), ("t", False)]) == [
        ("t", True, None),
        ("t", False, None),
    ]


def test_on_right_after_off_goes_out_when_the_interval_ends_with_the_last_extra():
    steps = [("t", True, 1), ("t", False, 1), ("t", True, 2), ("t", True, 3), INTERVAL + 0.1]
    assert _run(steps) == [("t", True, 1), ("t", False, 1), ("t", True, 3)]


def test_on_then_off_inside_the_interval_sends_nothing_more():
    steps = [("t", True), ("t", False), ("t", True), ("t", False), INTERVAL + 0.1]
    assert _run(steps) == [("t", True, None), ("t", False, None)]


def test_keys_are_independent():
    steps = [("a", True), ("b", True), ("a", False), ("b", True)]
    assert _run(steps) == [("a", True, None), ("b", True, None), ("a", False, None)]


def test_cancel_drops_a_pending_signal():
    steps = [("t", True), ("t", False), ("t", True)]  # the third waits; cancel() drops it
    assert _run(steps) == [("t", True, None), ("t", False, None)]
