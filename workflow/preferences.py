"""Per-person mail preferences: unsubscribe from non-essential mail, daily digest."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflow.clock import utcnow
from workflow.escalation_models import MailPreference

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preference:
    """What mail a person wants; the default is everything, at once."""

    unsubscribed: bool = False
    daily_digest: bool = False


def preference_of(session: Session, person_id: int) -> Preference:
    """A person's preferences (the defaults when they never chose)."""
    row = session.get(MailPreference, person_id)
    if row is None:
        return Preference()
    return Preference(row.unsubscribed, row.daily_digest)


def save_preference(
    session: Session,
    person_id: int,
    *,
    unsubscribed: bool,
    daily_digest: bool,
    changed_by: str = "link",
) -> None:
    """Store a person's choice; it applies to messages written from now on."""
    row = session.get(MailPreference, person_id) or MailPreference(person_id=person_id)
    row.unsubscribed = unsubscribed
    row.daily_digest = daily_digest
    row.changed_by = changed_by
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    logger.info(
        "Person %s: mail preferences unsubscribed=%s daily_digest=%s (by %s)",
        person_id,
        unsubscribed,
        daily_digest,
        changed_by,
    )
