"""Waiting in tests for something another process or thread makes true."""

import time


def wait_for(condition: object, timeout_s: float) -> float:
    """Seconds until the condition held; fails after the timeout."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        if callable(condition) and condition():
            return time.monotonic() - began
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s")
