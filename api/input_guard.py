"""Refusing NUL characters in any input: path, query, JSON or form body.

PostgreSQL text cannot hold a NUL, so one in a name, a note or a search used to reach the
database and come back as a 500. Refused here, once for every route, with a 422 naming the
field. The hot path pays a byte search; a body is parsed again only when it holds a NUL.
"""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.asgi import send_error

REASON = "must not contain a NUL character"
_ESCAPED_NUL = (b"\\u0000", b"%00")


def _nul_fields(value: Any, path: list[str]) -> Iterator[str]:
    """The dotted paths of every string (or key) in a JSON value that holds a NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            yield ".".join(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield ".".join([*path, key])
            yield from _nul_fields(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, [*path, str(index)])


def _pairs_with_nul(text: str, prefix: str) -> list[str]:
    return [
        f"{prefix}.{key}"
        for key, value in parse_qsl(text, keep_blank_values=True)
        if "\x00" in key or "\x00" in value
    ]


def _body_fields(content_type: bytes, body: bytes) -> list[str]:
    if not any(marker in body.lower() for marker in _ESCAPED_NUL) and b"\x00" not in body:
        return []
    kind = content_type.lower()
    if kind.startswith(b"application/x-www-form-urlencoded"):
        return _pairs_with_nul(body.decode("latin-1"), "body")
    if kind.startswith(b"multipart/"):
        return ["body"] if b"\x00" in body else []  # a part's raw bytes: no field to name
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return []  # not JSON (or absurdly deep): the route's own parsing answers
    try:
        return list(_nul_fields(parsed, ["body"]))
    except RecursionError:
        return []  # no schema of ours takes such depth: the route's validation refuses it


class NulGuardMiddleware:
    """422 ``invalid_input`` naming each field whose text holds a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields = ["path"] if "\x00" in scope["path"] else []
        query = scope.get("query_string", b"")
        if b"%00" in query.lower():
            fields += _pairs_with_nul(query.decode("latin-1"), "query")
        body, more = b"", True
        messages: list[Message] = []
        if not fields and scope["method"] in ("POST", "PUT", "PATCH"):
            while more:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False) and message["type"] == "http.request"
            content_type = dict(scope["headers"]).get(b"content-type", b"")
            fields = _body_fields(content_type, body)
        if fields:
            await _refuse(send, fields)
            return
        if not messages:
            await self.app(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, fields: list[str]) -> None:
    await send_error(send, 422, "invalid_input", [{"field": f, "reason": REASON} for f in fields])
