"""Answering from ASGI middleware, before any route: the API's JSON error shape."""

import json
from typing import Any

from starlette.types import Send


async def send_error(send: Send, status: int, error: str, detail: Any) -> None:
    """``{"error": error, "detail": detail}`` with this status, as the error handler renders."""
    body = json.dumps({"error": error, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
