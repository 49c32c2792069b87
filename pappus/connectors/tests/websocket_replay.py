"""A local WebSocket server (RFC 6455 handshake and frames, stdlib only) that sends queued messages.

Each connection gets the next queued message as one text frame (optionally after a ping, or split
in two frames), or a close frame when the queue says so; the server records each request's path.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections import deque

from pappus.connectors.websocket import accept_key

CLOSE = object()  # queue this to have the server close without a message


def _frame(opcode: int, payload: bytes, *, final: bool = True) -> bytes:
    head = bytes([(0x80 if final else 0) | opcode])
    if len(payload) < 126:
        return head + bytes([len(payload)]) + payload
    return head + bytes([126]) + struct.pack(">H", len(payload)) + payload


class WebSocketReplay:
    def __init__(self) -> None:
        self.messages: deque[object] = deque()
        self.paths: list[str] = []
        self.ping_first = False
        self.split = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "/rte_images/abc") -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}{path}"

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            reader = connection.makefile("rb")
            request = reader.readline().decode()
            headers = {}
            while (line := reader.readline()) not in {b"\r\n", b""}:
                name, _colon, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            self.paths.append(request.split()[1])
            key = headers.get("sec-websocket-key", "")
            connection.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
                ).encode()
            )
            message = self.messages.popleft() if self.messages else CLOSE
            if message is CLOSE:
                connection.sendall(_frame(0x8, struct.pack(">H", 1011)))
                return
            payload = str(message).encode()
            if self.ping_first:
                connection.sendall(_frame(0x9, b"hello"))
                reader.read(2 + 4 + 5)  # the masked pong
            if self.split:
                half = len(payload) // 2
                connection.sendall(_frame(0x1, payload[:half], final=False) + _frame(0x0, payload[half:]))
            else:
                connection.sendall(_frame(0x1, payload))
            reader.read(2 + 4 + 2)  # the client's close frame
