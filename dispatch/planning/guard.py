"""A solve that returns by its deadline, whatever OR-Tools does.

OR-Tools' guided local search can run far past its time limit on a large model, holding the
GIL all along (1,000 orders, 5 s limit: 73 s, 70 of them in one call), so no thread of the
same process can stop it. The search runs in a forked child instead; the child streams each
better plan (`solve`'s ``on_plan``) and its final one; at the deadline the parent keeps the
best it has heard and kills the child.
"""

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from time import monotonic
from typing import Final, Literal

from dispatch.planning import rounds
from dispatch.planning.problem import DispatchPlan, DispatchProblem
from dispatch.planning.solver import solve

GRACE_S: Final = 0.5
"""Past the solver's own limit: the fork, and a last plan on its way through the pipe."""
PR_SET_PDEATHSIG: Final = 1
"""Linux's prctl option: the signal a process gets when its parent dies (linux/prctl.h)."""

logger = logging.getLogger(__name__)

Message = tuple[Literal["better", "final", "failed"], DispatchPlan | str]


def solve_within(
    problem: DispatchProblem, warm_start: DispatchPlan | None = None, grace_s: float = GRACE_S
) -> DispatchPlan:
    """`solve`, back within ``problem.time_limit_s + grace_s``: its final plan if it finished,
    else the best plan it reported, else no plan (``found=False``: keep the previous one)."""
    rounds.warm_up()  # compiled once here, not again in every child
    deadline = monotonic() + problem.time_limit_s + grace_s
    context = multiprocessing.get_context("fork")  # the child inherits the matrices: no copy
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_search, args=(problem, warm_start, sender, os.getpid()), daemon=True
    )
    child.start()
    sender.close()
    best: DispatchPlan | None = None
    try:
        while (left := deadline - monotonic()) > 0 and receiver.poll(left):
            try:
                kind, body = receiver.recv()
            except EOFError:
                break  # the child is gone without a final word
            if kind == "failed":
                logger.error("the solver failed: %s", body)
                break
            assert isinstance(body, DispatchPlan)
            best = body
            if kind == "final":
                break
        else:
            if child.is_alive():
                logger.warning(
                    "the solver overran its %.1f s limit: stopped, best plan so far kept",
                    problem.time_limit_s,
                )
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if best is None:
        return DispatchPlan({}, [o.order_id for o in problem.orders], 0, found=False)
    return best


def _die_with(parent: int) -> None:
    """End the child when its parent dies. A killed leader's search would otherwise run on,
    holding the open files it inherited (the leader's database connection and lock file), and
    with them the lead (api.dispatcher.leader): its standby would wait for the search's end."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before we asked
        os._exit(0)


def _search(
    problem: DispatchProblem, warm_start: DispatchPlan | None, sender: Connection, parent: int
) -> None:
    _die_with(parent)

    def send(message: Message) -> None:
        sender.send(message)

    try:
        plan = solve(problem, warm_start, on_plan=lambda better: send(("better", better)))
    except Exception:  # the parent logs it; the child has no one else to tell
        send(("failed", traceback.format_exc()))
    else:
        send(("final", plan))
    finally:
        sender.close()
