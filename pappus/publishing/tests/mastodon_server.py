"""A local server speaking the part of the Mastodon client API that publishing uses; it counts posts.

Implements, as documented at docs.joinmastodon.org: ``POST /api/v2/media`` (an upload, answered at
once), ``POST /api/v1/statuses`` (with the
``Idempotency-Key`` header: a repeated key returns the first status instead of a new one),
``GET /api/v1/statuses/:id``, ``GET /api/v1/instance`` (the configured limits) and
``GET /api/v1/accounts/verify_credentials``. A bearer token is required. Used by the tests and by
``bench/publish.py``; ``scripted`` answers (status codes, a dropped connection) drive the failure
tests. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "local-test-token"


@dataclass
class Script:
    """What the next POST gets instead of the normal answer: an HTTP status with a body, or a dropped connection."""

    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_create: bool = False  # create the status, then close without answering


class MastodonState:
    def __init__(self, *, honour_idempotency: bool = True, delay: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.honour_idempotency = honour_idempotency
        self.delay = delay
        self.statuses: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.created_per_key: Counter[str] = Counter()
        self.requests_per_key: Counter[str] = Counter()
        self.scripted: list[Script] = []
        self.uploads: list[int] = []  # the size of each uploaded file (POST /api/v2/media)
        self.next_id = 1000

    @property
    def created(self) -> int:
        return len(self.statuses)

    def duplicates(self) -> int:
        """Statuses created beyond the first for one idempotency key."""
        return sum(count - 1 for count in self.created_per_key.values() if count > 1)

    def texts(self) -> list[str]:
        return [status["content"] for status in self.statuses.values()]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, {"error": "The access token is invalid"})
            return False
        return True

    def _account(self) -> dict[str, Any]:
        base = f"http://127.0.0.1:{self.server.server_port}"
        return {"id": "1", "username": "alice", "acct": "alice", "display_name": "Alice", "url": f"{base}/@alice"}

    def do_GET(self) -> None:
        if not self._authorized():
            return
        state = self.server.state
        if self.path == "/api/v1/instance":
            self._send(200, {"configuration": {"statuses": {"max_characters": 500, "max_media_attachments": 4}}})
        elif self.path == "/api/v1/accounts/verify_credentials":
            self._send(200, {**self._account(), "followers_count": 1, "following_count": 0, "statuses_count": 0})
        elif self.path.startswith("/api/v1/statuses/"):
            status = state.statuses.get(self.path.rsplit("/", 1)[-1])
            if status is None:
                self._send(404, {"error": "Record not found"})
            else:
                self._send(200, status)
        else:
            self._send(404, {"error": "Not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not self._authorized():
            return
        if self.path == "/api/v2/media":
            # An upload (multipart) is kept by size only; Mastodon answers 200 with the attachment when
            # it is processed at once (images), 202 while it is still processing.
            with self.server.state.lock:
                self.server.state.uploads.append(len(raw))
                media_id = str(100_000 + len(self.server.state.uploads))
            self._send(200, {"id": media_id, "type": "image", "url": None})
            return
        if self.path != "/api/v1/statuses":
            self._send(404, {"error": "Not found"})
            return
        state = self.server.state
        body = json.loads(raw or b"{}") if raw else {}
        key = self.headers.get("Idempotency-Key", "")
        if state.delay:
            time.sleep(state.delay)
        with state.lock:
            state.requests_per_key[key] += 1
            script = state.scripted.pop(0) if state.scripted else None
            if script is not None and script.status:
                answer: tuple[int, Any, dict[str, str]] | None = (script.status, script.body, script.headers)
                status = None
            elif key and state.honour_idempotency and key in state.by_key:
                answer, status = None, state.statuses[state.by_key[key]]
            else:
                answer = None
                status_id = str(state.next_id)
                state.next_id += 1
                base = f"http://127.0.0.1:{self.server.server_port}"
                status = {
                    "id": status_id,
                    "url": f"{base}/@alice/{status_id}",
                    "uri": f"{base}/users/alice/statuses/{status_id}",
                    "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                    "content": str(body.get("status", "")),
                    "in_reply_to_id": body.get("in_reply_to_id"),
                    "account": self._account(),
                    "visibility": "public",
                    "favourites_count": 0,
                    "reblogs_count": 0,
                    "replies_count": 0,
                }
                state.statuses[status_id] = status
                state.created_per_key[key] += 1
                if key:
                    state.by_key[key] = status_id
        if script is not None and script.drop_after_create:
            self.close_connection = True
            self.connection.close()
            return
        if answer is not None:
            self._send(*answer)
        else:
            self._send(200, status)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, state: MastodonState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class LocalMastodon:
    """Start with ``with LocalMastodon() as server:``; ``server.base_url``, ``server.state``."""

    def __init__(self, *, honour_idempotency: bool = True, delay: float = 0.0) -> None:
        self.state = MastodonState(honour_idempotency=honour_idempotency, delay=delay)
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> LocalMastodon:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def connector_factory(base_url: str, *, timeout: float = 10.0) -> Any:
    """A ``ConnectorFactory`` building the real Mastodon connector against ``base_url``."""
    from pappus.connectors import registry

    def build(delivery: Any) -> Any:
        return registry.build("mastodon", base_url=base_url, credentials={"access_token": TOKEN}, timeout=timeout)

    return build
