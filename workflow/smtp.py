"""The mail server: its settings, and one SMTP connection that sends messages."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from typing import Any, Protocol

from workflow.mail import MailRenderer

# Failures that mean the server cannot be reached: stop this run, keep the rest.
CONNECTION_ERRORS = (
    OSError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPHeloError,
)


@dataclass(frozen=True)
class MailSettings:
    """The mail server, the links in messages, and the sender's timing."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout: int = 30
    mail_from: str = "plangraph@localhost"
    base_url: str = "http://127.0.0.1:5000"
    secret_key: str = ""
    interval_seconds: int = 30
    batch_size: int = 200
    claim_seconds: int = 300
    retry_seconds: int = 60
    retry_max_seconds: int = 3600
    notice_window_seconds: int = 300
    daily_digest_hour: int = 8
    digest_link_limit: int = 30
    keep_days: int = 90

    @property
    def configured(self) -> bool:
        """Whether there is a mail server to send to at all."""
        return bool(self.smtp_host)

    def renderer(self) -> MailRenderer:
        """The renderer of this installation's messages."""
        return MailRenderer(self.base_url, self.secret_key, self.digest_link_limit)

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the given number of failed attempts."""
        exponent = min(max(attempts - 1, 0), 20)
        seconds = min(self.retry_max_seconds, self.retry_seconds * 2**exponent)
        return timedelta(seconds=seconds)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> MailSettings:
        """Read the settings from the application's configuration."""
        return cls(
            smtp_host=str(config["SMTP_HOST"] or ""),
            smtp_port=int(config["SMTP_PORT"]),
            smtp_user=str(config["SMTP_USER"] or ""),
            smtp_password=str(config["SMTP_PASSWORD"] or ""),
            smtp_starttls=bool(config["SMTP_STARTTLS"]),
            smtp_timeout=int(config["SMTP_TIMEOUT_SECONDS"]),
            mail_from=str(config["MAIL_FROM"]),
            base_url=str(config["BASE_URL"]),
            secret_key=str(config["SECRET_KEY"]),
            interval_seconds=int(config["OUTBOX_INTERVAL_SECONDS"]),
            batch_size=int(config["OUTBOX_BATCH_SIZE"]),
            claim_seconds=int(config["OUTBOX_CLAIM_SECONDS"]),
            retry_seconds=int(config["OUTBOX_RETRY_SECONDS"]),
            retry_max_seconds=int(config["OUTBOX_RETRY_MAX_SECONDS"]),
            notice_window_seconds=int(config["NOTICE_WINDOW_SECONDS"]),
            daily_digest_hour=int(config["DAILY_DIGEST_HOUR"]),
            digest_link_limit=int(config["DIGEST_LINK_LIMIT"]),
            keep_days=int(config["OUTBOX_KEEP_DAYS"]),
        )


class Transport(Protocol):
    """Something that hands a message to a mail server."""

    def send(self, message: Message) -> None:
        """Send one message or raise."""

    def close(self) -> None:
        """Let go of the connection."""


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a run."""

    def __init__(self, settings: MailSettings) -> None:
        """Remember where to connect; nothing is opened yet."""
        self.settings = settings
        self._connection: smtplib.SMTP | None = None

    def send(self, message: Message) -> None:
        """Send one message; a failed connection is dropped and reopened next time."""
        try:
            self._connect().send_message(message)
        except (smtplib.SMTPException, OSError):
            self._drop()
            raise

    def close(self) -> None:
        """Say goodbye to the server."""
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._connection = None

    def _connect(self) -> smtplib.SMTP:
        if self._connection is None:
            settings = self.settings
            connection = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
            )
            if settings.smtp_starttls:
                connection.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                connection.login(settings.smtp_user, settings.smtp_password)
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except OSError:
                pass
            self._connection = None
