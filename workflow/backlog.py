"""The outbox as the ministry admin sees it: what waits, what failed, previews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.clock import utcnow
from workflow.mail import Category, Composed, Envelope, addressee_of, compose
from workflow.models import OutboxMessage, Person
from workflow.outbox import IN_FLIGHT, NOT_SENT
from workflow.smtp import MailSettings

# A preview reads at most this many rows of one message.
PREVIEW_ROW_LIMIT = 1000


class DeliveryStatus(StrEnum):
    """Where an outbox row stands, as the mail viewer shows it."""

    WAITING = "waiting"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    NOT_SENT = "not_sent"


def status_of(sent_at: datetime | None, last_error: str | None) -> DeliveryStatus:
    """The status of a row from its columns."""
    if sent_at is not None:
        if last_error and last_error.startswith(NOT_SENT):
            return DeliveryStatus.NOT_SENT
        return DeliveryStatus.SENT
    if last_error and last_error.startswith(IN_FLIGHT):
        return DeliveryStatus.SENDING
    if last_error:
        return DeliveryStatus.RETRYING
    return DeliveryStatus.WAITING


def preview(
    session: Session, settings: MailSettings, envelope: Envelope
) -> tuple[Composed, list[int]] | None:
    """The message a recipient's waiting rows would make now, without sending."""
    rows = list(
        session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.task_id,
                OutboxMessage.payload,
                OutboxMessage.created_at,
                OutboxMessage.attempts,
            )
            .where(
                OutboxMessage.recipient_id == envelope.recipient_id,
                envelope.category.condition(),
                OutboxMessage.sent_at.is_(None),
            )
            .order_by(OutboxMessage.id)
            .limit(PREVIEW_ROW_LIMIT)
        )
    )
    addressee = addressee_of(session, envelope.recipient_id)
    if not rows or addressee is None:
        return None
    composed = compose(session, settings.renderer(), envelope.category, addressee, rows)
    return composed, [row.id for row in rows]


@dataclass(frozen=True)
class Backlog:
    """Counts of the outbox for the mail viewer's header."""

    waiting: int
    retrying: int
    oldest_waiting: datetime | None
    sent_last_day: int
    last_error: str | None


def backlog(session: Session, *, now: datetime | None = None) -> Backlog:
    """How much waits, how much is failing, and the latest failure."""
    moment = now or utcnow()
    unsent = OutboxMessage.sent_at.is_(None)
    waiting, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(unsent)
    ).one()
    failing = (
        OutboxMessage.last_error.is_not(None),
        ~OutboxMessage.last_error.startswith(IN_FLIGHT),
    )
    retrying = session.scalar(select(func.count()).where(unsent, *failing)) or 0
    last_error = session.scalar(
        select(OutboxMessage.last_error)
        .where(unsent, *failing)
        .order_by(OutboxMessage.next_attempt_at.desc())
        .limit(1)
    )
    sent = (
        session.scalar(
            select(func.count()).where(
                OutboxMessage.sent_at >= moment - timedelta(days=1)
            )
        )
        or 0
    )
    return Backlog(int(waiting), int(retrying), oldest, int(sent), last_error)


@dataclass(frozen=True)
class WaitingMessage:
    """One message that would go out: a recipient's waiting rows of a category."""

    envelope: Envelope
    name: str
    email: str
    rows: int
    first_created: datetime
    next_attempt: datetime | None
    attempts: int
    last_error: str | None

    @property
    def status(self) -> DeliveryStatus:
        """Waiting, sending or retrying."""
        return status_of(None, self.last_error)


def waiting_messages(session: Session, limit: int = 100) -> list[WaitingMessage]:
    """The messages that wait, the longest waiting first, at most `limit`."""
    rows = session.execute(
        select(
            OutboxMessage.recipient_id,
            OutboxMessage.kind,
            Person.name,
            Person.email,
            func.count(),
            func.min(OutboxMessage.created_at),
            func.min(OutboxMessage.next_attempt_at),
            func.max(OutboxMessage.attempts),
            func.max(OutboxMessage.last_error),
        )
        .join(Person, Person.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.sent_at.is_(None))
        .group_by(
            OutboxMessage.recipient_id, OutboxMessage.kind, Person.name, Person.email
        )
        .order_by(func.min(OutboxMessage.created_at), OutboxMessage.recipient_id)
        .limit(limit * 4)
    ).all()

    found: dict[Envelope, WaitingMessage] = {}
    for recipient_id, kind, name, email, count, first, attempt, tries, error in rows:
        envelope = Envelope(recipient_id, Category.of(kind))
        known = found.get(envelope)
        if known is None:
            if len(found) >= limit:
                continue
            found[envelope] = WaitingMessage(
                envelope, name, email, count, first, attempt, tries, error
            )
            continue
        found[envelope] = WaitingMessage(
            envelope,
            name,
            email,
            known.rows + count,
            min(known.first_created, first),
            _earliest(known.next_attempt, attempt),
            max(known.attempts, tries),
            known.last_error or error,
        )
    return list(found.values())


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return min(first, second)


@dataclass(frozen=True)
class DoneRow:
    """A row that went out, or was deliberately not sent."""

    row_id: int
    name: str
    email: str
    kind: str
    sent_at: datetime | None
    attempts: int
    status: DeliveryStatus


def recent_rows(session: Session, limit: int = 50) -> list[DoneRow]:
    """The rows sent most recently."""
    rows = session.execute(
        select(
            OutboxMessage.id,
            Person.name,
            Person.email,
            OutboxMessage.kind,
            OutboxMessage.sent_at,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
        )
        .join(Person, Person.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.sent_at.is_not(None))
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [
        DoneRow(row_id, name, email, kind, sent_at, attempts, status_of(sent_at, error))
        for row_id, name, email, kind, sent_at, attempts, error in rows
    ]
