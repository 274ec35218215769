"""Delivering the outbox over SMTP: claim the rows, send, mark them; retry later.

A worker claims a batch of messages before sending: one UPDATE writes a
"claimed" note in `last_error` and holds the rows (`next_attempt_at`) for the
claim's length, and only rows that nobody holds can be claimed, so two
workers never take the same rows. Then, one commit per message, it marks the
message sent and the next one "sending". A worker killed with a message
"sending" leaves it held until the claim runs out; the next worker sends it
again and logs that the person may receive it twice: at most one duplicate
per kill. Messages that were only claimed go out quietly.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, or_, select, update
from sqlalchemy.orm import Session

from workflow.clock import utcnow
from workflow.mail import (
    Category,
    Envelope,
    addressee_of,
    compose,
    email_message,
    message_id_for,
)
from workflow.models import OutboxMessage
from workflow.outbox import (
    CLAIMED,
    NOT_SENT,
    SENDING,
    claimable,
    due_envelopes,
    schedule_new,
    update_chunks,
    waiting_count,
)
from workflow.smtp import CONNECTION_ERRORS, MailSettings, SmtpTransport, Transport

logger = logging.getLogger(__name__)


@dataclass
class DeliveryResult:
    """What one run of the sender did."""

    configured: bool = True
    sent_messages: int = 0
    sent_rows: int = 0
    failed_messages: int = 0
    not_sent_rows: int = 0
    waiting: int = 0
    # A full batch was handled: more may be due right away.
    full: bool = False
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for operators."""
        if not self.configured:
            return (
                f"SMTP is not configured (set SMTP_HOST); {self.waiting} outbox rows "
                "wait in the outbox and the mail viewer shows them."
            )
        return (
            f"Sent {self.sent_messages} messages ({self.sent_rows} outbox rows), "
            f"{self.failed_messages} failed, {self.not_sent_rows} not sent by "
            f"preference; {self.waiting} rows still waiting."
        )


def worker_name() -> str:
    """This process, as claims name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver(
    session: Session,
    settings: MailSettings,
    *,
    transport: Transport | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> DeliveryResult:
    """Send what is due: one message per recipient and category, one batch of them.

    `force` sends everything waiting at once, notice windows and daily
    digests and retry delays included (`flask outbox send`).
    """
    moment = now or utcnow()
    schedule_new(session, settings, moment)
    result = DeliveryResult(configured=settings.configured)
    if not settings.configured:
        result.waiting = waiting_count(session)
        logger.debug("Outbox: SMTP is not configured; %s rows wait", result.waiting)
        return result

    envelopes = due_envelopes(session, moment, settings.batch_size, force=force)
    result.full = len(envelopes) >= settings.batch_size
    batch = claim(session, envelopes, settings, worker_name(), now=moment)
    sender = transport or SmtpTransport(settings)
    try:
        _send_batch(session, settings, batch, sender, result)
    finally:
        sender.close()
    result.waiting = waiting_count(session)
    return result


@dataclass(frozen=True)
class Claimed:
    """The rows of one message that this worker holds."""

    envelope: Envelope
    rows: list[Row[Any]]

    @property
    def ids(self) -> list[int]:
        """The ids of the rows."""
        return [row.id for row in self.rows]


@dataclass
class Batch:
    """Messages claimed together; each is marked started, then done, in turn."""

    claimed_mark: str
    sending_mark: str
    claim_length: timedelta
    messages: list[Claimed] = field(default_factory=list)
    # Whether the first message is marked "sending" for this worker.
    first_started: bool = False

    def held(self, message: Claimed, mark: str) -> ColumnElement[bool]:
        """The rows of a message while this batch holds them with `mark`."""
        return and_(OutboxMessage.id.in_(message.ids), OutboxMessage.last_error == mark)


def _marks(claimer: str, moment: datetime) -> tuple[str, str]:
    token = secrets.token_hex(4)
    when = f"{moment:%Y-%m-%d %H:%M:%S} UTC by {claimer} ({token})"
    return f"{CLAIMED} {when}", f"{SENDING} {when}"


def claim(
    session: Session,
    envelopes: Sequence[Envelope],
    settings: MailSettings,
    claimer: str,
    *,
    now: datetime | None = None,
) -> Batch:
    """Take the waiting rows of these messages for this worker, in one transaction.

    Rows another worker holds are left out, so two workers never take the
    same rows. The first message is marked as being sent in the same commit.
    """
    moment = now or utcnow()
    claimed_mark, sending_mark = _marks(claimer, moment)
    batch = Batch(claimed_mark, sending_mark, timedelta(seconds=settings.claim_seconds))
    if not envelopes:
        return batch

    by_category: dict[Category, list[int]] = defaultdict(list)
    for envelope in envelopes:
        by_category[envelope.category].append(envelope.recipient_id)
    belongs = and_(
        or_(
            *(
                and_(OutboxMessage.recipient_id.in_(recipients), category.condition())
                for category, recipients in by_category.items()
            )
        ),
        OutboxMessage.sent_at.is_(None),
        claimable(moment),
    )
    before: dict[int, str | None] = {
        row_id: error
        for row_id, error in session.execute(
            select(OutboxMessage.id, OutboxMessage.last_error).where(belongs)
        )
    }
    if not before:
        session.rollback()
        return batch

    update_chunks(
        session,
        list(before),
        {
            "last_error": claimed_mark,
            "next_attempt_at": moment + batch.claim_length,
        },
        belongs,
    )
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.recipient_id,
            OutboxMessage.kind,
            OutboxMessage.task_id,
            OutboxMessage.payload,
            OutboxMessage.created_at,
            OutboxMessage.attempts,
        )
        .where(OutboxMessage.last_error == claimed_mark)
        .order_by(OutboxMessage.id)
    ).all()
    grouped: dict[Envelope, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        grouped[Envelope(row.recipient_id, Category.of(row.kind))].append(row)
    batch.messages = [
        Claimed(envelope, grouped[envelope])
        for envelope in envelopes
        if grouped.get(envelope)
    ]
    if batch.messages:
        batch.first_started = _start(session, batch, batch.messages[0], moment)
    session.commit()

    for message in batch.messages:
        cut_off = [
            before[row_id]
            for row_id in message.ids
            if (before.get(row_id) or "").startswith(SENDING)
        ]
        if cut_off:
            logger.warning(
                "Outbox message %s: an earlier delivery was cut off (%s); sending "
                "again, person %s may receive this message twice",
                message.ids[0],
                cut_off[0],
                message.envelope.recipient_id,
            )
    return batch


def _start(session: Session, batch: Batch, message: Claimed, moment: datetime) -> bool:
    """Mark a message as being sent, with a fresh claim; False if it was lost.

    Committed with the step before it. A message whose claim ran out while
    the batch was busy may have been taken by another worker: it is skipped.
    """
    changed = session.execute(
        update(OutboxMessage)
        .where(batch.held(message, batch.claimed_mark))
        .values(
            last_error=batch.sending_mark,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=moment + batch.claim_length,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == len(message.rows):  # type: ignore[attr-defined]
        return True
    logger.warning(
        "Outbox message %s: its claim ran out before sending and another worker "
        "took it; skipped here",
        message.ids[0],
    )
    return False


def _send_batch(
    session: Session,
    settings: MailSettings,
    batch: Batch,
    transport: Transport,
    result: DeliveryResult,
) -> None:
    """Send the batch's messages in turn: one commit per message.

    Each commit marks one message done and the next one started, so a worker
    killed at any point leaves at most one message whose fate is unknown.
    """
    started = batch.first_started
    for index, message in enumerate(batch.messages):
        if started and not _deliver_started(
            session, settings, batch, message, transport, result
        ):
            session.commit()
            return
        following = batch.messages[index + 1 : index + 2]
        started = bool(following) and _start(session, batch, following[0], utcnow())
        session.commit()


def _deliver_started(
    session: Session,
    settings: MailSettings,
    batch: Batch,
    message: Claimed,
    transport: Transport,
    result: DeliveryResult,
) -> bool:
    """Send one started message and record how it went; False: the server is gone."""
    error = _send_one(session, settings, message, transport)
    if error is None:
        _finish(session, batch, message, sent_at=utcnow(), note=None)
        result.sent_messages += 1
        result.sent_rows += len(message.rows)
        return True
    if isinstance(error, str):
        _finish(session, batch, message, sent_at=utcnow(), note=error)
        result.not_sent_rows += len(message.rows)
        return True
    delay = _failed(session, settings, batch, message, error)
    result.failed_messages += 1
    result.errors.append(_describe(error))
    if isinstance(error, CONNECTION_ERRORS):
        _release(session, batch, error, delay)
        return False
    return True


def _send_one(
    session: Session,
    settings: MailSettings,
    message: Claimed,
    transport: Transport,
) -> BaseException | str | None:
    """Compose and send one message: None when sent, a note or an error if not."""
    envelope = message.envelope
    addressee = addressee_of(session, envelope.recipient_id)
    if addressee is None:
        logger.warning("Outbox message %s: not sent, person inactive", message.ids[0])
        return f"{NOT_SENT} the person is inactive."

    composed = compose(
        session, settings.renderer(), envelope.category, addressee, message.rows
    )
    mime = email_message(
        composed,
        sender=settings.mail_from,
        addressee=addressee,
        message_id=message_id_for(message.ids, settings.mail_from),
    )
    try:
        transport.send(mime)
    except (smtplib.SMTPException, OSError) as error:
        return error
    logger.info(
        "Outbox message %s: sent %s to person %s (%s rows)",
        message.ids[0],
        envelope.category.value,
        envelope.recipient_id,
        len(message.rows),
    )
    return None


def _finish(
    session: Session,
    batch: Batch,
    message: Claimed,
    *,
    sent_at: datetime,
    note: str | None,
) -> None:
    """Mark a message's rows done: sent, or deliberately not sent (with a note)."""
    changed = session.execute(
        update(OutboxMessage)
        .where(batch.held(message, batch.sending_mark))
        .values(sent_at=sent_at, last_error=note)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount < len(message.rows):  # type: ignore[attr-defined]
        logger.warning(
            "Outbox message %s: the claim ran out while sending; another worker "
            "may send it again",
            message.ids[0],
        )


def _failed(
    session: Session,
    settings: MailSettings,
    batch: Batch,
    message: Claimed,
    error: BaseException,
) -> timedelta:
    """Let a message's rows go again later, after a delay that doubles each time."""
    attempts = max(row.attempts for row in message.rows) + 1
    delay = settings.backoff(attempts)
    session.execute(
        update(OutboxMessage)
        .where(batch.held(message, batch.sending_mark))
        .values(last_error=_describe(error), next_attempt_at=utcnow() + delay)
        .execution_options(synchronize_session=False)
    )
    logger.warning(
        "Outbox message %s: delivery to person %s failed (attempt %s): %s; "
        "next attempt in %s s",
        message.ids[0],
        message.envelope.recipient_id,
        attempts,
        _describe(error),
        int(delay.total_seconds()),
    )
    return delay


def _release(
    session: Session, batch: Batch, error: BaseException, delay: timedelta
) -> None:
    """The server is gone: let the batch's unsent messages wait as long as it."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.last_error == batch.claimed_mark)
        .values(last_error=_describe(error), next_attempt_at=utcnow() + delay)
        .execution_options(synchronize_session=False)
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]
