"""Comments on a task, and the task's history: transitions and comments in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from workflow.board_models import Comment
from workflow.clock import utcnow
from workflow.deadlines import DeadlineExtension
from workflow.enums import State, TriggerName
from workflow.errors import WorkflowError
from workflow.models import AuditRecord, Person
from workflow.rescheduling import DueDateChange
from workflow.scope import task_in_scope
from workflow.signoff import PersonFacts

logger = logging.getLogger(__name__)

COMMENT_BODY_LIMIT = 4000


class CommentInvalidError(WorkflowError):
    """The comment is empty or too long; the message says which."""


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a task's history: a transition (with its comment) or a comment."""

    at: datetime
    author: str
    comment: str
    trigger: TriggerName | None = None
    from_state: State | None = None
    to_state: State | None = None
    # The absent person the author stood in for, when a substitute acted.
    on_behalf_of: str | None = None
    # For entries that are neither transitions nor comments: "due_changed",
    # "extension_requested", "extension_granted" or "extension_declined".
    event: str | None = None
    old_due: date | None = None
    new_due: date | None = None


def add_comment(
    session: Session,
    person: PersonFacts,
    task_id: int,
    body: str,
    *,
    now: datetime | None = None,
) -> Comment:
    """Add a comment to a task the person can see, and commit."""
    text = body.strip()
    if not text:
        raise CommentInvalidError("The comment is empty; write something first.")
    if len(text) > COMMENT_BODY_LIMIT:
        raise CommentInvalidError(
            f"The comment is longer than {COMMENT_BODY_LIMIT} characters; shorten it."
        )

    task = task_in_scope(session, person, task_id)
    comment = Comment(
        task_id=task.id,
        author_id=person.person_id,
        body=text,
        created_at=now or utcnow(),
    )
    session.add(comment)
    session.commit()
    logger.info(
        "Task %s: comment %s added by person=%s", task.id, comment.id, person.person_id
    )
    return comment


def history_of(session: Session, task_id: int) -> list[HistoryEntry]:
    """The task's transitions, comments, due date changes and extension requests.

    Oldest first, in four queries. The caller has already checked that the
    person may see the task.
    """
    absent = aliased(Person)
    transitions = session.execute(
        select(AuditRecord, Person.name, absent.name)
        .join(Person, Person.id == AuditRecord.actor_id)
        .outerjoin(absent, absent.id == AuditRecord.on_behalf_of_id)
        .where(AuditRecord.task_id == task_id)
    ).all()
    comments = session.execute(
        select(Comment, Person.name)
        .join(Person, Person.id == Comment.author_id)
        .where(Comment.task_id == task_id)
    ).all()

    entries = [
        HistoryEntry(
            at=record.created_at,
            author=name,
            comment=record.comment,
            trigger=TriggerName(record.trigger_name),
            from_state=State(record.from_state),
            to_state=State(record.to_state),
            on_behalf_of=for_whom,
        )
        for record, name, for_whom in transitions
    ]
    entries.extend(
        HistoryEntry(at=comment.created_at, author=name, comment=comment.body)
        for comment, name in comments
    )
    entries.extend(_due_date_entries(session, task_id))
    # A transition and a comment written in the same instant keep that order.
    entries.sort(key=lambda entry: (entry.at, entry.trigger is None))
    return entries


def _due_date_entries(session: Session, task_id: int) -> list[HistoryEntry]:
    """Requests for more time, their decisions, and every moved due date."""
    decider = aliased(Person)
    entries: list[HistoryEntry] = []
    for request, asked_by, decided_by in session.execute(
        select(DeadlineExtension, Person.name, decider.name)
        .join(Person, Person.id == DeadlineExtension.requested_by_id)
        .outerjoin(decider, decider.id == DeadlineExtension.decided_by_id)
        .where(DeadlineExtension.task_id == task_id)
    ):
        entries.append(
            HistoryEntry(
                at=request.requested_at,
                author=asked_by,
                comment=request.reason,
                event="extension_requested",
                old_due=request.old_due,
                new_due=request.new_due,
            )
        )
        if request.decided_at is not None:
            entries.append(
                HistoryEntry(
                    at=request.decided_at,
                    author=decided_by or "",
                    comment=request.decision_comment,
                    event=f"extension_{request.state.value}",
                    old_due=request.old_due,
                    new_due=request.new_due,
                )
            )
    for change, changed_by in session.execute(
        select(DueDateChange, Person.name)
        .outerjoin(Person, Person.id == DueDateChange.changed_by_id)
        .where(DueDateChange.task_id == task_id)
    ):
        entries.append(
            HistoryEntry(
                at=change.changed_at,
                author=changed_by or "",
                comment=change.reason,
                event="due_changed",
                old_due=change.old_due,
                new_due=change.new_due,
            )
        )
    return entries
