"""Applying transitions on a real database: one transaction, guarded by version."""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from workflow.enums import Role, State
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownTriggerError,
)
from workflow.models import AuditRecord, OutboxMessage, Task
from workflow.scope import person_facts, task_in_scope
from workflow.service import apply_transition
from workflow.signoff import Refusal


def facts(session: Session, republic: Republic, name: str):
    return person_facts(session, republic.person(name).id)


def audit_of(session: Session, task_id: int) -> list[AuditRecord]:
    return list(
        session.scalars(
            select(AuditRecord)
            .where(AuditRecord.task_id == task_id)
            .order_by(AuditRecord.id)
        )
    )


def test_task_goes_from_planned_to_approved_with_a_full_audit_trail(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "5", "north-school-1")
    session.commit()
    deputy = facts(session, republic, "deputy_north1")
    uno = facts(session, republic, "uno_north")

    apply_transition(session, deputy, task.id, "start", version=1)
    apply_transition(session, deputy, task.id, "submit", version=2, comment="Сделано")
    done = apply_transition(session, uno, task.id, "approve", version=3)

    assert done.state is State.APPROVED
    assert done.version == 4
    trail = audit_of(session, task.id)
    assert [(r.trigger_name, r.from_state, r.to_state) for r in trail] == [
        ("start", State.PLANNED, State.IN_PROGRESS),
        ("submit", State.IN_PROGRESS, State.SUBMITTED),
        ("approve", State.SUBMITTED, State.APPROVED),
    ]
    assert [r.role_used for r in trail] == [
        Role.DEPUTY_HEAD,
        Role.DEPUTY_HEAD,
        Role.DISTRICT_SPECIALIST,
    ]
    assert trail[1].comment == "Сделано"
    assert trail[2].actor_id == republic.person("uno_north").id


def test_submission_queues_a_message_for_each_approver_in_the_same_transaction(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", state=State.IN_PROGRESS)
    session.commit()

    apply_transition(
        session,
        facts(session, republic, "head_north1"),
        task.id,
        "submit",
        version=1,
        comment="Приказ издан",
    )

    recipients = set(
        session.scalars(
            select(OutboxMessage.recipient_id).where(OutboxMessage.task_id == task.id)
        )
    )
    assert recipients == {
        republic.person("uno_north").id,
        republic.person("uno_north_2").id,
    }
    message = session.scalars(select(OutboxMessage).limit(1)).one()
    assert message.kind == "task_submit"
    assert message.payload["comment"] == "Приказ издан"
    assert message.sent_at is None


def test_sending_back_tells_the_submitter_and_marks_the_task(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", state=State.IN_PROGRESS)
    session.commit()
    head = facts(session, republic, "head_north1")
    apply_transition(session, head, task.id, "submit", version=1, comment="Готово")

    back = apply_transition(
        session,
        facts(session, republic, "uno_north"),
        task.id,
        "send_back",
        version=2,
        comment="Нет подписи",
    )

    assert back.state is State.IN_PROGRESS
    assert back.sent_back is True
    told = session.scalars(
        select(OutboxMessage.recipient_id).where(OutboxMessage.kind == "task_send_back")
    ).all()
    assert republic.person("head_north1").id in told
    resubmitted = apply_transition(
        session, head, task.id, "submit", version=3, comment="Исправлено"
    )
    assert resubmitted.sent_back is False


def test_send_back_without_a_comment_is_refused_and_changes_nothing(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", state=State.SUBMITTED)
    session.commit()

    with pytest.raises(CommentRequiredError):
        apply_transition(
            session,
            facts(session, republic, "uno_north"),
            task.id,
            "send_back",
            version=1,
            comment="   ",
        )

    session.expire_all()
    assert session.get(Task, task.id).state is State.SUBMITTED
    assert audit_of(session, task.id) == []


def test_submitter_cannot_approve_own_submission(
    session: Session, republic: Republic
) -> None:
    # The head of a school who also works as a specialist of its district.
    from workflow.accounts import add_membership

    head = republic.person("head_north1")
    add_membership(session, head, republic.orgs["north"], Role.DISTRICT_SPECIALIST)
    task = add_task(session, republic, "4", "north-school-1", state=State.IN_PROGRESS)
    session.commit()
    both = person_facts(session, head.id)
    apply_transition(session, both, task.id, "submit", version=1, comment="Готово")

    with pytest.raises(PermissionDeniedError) as refused:
        apply_transition(session, both, task.id, "approve", version=2)

    assert refused.value.refusal is Refusal.OWN_SUBMISSION


def test_stale_version_is_a_conflict_and_changes_nothing(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    head = facts(session, republic, "head_north1")
    apply_transition(session, head, task.id, "start", version=1)

    with pytest.raises(ConflictError) as conflict:
        apply_transition(session, head, task.id, "submit", version=1, comment="x")

    assert conflict.value.current_version == 2
    assert len(audit_of(session, task.id)) == 1


def test_unknown_trigger_is_refused(session: Session, republic: Republic) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()

    with pytest.raises(UnknownTriggerError, match="start, submit"):
        apply_transition(
            session,
            facts(session, republic, "head_north1"),
            task.id,
            "finish",
            version=1,
        )


def test_two_approvers_at_once_one_wins_one_gets_a_conflict(
    engine,
    republic: Republic,
    session: Session,
) -> None:
    task = add_task(session, republic, "4", "north-school-1", state=State.SUBMITTED)
    session.commit()
    people = [republic.person("uno_north").id, republic.person("uno_north_2").id]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(person_id: int) -> None:
        with Session(engine) as own:
            person = person_facts(own, person_id)
            barrier.wait()
            try:
                apply_transition(own, person, task.id, "approve", version=1)
                outcomes.append("approved")
            except ConflictError:
                outcomes.append("conflict")

    threads = [threading.Thread(target=approve, args=(pid,)) for pid in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["approved", "conflict"]
    assert len(audit_of(session, task.id)) == 1
    session.expire_all()
    assert session.get(Task, task.id).version == 2


def test_audit_records_cannot_be_changed_or_deleted(
    session: Session, republic: Republic, backend: str, request: pytest.FixtureRequest
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    apply_transition(
        session, facts(session, republic, "head_north1"), task.id, "start", version=1
    )

    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(update(AuditRecord).values(comment="rewritten"))
    session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text("DELETE FROM audit_records"))
    session.rollback()

    if backend == "postgres":
        dsn = request.getfixturevalue("postgres")["app_dsn"]
        with psycopg.connect(dsn) as connection:
            user = connection.execute("SELECT current_user").fetchone()
            assert user == ("plangraph_app",)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("UPDATE audit_records SET comment = 'rewritten'")
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == 1


def test_task_of_another_school_is_not_found(
    session: Session, republic: Republic
) -> None:
    theirs = add_task(session, republic, "4", "north-school-2")
    session.commit()
    head = facts(session, republic, "head_north1")

    with pytest.raises(NotFoundError):
        task_in_scope(session, head, theirs.id)
    with pytest.raises(NotFoundError):
        apply_transition(session, head, theirs.id, "start", version=1)
    assert audit_of(session, theirs.id) == []


def test_district_specialist_sees_only_their_district(
    session: Session, republic: Republic
) -> None:
    north_task = add_task(session, republic, "4", "north-school-2")
    south_task = add_task(session, republic, "4", "south-school-1")
    session.commit()
    uno = facts(session, republic, "uno_north")

    assert task_in_scope(session, uno, north_task.id).id == north_task.id
    with pytest.raises(NotFoundError):
        task_in_scope(session, uno, south_task.id)
