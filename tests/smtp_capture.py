"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Capture:
    """An aiosmtpd handler: keeps every message, refuses or stalls on request."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        # An SMTP reply such as "451 4.3.0 Try again later" refuses every message.
        self.refusal: str | None = None
        # Stall the reply to this message (1-based), after keeping it.
        self.stall_at: int | None = None
        self.stalled = threading.Event()
        self._released = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message, then answer (or refuse, or stall)."""
        if self.refusal:
            return self.refusal
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
            count = len(self.messages)
        if self.stall_at is not None and count == self.stall_at:
            # The message arrived, but its sender never hears so: as if the
            # sender were killed between the server's acceptance and its own
            # bookkeeping.
            self.stalled.set()
            for _tick in range(600):
                if self._released.is_set():
                    break
                await asyncio.sleep(0.1)
        return "250 OK"

    def release(self) -> None:
        """Let a stalled reply go (to a sender that may be gone by now)."""
        self._released.set()

    def received(self) -> list[EmailMessage]:
        """The messages kept so far."""
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages kept for one address."""
        return [m for m in self.received() if address in str(m["To"])]


def text_of(message: Message) -> str:
    """The plain-text body of a message (parsed again if it was built to send)."""
    if not isinstance(message, EmailMessage):
        message = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    """The HTML body of a message."""
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Capture, int]]:
    """Run a capturing SMTP server on loopback; yields the handler and its port."""
    handler = Capture()
    chosen = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=chosen)
    controller.start()
    try:
        yield handler, chosen
    finally:
        handler.release()
        controller.stop()
