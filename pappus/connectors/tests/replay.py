"""A local stdlib HTTP server that replays a network's documented answers, for the error paths
that the real local servers cannot produce (expired tokens, 429 with Retry-After, 5xx, bad JSON).

Tests queue answers per (method, path); the server records every request it gets.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes or str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Read the request, then close the connection without a word: what a server that drops a
    # kept-alive connection looks like to the client (it cannot tell whether the request was done).
    close_without_answer: bool = False

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain; charset=utf-8")
        return json.dumps(self.body if self.body is not None else {}).encode(), "application/json"


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class ReplayServer:
    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], deque[Answer]] = defaultdict(deque)
        self.sticky: dict[tuple[str, str], Answer] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> None:
        with self._lock:
            self.answers.clear()
            self.sticky.clear()
            self.requests.clear()

    def add(self, method: str, path: str, answer: Answer, *, always: bool = False) -> None:
        with self._lock:
            if always:
                self.sticky[(method, path)] = answer
            else:
                self.answers[(method, path)].append(answer)

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [entry for entry in self.requests if entry.method == method and entry.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, method: str, path: str) -> Answer:
        with self._lock:
            queued = self.answers.get((method, path))
            if queued:
                return queued.popleft()
            sticky = self.sticky.get((method, path))
        return sticky or Answer(404, {"error": "Record not found"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with replay._lock:
                    replay.requests.append(
                        Recorded(self.command, parts.path, parts.query, dict(self.headers.items()), body)
                    )
                answer = replay._next(self.command, parts.path)
                if answer.delay:
                    threading.Event().wait(answer.delay)
                if answer.close_without_answer:
                    self.close_connection = True
                    return
                payload, content_type = answer.encoded()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.headers.get("Content-Type", content_type))
                for name, value in answer.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - the stdlib's names

        return Handler
