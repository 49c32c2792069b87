"""Reading the messages that the local SMTP server (the root conftest's ``smtp_server`` and
``mail_dir`` fixtures) received: one ``.eml`` file per message."""

from __future__ import annotations

import email
import email.policy
import time
from email.message import EmailMessage
from pathlib import Path


def mails_to(directory: Path, address: str, *, expected: int, wait: float = 10.0) -> list[EmailMessage]:
    """The messages to ``address``, waiting up to ``wait`` seconds until there are ``expected``."""
    deadline = time.time() + wait
    while True:
        found = []
        for path in sorted(directory.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(message["To"]):
                assert isinstance(message, EmailMessage)
                found.append(message)
        if len(found) >= expected or time.time() > deadline:
            return found
        time.sleep(0.2)


def body_of(message: EmailMessage) -> str:
    """The plain-text body of a message."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())
