"""The WeChat Official Account server callback protocol, as WeChat documents it.

- **Signature** (URL verification and every message): ``sha1`` of the callback token, the
  ``timestamp`` and the ``nonce`` sorted as strings and joined; compared in constant time.
- **Encrypted ("safe") mode**: the message is ``<xml><ToUserName/><Encrypt/></xml>`` and the query
  carries ``msg_signature`` = ``sha1`` of token, timestamp, nonce and the ``Encrypt`` text, sorted
  and joined. The AES key is the 43-character EncodingAESKey with ``=`` appended, base64-decoded
  (32 bytes); AES-256-CBC with the key's first 16 bytes as IV; the plain text is 16 random bytes,
  the message's length as 4 bytes in network order, the message, then the app id; padded with
  PKCS#7 to a multiple of **32** bytes (not AES's 16).

:func:`encrypt` exists for tests and for any passive reply: it is the same algorithm backwards.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

BLOCK = 32  # WeChat's PKCS#7 block size
ENCODING_AES_KEY_LENGTH = 43


class ProtocolError(ValueError):
    """A callback that does not follow the protocol (bad signature, bad padding, another app's message)."""


def signature(*parts: str) -> str:
    """``sha1`` of the parts sorted as strings and joined: both ``signature`` and ``msg_signature``."""
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def signature_matches(expected: str, *parts: str) -> bool:
    return hmac.compare_digest(signature(*parts).encode(), (expected or "").lower().encode())


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey of the account's settings."""
    value = (encoding_aes_key or "").strip()
    if len(value) != ENCODING_AES_KEY_LENGTH:
        raise ProtocolError(f"the EncodingAESKey has {len(value)} characters; WeChat gives 43")
    try:
        key = base64.b64decode(value + "=", validate=True)
    except binascii.Error as error:
        raise ProtocolError("the EncodingAESKey is not base64") from error
    if len(key) != 32:  # pragma: no cover - 43 base64 characters + "=" always make 32 bytes
        raise ProtocolError("the EncodingAESKey does not make a 32-byte key")
    return key


def _pad(data: bytes) -> bytes:
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    if not data:
        raise ProtocolError("the decrypted message is empty")
    amount = data[-1]
    if amount < 1 or amount > BLOCK or data[-amount:] != bytes([amount]) * amount:
        raise ProtocolError("the decrypted message has bad padding")
    return data[:-amount]


def encrypt(message: str, *, encoding_aes_key: str, appid: str, random: bytes | None = None) -> str:
    """The ``Encrypt`` text of a message (base64), as WeChat builds it."""
    key = aes_key(encoding_aes_key)
    body = message.encode()
    plain = (random or secrets.token_bytes(16)) + struct.pack(">I", len(body)) + body + appid.encode()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(_pad(plain)) + encryptor.finalize()).decode()


def decrypt(encrypted: str, *, encoding_aes_key: str, appid: str) -> str:
    """The message inside an ``Encrypt`` text; ProtocolError when it is not this app's or is malformed."""
    key = aes_key(encoding_aes_key)
    try:
        cipher_text = base64.b64decode(encrypted, validate=True)
    except binascii.Error as error:
        raise ProtocolError("the encrypted message is not base64") from error
    if not cipher_text or len(cipher_text) % 16:
        raise ProtocolError("the encrypted message is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = _unpad(decryptor.update(cipher_text) + decryptor.finalize())
    if len(plain) < 20:
        raise ProtocolError("the decrypted message is too short")
    (length,) = struct.unpack(">I", plain[16:20])
    body, sender = plain[20 : 20 + length], plain[20 + length :]
    if len(body) != length:
        raise ProtocolError("the decrypted message is shorter than its length prefix")
    if not hmac.compare_digest(sender, appid.encode()):
        raise ProtocolError("the message was encrypted for another app id")
    try:
        return body.decode()
    except UnicodeDecodeError as error:
        raise ProtocolError("the decrypted message is not UTF-8") from error


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The children of a callback's ``<xml>`` root as a flat dict (CDATA or text); defusedxml refuses entities."""
    try:
        root: Element = fromstring(body)
    except Exception as error:  # defusedxml raises ParseError and its own EntitiesForbidden etc.
        raise ProtocolError(f"the message is not readable XML ({type(error).__name__})") from error
    if root.tag != "xml":
        raise ProtocolError("the message's root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root if len(child) == 0}


def envelope(encrypted: str, *, to_user: str) -> str:
    """The encrypted-mode body WeChat posts: the recipient in clear, the message in ``Encrypt``."""
    return f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"


@dataclass(frozen=True, slots=True)
class CallbackMessage:
    """One message or event a follower sent, read from the callback's XML."""

    to_user: str  # the official account's original id (gh_…)
    from_user: str  # the follower's openid for this account
    created_at: datetime.datetime
    msg_type: str  # text, image, voice, video, shortvideo, location, link, event
    msg_id: str = ""
    event: str = ""  # subscribe, unsubscribe, CLICK, VIEW, SCAN, LOCATION, …
    fields: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_fields(cls, values: Mapping[str, str]) -> CallbackMessage:
        missing = [name for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType") if not values.get(name)]
        if missing:
            raise ProtocolError(f"the message lacks {', '.join(missing)}")
        try:
            created = datetime.datetime.fromtimestamp(int(values["CreateTime"]), tz=datetime.UTC)
        except (ValueError, OverflowError, OSError) as error:
            raise ProtocolError("the message's CreateTime is not a Unix time") from error
        return cls(
            to_user=values["ToUserName"],
            from_user=values["FromUserName"],
            created_at=created,
            msg_type=values["MsgType"].lower(),
            msg_id=values.get("MsgId", ""),
            event=values.get("Event", ""),
            fields=dict(values),
        )

    @property
    def opens_window(self) -> bool:
        """Whether it opens the 48-hour customer-service window (any message; events but unsubscribing
        and automatic location reports, per WeChat's list of interactions)."""
        if self.msg_type != "event":
            return True
        return self.event.lower() not in {"unsubscribe", "location", "templatesendjobfinish", "masssendjobfinish"}
