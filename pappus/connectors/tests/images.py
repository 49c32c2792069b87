"""A real one-pixel PNG, built with the standard library."""

from __future__ import annotations

import struct
import zlib


def one_pixel_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\xff\x00"))
        + chunk(b"IEND", b"")
    )


def tiny_mp4(size: int = 64) -> bytes:
    """An ISO base media file: an ``ftyp`` box (brand mp42) and an ``mdat`` box of ``size`` bytes.

    Enough for the replayed networks, which store what they get; no server here decodes video.
    """
    ftyp = b"ftyp" + b"mp42" + struct.pack(">I", 0) + b"mp42isom"
    mdat = b"mdat" + bytes(range(256)) * (size // 256) + bytes(size % 256)
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(mdat) + 4) + mdat
