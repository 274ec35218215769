"""A personal iCalendar feed of due dates, at a secret URL that can be revoked.

The feed lists the tasks that wait for the person (to start, submit or
approve: the board's "needs my action"), each as an all-day event on its due
date. The URL carries a random token; only its SHA-256 is stored, so the URL
is shown once, when it is made. Making a new one revokes the old one.

The text is written by hand after RFC 5545: CRLF line endings, lines folded
at 75 octets without splitting a UTF-8 character, and TEXT values escaped.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.board_filters import BoardFilters, conditions
from workflow.clock import utcnow
from workflow.enums import State
from workflow.feed_models import CalendarFeed
from workflow.models import Item, Person, Task
from workflow.scope import scoped_tasks
from workflow.signoff import PersonFacts

logger = logging.getLogger(__name__)

# Known limitation: a feed lists at most this many tasks, the soonest due.
FEED_LIMIT = 1000
LINE_OCTETS = 75


@dataclass(frozen=True)
class FeedEvent:
    """One all-day event: a task's due date."""

    uid: str
    day: date
    summary: str
    description: str
    url: str


def issue_feed(session: Session, person_id: int) -> str:
    """Make a new secret token for the person's feed, revoking any earlier one."""
    revoke_feeds(session, person_id)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(person_id=person_id, token_hash=_token_hash(token)))
    logger.info("Person %s: calendar feed issued", person_id)
    return token


def revoke_feeds(session: Session, person_id: int) -> int:
    """Revoke every live feed of the person; return how many there were."""
    result = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.person_id == person_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    count: int = getattr(result, "rowcount", 0) or 0
    if count:
        logger.info("Person %s: calendar feeds revoked count=%s", person_id, count)
    return count


def has_feed(session: Session, person_id: int) -> bool:
    """Whether the person has a live feed."""
    found = session.scalar(
        select(CalendarFeed.id).where(
            CalendarFeed.person_id == person_id, CalendarFeed.revoked_at.is_(None)
        )
    )
    return found is not None


def person_for_feed(session: Session, token: str) -> Person | None:
    """The active owner of a live feed token, or None (unknown, revoked, inactive)."""
    found = session.execute(
        select(CalendarFeed, Person)
        .join(Person, Person.id == CalendarFeed.person_id)
        .where(
            CalendarFeed.token_hash == _token_hash(token),
            CalendarFeed.revoked_at.is_(None),
        )
    ).first()
    if found is None:
        return None
    feed, person = found
    if not person.active:
        return None
    feed.last_used_at = utcnow()
    return person


def feed_events(
    session: Session, person: PersonFacts, today: date, task_url: str
) -> list[FeedEvent]:
    """The due dates of the tasks that wait for the person, soonest first.

    `task_url` is a pattern with `{id}` for the task page's address.
    """
    filters = BoardFilters(mine=True)
    query = (
        scoped_tasks(person)
        .where(
            *conditions(session, person, filters, today),
            Task.due.is_not(None),
            Task.state != State.APPROVED,
        )
        .order_by(Task.due, Task.id)
        .limit(FEED_LIMIT)
    )
    events: list[FeedEvent] = []
    for task in session.scalars(query):
        item: Item = task.item
        assert task.due is not None
        events.append(
            FeedEvent(
                uid=f"task-{task.id}@plangraph",
                day=task.due,
                summary=f"{item.number} {item.title}",
                description=f"{task.organisation.short_name}, {task.period_label}",
                url=task_url.format(id=task.id),
            )
        )
    return events


def calendar_text(events: Iterable[FeedEvent], name: str, stamp: datetime) -> str:
    """The events as one VCALENDAR, CRLF-terminated and folded."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Plangraph//Due dates//RU",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    stamp_text = stamp.strftime("%Y%m%dT%H%M%SZ")
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{event.day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{date.fromordinal(event.day.toordinal() + 1):%Y%m%d}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"DESCRIPTION:{escape_text(event.description)}",
            f"URL:{event.url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for character in line:
        width = len(character.encode())
        if size + width > limit:
            pieces.append(current)
            # A continuation line starts with a space, which counts as one octet.
            current, size, limit = "", 0, LINE_OCTETS - 1
        current += character
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
