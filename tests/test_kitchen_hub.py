"""A slow screen never holds the others back: past its queue it is marked for a resync."""

import asyncio

from kitchen_display.hub import QUEUE_SIZE, Screen


def test_a_screen_that_falls_behind_is_resynchronised_not_waited_for() -> None:
    async def scenario() -> tuple[Screen, Screen]:
        slow, fast = Screen("restaurant:1"), Screen("restaurant:1")
        for seq in range(1, QUEUE_SIZE + 50):
            message = {"type": "event", "seq": seq}
            slow.offer(message)  # nobody reads this one
            fast.offer(message)
            if not fast.queue.empty():
                fast.queue.get_nowait()  # this one keeps up
        return slow, fast

    slow, fast = asyncio.run(scenario())
    assert slow.overflowed
    assert slow.queue.qsize() == 1
    assert slow.queue.get_nowait() == {"type": "resync"}
    assert not fast.overflowed
