"""The outbox: when each waiting message may go, and what is due now.

Rows of one recipient go out together as one message: every waiting digest
row as one digest, every waiting approval notice as one notice. A new notice
waits a short window so that others can join it; "sent back to you" does not
wait. A person who chose the daily digest gets theirs at the daily hour, and
one who unsubscribed from non-essential mail gets no approval notices.
Sending is `workflow.delivery`'s.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from workflow.clock import utcnow
from workflow.digests import next_daily_slot, preferences_of
from workflow.mail import Category, Envelope
from workflow.models import OutboxMessage
from workflow.smtp import MailSettings

logger = logging.getLogger(__name__)

# `last_error` of rows a worker holds (claimed, then being sent), and of rows
# that were deliberately not sent.
IN_FLIGHT = "In flight:"
CLAIMED = f"{IN_FLIGHT} claimed"
SENDING = f"{IN_FLIGHT} sending"
NOT_SENT = "Not sent:"

# Approval notices a person may unsubscribe from; "sent back" always goes.
NON_ESSENTIAL_KINDS = frozenset({"task_submit", "task_approve", "task_reopen"})
URGENT_KINDS = frozenset({"task_send_back"})

SCHEDULE_BATCH = 5000


def schedule_new(session: Session, settings: MailSettings, now: datetime) -> int:
    """Give new rows their time to go, and set aside what a person opted out of."""
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.recipient_id,
            OutboxMessage.kind,
            OutboxMessage.created_at,
        )
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(SCHEDULE_BATCH)
    ).all()
    if not rows:
        return 0

    preferences = preferences_of(session, (row.recipient_id for row in rows))
    window = timedelta(seconds=settings.notice_window_seconds)
    times: dict[datetime, list[int]] = defaultdict(list)
    opted_out: list[int] = []
    for row_id, recipient_id, kind, created_at in rows:
        preference = preferences.get(recipient_id)
        if kind in NON_ESSENTIAL_KINDS and preference and preference.unsubscribed:
            opted_out.append(row_id)
        elif kind in URGENT_KINDS:
            times[created_at].append(row_id)
        elif preference is not None and preference.daily_digest:
            times[next_daily_slot(created_at, settings.daily_digest_hour)].append(
                row_id
            )
        else:
            times[created_at + window].append(row_id)

    for moment, ids in times.items():
        update_chunks(
            session,
            ids,
            {"next_attempt_at": moment},
            OutboxMessage.next_attempt_at.is_(None),
        )
    update_chunks(
        session,
        opted_out,
        {
            "sent_at": now,
            "last_error": f"{NOT_SENT} the person unsubscribed from such mail.",
        },
        OutboxMessage.sent_at.is_(None),
    )
    session.commit()
    if opted_out:
        logger.info(
            "Outbox: %s notices not sent (recipients unsubscribed)", len(opted_out)
        )
    return len(rows)


def update_chunks(
    session: Session,
    ids: Sequence[int],
    values: dict[str, Any],
    *conditions: ColumnElement[bool],
) -> None:
    """UPDATE rows by id, 500 ids at a time, where the conditions still hold."""
    for first in range(0, len(ids), 500):
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids[first : first + 500]), *conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def claimable(now: datetime) -> ColumnElement[bool]:
    """Rows nobody holds: never claimed, failed earlier, or their claim ran out."""
    return or_(
        OutboxMessage.last_error.is_(None),
        ~OutboxMessage.last_error.startswith(IN_FLIGHT),
        OutboxMessage.next_attempt_at <= now,
    )


def due_envelopes(
    session: Session, now: datetime, limit: int, *, force: bool = False
) -> list[Envelope]:
    """The recipients with rows due now, the longest waiting first."""
    query = (
        select(
            OutboxMessage.recipient_id,
            OutboxMessage.kind,
            func.min(OutboxMessage.next_attempt_at),
        )
        .where(OutboxMessage.sent_at.is_(None), claimable(now))
        .group_by(OutboxMessage.recipient_id, OutboxMessage.kind)
        .order_by(func.min(OutboxMessage.next_attempt_at), OutboxMessage.recipient_id)
        .limit(limit * 4)
    )
    if not force:
        query = query.where(OutboxMessage.next_attempt_at <= now)

    found: dict[Envelope, None] = {}
    for recipient_id, kind, _first in session.execute(query):
        found.setdefault(Envelope(recipient_id, Category.of(kind)))
        if len(found) >= limit:
            break
    return list(found)


def waiting_count(session: Session) -> int:
    """How many rows are not sent yet."""
    return (
        session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) or 0
    )


def purge_sent(session: Session, keep_days: int, *, now: datetime | None = None) -> int:
    """Delete rows sent more than `keep_days` ago; the audit trail keeps the history."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    removed = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    count = int(removed.rowcount)  # type: ignore[attr-defined]
    if count:
        logger.info("Outbox: purged %s rows sent before %s", count, cutoff.date())
    return count
