"""Just enough of a WebSocket client (RFC 6455) to read the first message a server sends.

Reddit answers an image submission only through a WebSocket that sends one JSON message (the new
post's address, or a failure). No client library is in the stack for that one message, so this
opens the connection (``ws://`` or ``wss://`` with certificate checks), checks the handshake
(``Sec-WebSocket-Accept``), answers pings, and returns the first text message; every failure is a
:class:`WebSocketError`. Nothing is ever sent but the handshake, pongs and a close frame.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
from typing import BinaryIO
from urllib.parse import urlsplit

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
MAXIMUM_MESSAGE_BYTES = 1024 * 1024
_TEXT, _BINARY, _CONTINUATION, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


class WebSocketError(Exception):
    """The connection, the handshake or a frame failed; the message says which."""


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``key``."""
    return base64.b64encode(hashlib.sha1((key + _GUID).encode(), usedforsecurity=False).digest()).decode()


def _frame(opcode: int, payload: bytes = b"") -> bytes:
    """A client frame (clients must mask what they send)."""
    mask = os.urandom(4)
    length = len(payload)
    header = bytes([0x80 | opcode])
    if length < 126:
        header += bytes([0x80 | length])
    elif length < 1 << 16:
        header += bytes([0x80 | 126]) + struct.pack(">H", length)
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", length)
    return header + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


def _exactly(reader: BinaryIO, count: int) -> bytes:
    data = reader.read(count)
    if data is None or len(data) != count:
        raise WebSocketError("the connection closed in the middle of a frame")
    return data


def first_message(url: str, *, timeout: float) -> str:
    """Connect to ``url``, wait at most ``timeout`` seconds per read, and return the first text message."""
    parts = urlsplit(url)
    if parts.scheme not in {"ws", "wss"} or not parts.hostname:
        raise WebSocketError(f"not a WebSocket address: {url!r}")
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection = socket.create_connection((parts.hostname, port), timeout=timeout)
    except OSError as error:
        raise WebSocketError(f"could not connect: {error}") from error
    try:
        if secure:
            connection = ssl.create_default_context().wrap_socket(connection, server_hostname=parts.hostname)
        key = base64.b64encode(os.urandom(16)).decode()
        handshake = (
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: Pappus\r\n\r\n"
        )
        connection.sendall(handshake.encode())
        reader = connection.makefile("rb")
        status = reader.readline(8192)
        if len(status.split()) < 2 or status.split()[1] != b"101":
            raise WebSocketError(f"the server refused the upgrade: {status.decode(errors='replace').strip()}")
        headers: dict[str, str] = {}
        while (line := reader.readline(8192)) not in {b"\r\n", b"\n", b""}:
            name, _colon, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("sec-websocket-accept") != accept_key(key):
            raise WebSocketError("the server's Sec-WebSocket-Accept does not match the key")
        return _read_text(reader, connection)
    except (OSError, ValueError) as error:  # timeouts, TLS failures, broken connections
        raise WebSocketError(str(error) or type(error).__name__) from error
    finally:
        connection.close()


def _read_text(reader: BinaryIO, connection: socket.socket) -> str:
    message = bytearray()
    while True:
        first, second = _exactly(reader, 2)
        final, opcode = bool(first & 0x80), first & 0x0F
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack(">H", _exactly(reader, 2))
        elif length == 127:
            (length,) = struct.unpack(">Q", _exactly(reader, 8))
        if length + len(message) > MAXIMUM_MESSAGE_BYTES:
            raise WebSocketError("the message is larger than expected")
        mask = _exactly(reader, 4) if second & 0x80 else b""
        payload = _exactly(reader, length)
        if mask:
            payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        if opcode == _CLOSE:
            raise WebSocketError("the server closed the connection before sending a message")
        if opcode == _PING:
            connection.sendall(_frame(_PONG, payload))
            continue
        if opcode == _PONG:
            continue
        if opcode not in {_TEXT, _BINARY, _CONTINUATION}:
            raise WebSocketError(f"unknown frame type {opcode}")
        message += payload
        if final:
            connection.sendall(_frame(_CLOSE, struct.pack(">H", 1000)))
            return message.decode("utf-8", errors="replace")
