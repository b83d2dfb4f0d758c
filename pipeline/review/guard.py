"""ASGI guard in front of the review app: only requests that name a trusted host (loopback by default)
and whose body is small and valid UTF-8 reach the routes.

- Host: a page of another origin whose name resolves to 127.0.0.1 (DNS rebinding) reaches the local
  server with its own name in the Host header; refusing unknown names keeps it from reading the queue
  or posting decisions.
- Body: at most `max_body` bytes, UTF-8 once percent-decoded (a form) or as sent (JSON), so a broken
  client gets 400/413 before anything is stored, never a half-handled request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def host_name(header: str) -> str:
    """The name of a Host header without its port ("[::1]:8000" -> "::1"); "" when malformed."""
    try:
        return (urlsplit(f"//{header}").hostname or "").rstrip(".")
    except ValueError:
        return ""


def utf8_body(body: bytes, content_type: str) -> bool:
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = unquote_to_bytes(body.replace(b"+", b" "))
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Guard:
    def __init__(
        self, app: Callable[..., Awaitable[None]], hosts: set[str], max_body: int = MAX_BODY
    ) -> None:
        self.app, self.hosts, self.max_body = app, hosts, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if host_name(headers.get("host", "")).lower() not in self.hosts:
            await _refuse(send, 400, "unknown host: this review server answers to its local address only")
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > self.max_body:
            await _refuse(send, 413, f"request body over {self.max_body} bytes")
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _refuse(send, 413, f"request body over {self.max_body} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not utf8_body(body, headers.get("content-type", "")):
            await _refuse(send, 400, "the request body is not UTF-8")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
