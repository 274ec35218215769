"""Delivering the outbox: one message per recipient, claims, retries, commands."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.smtp_capture import free_port, smtp_server, text_of
from workflow.clock import utcnow
from workflow.delivery import DeliveryResult, _send_batch, claim, deliver
from workflow.enums import State
from workflow.escalation_models import MailPreference
from workflow.models import OutboxMessage, Person, Task
from workflow.outbox import SENDING, due_envelopes, purge_sent, schedule_new
from workflow.preferences import save_preference
from workflow.scope import person_facts
from workflow.service import apply_transition
from workflow.smtp import MailSettings, SmtpTransport

START = datetime(2021, 9, 6, 7, 0)
WINDOW = 300


def settings_for(port: int, **changes: object) -> MailSettings:
    """Mail settings that send to a loopback server."""
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "secret_key": "test-secret",
        "notice_window_seconds": WINDOW,
        "retry_seconds": 60,
        "claim_seconds": 120,
    }
    values.update(changes)
    return MailSettings(**values)  # type: ignore[arg-type]


def act(
    session: Session, person: Person, task: Task, trigger: str, comment: str = ""
) -> None:
    """Fire a trigger on a task as a person, at the current (frozen) time."""
    fresh = session.get(Task, task.id, populate_existing=True)
    assert fresh is not None
    apply_transition(
        session,
        person_facts(session, person.id),
        task.id,
        trigger,
        version=fresh.version,
        comment=comment,
    )


def submitted(session: Session, republic: Republic, school: str, head: str) -> Task:
    """A task of a school, started and submitted by its head."""
    task = add_task(
        session, republic, "4", school, State.PLANNED, due=date(2021, 9, 15)
    )
    session.commit()
    act(session, republic.person(head), task, "start")
    act(session, republic.person(head), task, "submit", "Сделано.")
    return task


def unsent(session: Session) -> list[OutboxMessage]:
    """The rows not sent yet."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def test_notices_coalesce_per_recipient_within_the_window(
    session: Session, republic: Republic
) -> None:
    with time_machine.travel(START, tick=False):
        submitted(session, republic, "north-school-1", "head_north1")
    with time_machine.travel(START + timedelta(seconds=60), tick=False):
        submitted(session, republic, "north-school-2", "head_north2")

    with smtp_server() as (capture, port):
        settings = settings_for(port)
        with time_machine.travel(START + timedelta(seconds=120), tick=False):
            early = deliver(session, settings)
        with time_machine.travel(START + timedelta(seconds=WINDOW + 1), tick=False):
            due = deliver(session, settings)
            again = deliver(session, settings)

    assert early.sent_messages == 0
    assert due.sent_messages == 2
    assert again.sent_messages == 0
    approver = capture.to(republic.person("uno_north").email)
    assert len(approver) == 1
    body = text_of(approver[0])
    assert "СОШ № 1 (north)" in body and "СОШ № 2 (north)" in body
    assert body.count("Задача отправлена на согласование") == 2
    assert approver[0]["Subject"] == "2 изменения по задачам"
    assert unsent(session) == []


def test_sent_back_goes_out_at_once(session: Session, republic: Republic) -> None:
    with time_machine.travel(START, tick=False):
        task = submitted(session, republic, "north-school-1", "head_north1")
        act(session, republic.person("uno_north"), task, "send_back", "Нет приказа.")

        with smtp_server() as (capture, port):
            result = deliver(session, settings_for(port))

    assert result.sent_messages == 1
    [message] = capture.received()
    assert republic.person("head_north1").email in str(message["To"])
    assert message["Subject"].startswith("Задача возвращена на доработку: п. 4")
    assert "Причина: Нет приказа." in text_of(message)
    # The approvers' "submitted" notices still wait for their window.
    assert [row.kind for row in unsent(session)] == ["task_submit", "task_submit"]


def test_smtp_refusing_keeps_rows_and_retries_with_backoff(
    session: Session, republic: Republic
) -> None:
    with time_machine.travel(START, tick=False):
        task = submitted(session, republic, "north-school-1", "head_north1")
        act(session, republic.person("uno_north"), task, "send_back", "Нет приказа.")

    with smtp_server() as (capture, port):
        settings = settings_for(port)
        capture.refusal = "451 4.3.0 Try again later"
        with time_machine.travel(START + timedelta(seconds=1), tick=False):
            refused = deliver(session, settings)
            [row] = [row for row in unsent(session) if row.kind == "task_send_back"]
            assert row.attempts == 1
            assert row.last_error is not None and "451" in row.last_error
            assert row.next_attempt_at == utcnow() + timedelta(seconds=60)
            too_soon = deliver(session, settings)

        capture.refusal = None
        with time_machine.travel(START + timedelta(seconds=62), tick=False):
            retried = deliver(session, settings)

    assert refused.failed_messages == 1
    assert too_soon.sent_messages == too_soon.failed_messages == 0
    assert retried.sent_messages == 1
    assert len(capture.received()) == 1
    sent = session.get(OutboxMessage, row.id, populate_existing=True)
    assert sent is not None and sent.sent_at is not None and sent.attempts == 2


def test_smtp_down_stops_the_run_and_loses_nothing(
    session: Session, republic: Republic
) -> None:
    with time_machine.travel(START, tick=False):
        for school, head in (
            ("north-school-1", "head_north1"),
            ("south-school-1", "head_south1"),
        ):
            task = submitted(session, republic, school, head)
            act(
                session, republic.person(f"uno_{school.split('-')[0]}"), task, "approve"
            )

    with time_machine.travel(START + timedelta(seconds=WINDOW + 1), tick=False):
        result = deliver(session, settings_for(free_port()))
        rows = unsent(session)
        waiting = due_envelopes(session, utcnow(), 100)
        later = all(
            row.next_attempt_at and row.next_attempt_at > utcnow() for row in rows
        )

    assert result.failed_messages == 1
    assert result.sent_messages == 0
    assert len(rows) == 6
    assert all(row.last_error and "Connection" in row.last_error for row in rows)
    assert later
    assert waiting == []


def test_two_workers_never_claim_the_same_rows(
    engine: object, session: Session, republic: Republic
) -> None:
    with time_machine.travel(START, tick=False):
        submitted(session, republic, "north-school-1", "head_north1")

    settings = settings_for(free_port(), notice_window_seconds=0)
    moment = START + timedelta(seconds=1)
    schedule_new(session, settings, moment)
    envelopes = due_envelopes(session, moment, 10)
    with Session(session.get_bind()) as other:
        first = claim(session, envelopes, settings, "worker-a", now=moment)
        second = claim(other, envelopes, settings, "worker-b", now=moment)

    assert len(first.messages) == 2
    assert second.messages == []


def test_a_delivery_cut_off_mid_send_goes_again_once_and_is_logged(
    session: Session, republic: Republic, caplog: pytest.LogCaptureFixture
) -> None:
    with time_machine.travel(START, tick=False):
        submitted(session, republic, "north-school-1", "head_north1")
    settings = settings_for(free_port(), notice_window_seconds=0, claim_seconds=60)
    moment = START + timedelta(seconds=1)

    # A worker claims both messages, starts sending the first, and is killed.
    schedule_new(session, settings, moment)
    envelopes = due_envelopes(session, moment, 10)
    batch = claim(session, envelopes, settings, "w", now=moment)
    started = [
        row for row in unsent(session) if (row.last_error or "").startswith(SENDING)
    ]
    assert len(batch.messages) == 2 and len(started) == 1

    caplog.set_level(logging.WARNING, logger="workflow.delivery")
    with smtp_server() as (capture, port):
        with time_machine.travel(moment + timedelta(seconds=30), tick=False):
            held = deliver(session, settings_for(port, notice_window_seconds=0))
        with time_machine.travel(moment + timedelta(seconds=61), tick=False):
            resent = deliver(session, settings_for(port, notice_window_seconds=0))

    assert held.sent_messages == 0
    assert resent.sent_messages == 2
    assert len(capture.received()) == 2
    warnings = [r.getMessage() for r in caplog.records if "twice" in r.getMessage()]
    assert len(warnings) == 1
    assert f"Outbox message {started[0].id}:" in warnings[0]
    assert unsent(session) == []


def test_without_smtp_messages_wait_in_the_outbox(
    session: Session, republic: Republic
) -> None:
    with time_machine.travel(START, tick=False):
        submitted(session, republic, "north-school-1", "head_north1")
        result = deliver(session, MailSettings(secret_key="k"), force=True)

    assert not result.configured
    assert result.waiting == 2
    assert "SMTP is not configured" in result.line()
    assert all(row.attempts == 0 for row in unsent(session))


def test_unsubscribed_people_get_no_notices_but_still_hear_of_sent_back(
    session: Session, republic: Republic
) -> None:
    head = republic.person("head_north1")
    approver = republic.person("uno_north")
    save_preference(session, approver.id, unsubscribed=True, daily_digest=False)
    save_preference(session, head.id, unsubscribed=True, daily_digest=False)
    session.commit()

    with time_machine.travel(START, tick=False):
        task = submitted(session, republic, "north-school-1", "head_north1")
        act(session, approver, task, "send_back", "Нет приказа.")
    with smtp_server() as (capture, port):
        with time_machine.travel(START + timedelta(seconds=WINDOW + 1), tick=False):
            deliver(session, settings_for(port))

    addresses = sorted(str(message["To"]) for message in capture.received())
    assert len(addresses) == 2
    assert not any(approver.email in address for address in addresses)
    assert any(head.email in address for address in addresses)
    skipped = session.scalar(
        select(func.count()).where(
            OutboxMessage.recipient_id == approver.id,
            OutboxMessage.last_error.startswith("Not sent:"),
        )
    )
    assert skipped == 1


def test_daily_digest_people_get_their_notices_at_the_daily_hour(
    session: Session, republic: Republic
) -> None:
    approver = republic.person("uno_north")
    save_preference(session, approver.id, unsubscribed=False, daily_digest=True)
    session.commit()
    # 10:00 in Chisinau; the daily digest goes at 08:00 the next morning.
    with time_machine.travel(datetime(2021, 9, 6, 7, 0), tick=False):
        submitted(session, republic, "north-school-1", "head_north1")

    with smtp_server() as (capture, port):
        settings = settings_for(port, daily_digest_hour=8)
        with time_machine.travel(datetime(2021, 9, 7, 4, 59), tick=False):
            deliver(session, settings)
            evening = [str(m["To"]) for m in capture.received()]
        with time_machine.travel(datetime(2021, 9, 7, 5, 0), tick=False):
            deliver(session, settings)
            morning = [str(m["To"]) for m in capture.received()]

    assert not any(approver.email in address for address in evening)
    assert any(approver.email in address for address in morning)


def test_outbox_send_command_delivers_everything_waiting_now(
    app: Flask, session: Session, republic: Republic
) -> None:
    with time_machine.travel(START, tick=False):
        submitted(session, republic, "north-school-1", "head_north1")
    runner = app.test_cli_runner()

    without = runner.invoke(args=["outbox", "send"])
    with smtp_server() as (capture, port):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        sent = runner.invoke(args=["outbox", "send"])
    status = runner.invoke(args=["outbox", "status"])

    assert without.exit_code == 0, without.output
    assert "SMTP is not configured" in without.output
    assert sent.exit_code == 0, sent.output
    assert "Sent 2 messages" in sent.output
    assert len(capture.received()) == 2
    assert "Waiting: 0 rows" in status.output


def test_escalate_command_prints_what_it_recorded(
    app: Flask, session: Session, republic: Republic
) -> None:
    add_task(
        session, republic, "4", "north-school-1", State.PLANNED, due=date(2021, 9, 1)
    )
    session.commit()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["escalate", "--now", "2021-09-06T09:00"])
    second = runner.invoke(args=["escalate", "--now", "2021-09-06T09:00"])
    wrong = runner.invoke(args=["escalate", "--now", "yesterday"])

    assert first.exit_code == 0, first.output
    assert "level 0 1" in first.output
    assert "recorded 1 escalation events" in first.output
    assert "recorded 0 escalation events" in second.output
    assert wrong.exit_code == 2
    assert "ISO date-time" in wrong.output


def test_sent_rows_are_purged_after_the_keeping_period(
    session: Session, republic: Republic
) -> None:
    with time_machine.travel(START, tick=False):
        submitted(session, republic, "north-school-1", "head_north1")
        with smtp_server() as (_capture, port):
            deliver(session, settings_for(port), force=True)

    kept = purge_sent(session, 90, now=START + timedelta(days=89))
    removed = purge_sent(session, 90, now=START + timedelta(days=91))

    assert (kept, removed) == (0, 2)
    assert session.scalar(select(func.count()).select_from(MailPreference)) == 0


def test_a_worker_whose_claim_ran_out_skips_what_another_worker_took(
    session: Session, republic: Republic, caplog: pytest.LogCaptureFixture
) -> None:
    with time_machine.travel(START, tick=False):
        submitted(session, republic, "north-school-1", "head_north1")
    moment = START + timedelta(seconds=1)

    with smtp_server() as (capture, port):
        settings = settings_for(port, notice_window_seconds=0, claim_seconds=60)
        schedule_new(session, settings, moment)
        slow = claim(
            session, due_envelopes(session, moment, 10), settings, "slow", now=moment
        )
        with time_machine.travel(moment + timedelta(seconds=61), tick=False):
            with Session(session.get_bind()) as other:
                deliver(other, settings)
            caplog.set_level(logging.WARNING, logger="workflow.delivery")
            transport = SmtpTransport(settings)
            try:
                _send_batch(session, settings, slow, transport, DeliveryResult())
            finally:
                transport.close()

    # The other worker sent both; the slow one sent only the message it had
    # already started (the one duplicate a lapsed claim can cause).
    assert len(capture.received()) == 3
    messages = [record.getMessage() for record in caplog.records]
    assert any("another worker took it; skipped" in text for text in messages)
    assert unsent(session) == []
