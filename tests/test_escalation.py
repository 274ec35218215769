"""The escalation sweep: each level on its working day, once per task, set-based."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.smtp_capture import smtp_server, text_of
from workflow.calendar import load_calendar
from workflow.clock import LOCAL_ZONE
from workflow.delivery import deliver
from workflow.digests import DIGEST_KIND
from workflow.enums import State
from workflow.escalation import SweepSettings, sweep
from workflow.escalation_models import EscalationEvent, EscalationLevel
from workflow.models import OutboxMessage, Task
from workflow.preferences import save_preference
from workflow.smtp import MailSettings
from workflow.thresholds import Thresholds, fires_on, latest_due, set_plan_thresholds

SETTINGS = SweepSettings(thresholds=Thresholds(reminder=2, level1=5, level2=5))

# Wednesday 1 September 2021 is followed by День Республики (Thursday 2nd), a
# day off transferred to Friday 3rd, the weekend, and a working Saturday on
# the 11th.
DUE = date(2021, 9, 1)


def local(year: int, month: int, day: int, hour: int = 9) -> datetime:
    """A moment in the republic's time."""
    return datetime(year, month, day, hour, tzinfo=LOCAL_ZONE)


def levels_of(session: Session, task: Task) -> set[EscalationLevel]:
    """The levels recorded for a task."""
    return {
        EscalationLevel(level)
        for level in session.scalars(
            select(EscalationEvent.level).where(EscalationEvent.task_id == task.id)
        )
    }


def digest_rows(session: Session) -> list[OutboxMessage]:
    """Every digest row, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == DIGEST_KIND)
            .order_by(OutboxMessage.id)
        )
    )


def test_thresholds_count_working_days_across_holiday_and_transferred_day_off() -> None:
    calendar = load_calendar(2021)
    thresholds = SETTINGS.thresholds

    assert fires_on(calendar, DUE, EscalationLevel.REMINDER, thresholds) == date(
        2021, 8, 30
    )
    assert fires_on(calendar, DUE, EscalationLevel.LEVEL_0, thresholds) == date(
        2021, 9, 6
    )
    # Five working days after Monday the 6th end on the working Saturday.
    assert fires_on(calendar, DUE, EscalationLevel.LEVEL_1, thresholds) == date(
        2021, 9, 11
    )
    assert fires_on(calendar, DUE, EscalationLevel.LEVEL_2, thresholds) == date(
        2021, 9, 17
    )


def test_latest_due_is_the_inverse_of_the_threshold() -> None:
    calendar = load_calendar(2021)

    for offset in (-2, 1, 6, 11):
        for day in range(1, 30):
            today = date(2021, 9, day)
            boundary = latest_due(calendar, today, offset)
            assert calendar.add_working_days(boundary, offset) <= today
            following = date.fromordinal(boundary.toordinal() + 1)
            assert calendar.add_working_days(following, offset) > today


def test_each_level_fires_on_its_working_day(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.PLANNED, due=DUE)
    session.commit()
    expected = {
        local(2021, 8, 27): set(),
        local(2021, 8, 30): {EscalationLevel.REMINDER},
        local(2021, 9, 3): {EscalationLevel.REMINDER},
        local(2021, 9, 6): {EscalationLevel.REMINDER, EscalationLevel.LEVEL_0},
        local(2021, 9, 10): {EscalationLevel.REMINDER, EscalationLevel.LEVEL_0},
        local(2021, 9, 11): {
            EscalationLevel.REMINDER,
            EscalationLevel.LEVEL_0,
            EscalationLevel.LEVEL_1,
        },
        local(2021, 9, 16, 23): {
            EscalationLevel.REMINDER,
            EscalationLevel.LEVEL_0,
            EscalationLevel.LEVEL_1,
        },
        local(2021, 9, 17, 0): set(EscalationLevel),
    }

    for moment, levels in expected.items():
        with time_machine.travel(moment, tick=False):
            sweep(session, SETTINGS)
        assert levels_of(session, task) == levels, moment


def test_levels_reach_executors_then_the_district_then_the_ministry(
    session: Session, republic: Republic
) -> None:
    add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS, due=DUE)
    session.commit()
    people = republic.people

    recipients: dict[datetime, set[int]] = {}
    for moment in (local(2021, 9, 6), local(2021, 9, 11), local(2021, 9, 17)):
        before = {row.id for row in digest_rows(session)}
        with time_machine.travel(moment, tick=False):
            sweep(session, SETTINGS)
        recipients[moment] = {
            row.recipient_id for row in digest_rows(session) if row.id not in before
        }

    assert recipients[local(2021, 9, 6)] == {people["head_north1"].id}
    assert recipients[local(2021, 9, 11)] == {
        people["uno_north"].id,
        people["uno_north_2"].id,
    }
    assert recipients[local(2021, 9, 17)] == {
        people["admin"].id,
        people["minspec"].id,
        people["minspec2"].id,
    }


def test_submitted_tasks_stop_chasing_executors_but_not_approvers(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.SUBMITTED, due=DUE)
    session.commit()

    with time_machine.travel(local(2021, 9, 20), tick=False):
        sweep(session, SETTINGS)

    assert levels_of(session, task) == {
        EscalationLevel.LEVEL_1,
        EscalationLevel.LEVEL_2,
    }


def test_approved_tasks_stop_escalating(session: Session, republic: Republic) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.APPROVED, due=DUE)
    session.commit()

    with time_machine.travel(local(2021, 9, 20), tick=False):
        result = sweep(session, SETTINGS)

    assert levels_of(session, task) == set()
    assert result.events == 0
    assert digest_rows(session) == []


def test_a_plan_may_set_its_own_thresholds(
    session: Session, republic: Republic
) -> None:
    assert republic.plan is not None
    task = add_task(session, republic, "4", "north-school-1", State.PLANNED, due=DUE)
    set_plan_thresholds(session, republic.plan.id, level1=1)
    session.commit()

    # One working day after level 0 (Monday the 6th) is Tuesday the 7th.
    with time_machine.travel(local(2021, 9, 7), tick=False):
        sweep(session, SETTINGS)

    assert EscalationLevel.LEVEL_1 in levels_of(session, task)


def test_a_repeated_sweep_records_nothing_new(
    session: Session, republic: Republic
) -> None:
    for school in ("north-school-1", "north-school-2", "south-school-1"):
        add_task(session, republic, "4", school, State.IN_PROGRESS, due=DUE)
        add_task(session, republic, "5", school, State.PLANNED, due=DUE)
    session.commit()

    with time_machine.travel(local(2021, 9, 20), tick=False):
        first = sweep(session, SETTINGS)
        second = sweep(session, SETTINGS)

    assert first.events == 18
    assert second.events == 0
    assert second.digests == 0
    assert len(digest_rows(session)) == first.digests


def test_a_task_that_missed_the_watermark_is_still_found_after_its_due_moves(
    session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.PLANNED, due=DUE)
    session.commit()
    with time_machine.travel(local(2021, 9, 6), tick=False):
        sweep(session, SETTINGS)
    assert EscalationLevel.LEVEL_0 in levels_of(session, task)

    later = add_task(
        session, republic, "4", "north-school-2", State.PLANNED, due=date(2021, 9, 8)
    )
    session.commit()
    with time_machine.travel(local(2021, 9, 9), tick=False):
        result = sweep(session, SETTINGS)

    assert result.recorded[EscalationLevel.LEVEL_0] == 1
    assert levels_of(session, later) == {EscalationLevel.LEVEL_0}


def _sweep_in_thread(
    engine: Engine, barrier: threading.Barrier, errors: list[BaseException]
) -> None:
    try:
        with Session(engine) as own_session:
            barrier.wait(timeout=30)
            sweep(own_session, SweepSettings(batch_size=7), now=datetime(2021, 9, 20))
    except BaseException as error:  # noqa: B036 - reported to the test thread
        errors.append(error)


def test_two_sweeps_at_once_record_each_level_once(
    engine: Engine, session: Session, republic: Republic
) -> None:
    schools = ("north-school-1", "north-school-2", "south-school-1")
    for number, school in enumerate(schools):
        for item in ("4", "5", "6"):
            add_task(session, republic, item, school, State.IN_PROGRESS, due=DUE)
        add_task(
            session,
            republic,
            "4",
            school,
            State.PLANNED,
            due=date(2021, 8, 20 + number),
        )
    session.commit()

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_sweep_in_thread, args=(engine, barrier, errors))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []

    events = session.execute(select(EscalationEvent.task_id, EscalationEvent.level))
    counts = Counter(events.all())
    assert len(counts) == 12 * 3
    assert set(counts.values()) == {1}

    # Every recipient hears of each of their tasks once, and in one message.
    seen: Counter[tuple[int, int, str]] = Counter()
    for row in digest_rows(session):
        for group in row.payload["groups"]:
            for task_id, _due, _period in group["tasks"]:
                seen[(row.recipient_id, task_id, group["level"])] += 1
    assert set(seen.values()) == {1}

    with smtp_server() as (capture, port):
        settings = MailSettings(smtp_host="127.0.0.1", smtp_port=port, secret_key="k")
        deliver(session, settings, now=datetime(2021, 9, 20, 1))
        per_address = Counter(str(message["To"]) for message in capture.received())
    recipients = {row.recipient_id for row in digest_rows(session)}
    assert len(per_address) == len(recipients)
    assert set(per_address.values()) == {1}


def test_each_recipient_gets_one_digest_with_exactly_their_overdue_tasks(
    session: Session, republic: Republic
) -> None:
    late = [
        add_task(session, republic, "4", school, State.IN_PROGRESS, due=DUE)
        for school in ("north-school-1", "north-school-2", "south-school-1")
    ]
    # Neither of these is late for anyone: one is approved, one not yet due.
    add_task(session, republic, "5", "north-school-1", State.APPROVED, due=DUE)
    add_task(
        session, republic, "6", "north-school-1", State.PLANNED, due=date(2021, 12, 1)
    )
    session.commit()
    people = republic.people

    with time_machine.travel(local(2021, 9, 11), tick=False):
        sweep(session, SETTINGS)
        with smtp_server() as (capture, port):
            settings = MailSettings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                secret_key="k",
                base_url="https://plangraph.example",
            )
            result = deliver(session, settings)
            received = capture.received()

    assert result.failed_messages == 0
    addresses = Counter(str(message["To"]) for message in received)
    assert set(addresses.values()) == {1}

    north = capture.to(people["uno_north"].email)[0]
    body = text_of(north)
    assert north["Subject"] == "Просрочены 2 задачи в 2 организациях"
    assert "СОШ № 1 (north)" in body and "СОШ № 2 (north)" in body
    assert "(south)" not in body
    assert f"school={late[0].org_id}" in body
    assert f"period={late[0].period_label}" in body
    assert "overdue=1" in body
    assert "https://plangraph.example/mail/preferences/" in body

    head = capture.to(people["head_north1"].email)[0]
    assert head["Subject"] == "Просрочена 1 задача в 1 организации"
    assert "Мероприятие 5" not in text_of(head)
    assert "Мероприятие 6" not in text_of(head)
    assert north["List-Unsubscribe"].startswith("<https://plangraph.example/mail/")


def test_digest_rows_wait_for_their_sweep_and_are_released_at_its_end(
    session: Session, republic: Republic
) -> None:
    for school in ("north-school-1", "north-school-2", "south-school-1"):
        add_task(session, republic, "4", school, State.IN_PROGRESS, due=DUE)
    session.commit()

    moment = datetime(2021, 9, 20, 6)
    result = sweep(session, SweepSettings(batch_size=2), now=moment)

    assert result.events == 9
    rows = digest_rows(session)
    assert rows and all(row.next_attempt_at == moment for row in rows)
    waiting = session.scalar(
        select(func.count()).where(OutboxMessage.next_attempt_at > moment)
    )
    assert waiting == 0


@pytest.mark.parametrize("level_days", [0, 3])
def test_reminders_go_only_to_what_is_still_ahead(
    session: Session, republic: Republic, level_days: int
) -> None:
    settings = SweepSettings(thresholds=Thresholds(reminder=level_days))
    ahead = add_task(
        session, republic, "4", "north-school-1", State.PLANNED, due=date(2021, 9, 23)
    )
    behind = add_task(
        session, republic, "4", "north-school-2", State.PLANNED, due=date(2021, 9, 17)
    )
    session.commit()

    with time_machine.travel(local(2021, 9, 23 - level_days), tick=False):
        sweep(session, settings)

    assert EscalationLevel.REMINDER in levels_of(session, ahead)
    assert EscalationLevel.REMINDER not in levels_of(session, behind)


def test_unsubscribed_people_get_no_reminders_but_still_hear_they_are_late(
    session: Session, republic: Republic
) -> None:
    head = republic.person("head_north1")
    save_preference(session, head.id, unsubscribed=True, daily_digest=False)
    ahead = add_task(
        session, republic, "4", "north-school-1", State.PLANNED, due=date(2021, 9, 23)
    )
    add_task(session, republic, "5", "north-school-1", State.PLANNED, due=DUE)
    session.commit()

    with time_machine.travel(local(2021, 9, 21), tick=False):
        sweep(session, SETTINGS)

    assert EscalationLevel.REMINDER in levels_of(session, ahead)
    [row] = [row for row in digest_rows(session) if row.recipient_id == head.id]
    assert {group["level"] for group in row.payload["groups"]} == {"0"}


def test_a_daily_digest_waits_for_the_morning(
    session: Session, republic: Republic
) -> None:
    head = republic.person("head_north1")
    save_preference(session, head.id, unsubscribed=False, daily_digest=True)
    add_task(session, republic, "4", "north-school-1", State.PLANNED, due=DUE)
    session.commit()

    # 10:00 on Monday in Chisinau (07:00 UTC); the digest hour is 08:00.
    sweep(session, SETTINGS, now=datetime(2021, 9, 6, 7, 0))

    [row] = [row for row in digest_rows(session) if row.recipient_id == head.id]
    assert row.next_attempt_at == datetime(2021, 9, 7, 5, 0)
