"""A slow screen never holds the others back: past its queue it is marked for a resync."""

import asyncio

import sqlalchemy as sa

from kitchen_display.hub import QUEUE_SIZE, Hub, Message, Screen


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


def test_an_expansion_that_fails_resynchronises_its_screens_and_the_pump_goes_on() -> None:
    """A bug in reading the board's rows must not stop the pump for every screen of the
    process: the screens of those channels are told to start again from a snapshot."""

    def broken(messages: list[Message]) -> list[Message]:
        raise ValueError("a row that does not parse")

    async def scenario() -> tuple[Screen, Screen]:
        hub = Hub(sa.create_engine("sqlite://"), None, {"operator:": broken})
        board, other = Screen("operator:0"), Screen("operator:1")
        hub._screens["operator:0"].add(board)
        hub._screens["operator:1"].add(other)
        hub._handed_out.update({"operator:0": 0, "operator:1": 0})
        event = {"type": "event", "channel": "operator:0", "seq": 1, "kind": "board.touched"}
        await hub._expand_and_offer(broken, [event])
        return board, other

    board, other = asyncio.run(scenario())
    assert board.queue.get_nowait() == {"type": "resync"}
    assert other.queue.empty()
