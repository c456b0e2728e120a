"""Serve the app on a fixed clock, for benchmarks: `python -m benchmarks.serve URL PORT ISO_TIME`.

A real uvicorn server in its own process; only the clock is pinned, so that every demo
kitchen is open whatever the hour the benchmark runs at.
"""

import sys
from datetime import datetime

import uvicorn

from api.app import create_app
from api.clock import FixedClock
from api.settings import load_settings


def main() -> None:
    database_url, port, moment = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    settings = load_settings(database_url=database_url, log_level="warning")
    app = create_app(settings, clock=FixedClock(moment))
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, log_config=None
    )


if __name__ == "__main__":
    main()
