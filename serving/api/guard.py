"""The outermost layer of our app: request id, access log, and a last-resort 500 that leaks nothing.

Starlette's ServerErrorMiddleware answers 500 but then re-raises, and uvicorn logs the exception with its message
— which may quote the note. Here every unhandled exception is caught first, logged as its type and stack frames
only (file, line, function, source line: no message, no values), and answered with a French 500 carrying a request
id to find the log line. The access log names the route template (`/v1/suggestions`), never the query string.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("motifs.api")
access_logger = logging.getLogger("motifs.api.access")


def log_exception_safely(exc: BaseException, request_id: str, where: str) -> None:
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s [%s] : exception %s (message non journalisé)\n%s", where, request_id, type(exc).__name__, frames)


class BodyTooLarge(HTTPException):
    """Raised while the body streams in (no Content-Length): FastAPI passes HTTPExceptions on to the handlers."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class GuardMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:12]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        try:
            if _content_length(scope) > self.max_body_bytes:
                await _send_json(tracking_send, 413, {"detail": "requête trop volumineuse"})
            else:
                await self.app(scope, limited_receive, tracking_send)
        except Exception as exc:
            log_exception_safely(exc, request_id, f"{scope.get('method', '?')} {_route(scope)}")
            if not response_started:
                await _send_json(
                    tracking_send, 500, {"detail": f"erreur interne du service (référence : {request_id})"}
                )
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_logger.info(
                "%s %s %d %.1f ms [%s]", scope.get("method", "?"), _route(scope), status, elapsed_ms, request_id
            )


async def _send_json(send: Send, status: int, content: dict[str, str]) -> None:
    body = json.dumps(content, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # malformed: the server (h11/httptools) refuses it before us anyway
    return 0


def _route(scope: Scope) -> str:
    """The matched route's template; never the raw path (it may hold anything) nor the query string."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(hors route)"
