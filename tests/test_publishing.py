"""Publishing: the seed plan fanned out over the test republic, and rolling over."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import Republic
from workflow.calendar import load_calendar
from workflow.calendar_store import calendar_for_plan
from workflow.enums import Level
from workflow.models import Item, Organisation, Plan, PlanStatus, Task
from workflow.plan_review import import_plan
from workflow.publishing import UnplacedReason, publish, roll_over_plan

SEED = Path(__file__).resolve().parents[1] / "data" / "plans"
SEED_TXT = SEED / "mp-pmr-2021-289-eljur.txt"


def import_seed(session: Session, republic: Republic) -> Plan:
    """The seed plan stored as a draft; the test republic's agency is ГУП «ЦИТ»."""
    republic.orgs["cit"].code = "cit"
    plan = import_plan(session, SEED_TXT.read_bytes(), SEED_TXT.name)
    session.commit()
    return plan


def publish_now(session: Session, plan: Plan) -> tuple[int, int]:
    """Publish with the stored calendar; (created, existing)."""
    result = publish(session, plan, calendar_for_plan(session, plan, store=True))
    session.commit()
    return result.created, result.existing


def tasks_per_item(session: Session, plan: Plan) -> Counter[str]:
    """How many tasks each item of a plan has, by item number."""
    rows = session.execute(
        select(Item.number, func.count(Task.id))
        .join(Task, Task.item_id == Item.id)
        .where(Item.plan_id == plan.id)
        .group_by(Item.number)
    ).all()
    return Counter({number: count for number, count in rows})


def organisations_of(session: Session, plan: Plan, number: str) -> set[str]:
    """The codes of the organisations that have tasks of one item."""
    return set(
        session.scalars(
            select(Organisation.code)
            .join(Task, Task.org_id == Organisation.id)
            .join(Item, Item.id == Task.item_id)
            .where(Item.plan_id == plan.id, Item.number == number)
        )
    )


def test_seed_plan_fans_out_over_the_republic_item_by_item(
    session: Session, republic: Republic
) -> None:
    plan = import_seed(session, republic)
    schools = sum(1 for org in republic.orgs.values() if org.level is Level.SCHOOL)
    weeks = len(load_calendar(2021).school_weeks(date(2021, 9, 1), date(2022, 8, 31)))

    created, existing = publish_now(session, plan)

    counts = tasks_per_item(session, plan)
    assert schools == 4 and weeks == 36
    assert counts["8"] == weeks * schools
    assert counts["10"] == counts["11"] == 4 * schools
    assert counts["12"] == counts["5"] == counts["6.1"] == schools
    assert counts["4"] == 2  # one per district (УНО)
    assert counts["1"] == counts["2"] == counts["13"] == 1
    assert organisations_of(session, plan, "3") == {"cit"}
    assert organisations_of(session, plan, "13") == {republic.orgs["ministry"].code}
    assert (created, existing) == (sum(counts.values()), 0)
    assert plan.status is PlanStatus.PUBLISHED


def test_quarterly_items_are_due_at_and_after_each_quarter_end(
    session: Session, republic: Republic
) -> None:
    plan = import_seed(session, republic)
    publish_now(session, plan)

    dues = {
        number: sorted(
            set(
                session.scalars(
                    select(Task.due)
                    .join(Item, Item.id == Task.item_id)
                    .where(Item.plan_id == plan.id, Item.number == number)
                )
            )
        )
        for number in ("10", "11")
    }

    # I четверть ends on Friday 29 October 2021: "в конце" is that day,
    # "по окончании" five working days later (1-5 November).
    assert dues["10"][0] == date(2021, 10, 29)
    assert dues["11"][0] == date(2021, 11, 5)
    assert len(dues["10"]) == len(dues["11"]) == 4


def test_publishing_twice_creates_nothing_twice(
    session: Session, republic: Republic
) -> None:
    plan = import_seed(session, republic)
    first, _ = publish_now(session, plan)

    again, existing = publish_now(session, plan)

    total = session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id))
    assert again == 0
    assert existing == first == total


def test_publishing_follows_a_quarter_corrected_in_the_stored_calendar(
    session: Session, republic: Republic
) -> None:
    from workflow.calendar_store import CalendarTerm

    plan = import_seed(session, republic)
    calendar_for_plan(session, plan, store=True)
    first_quarter = session.scalars(
        select(CalendarTerm).where(CalendarTerm.name == "I четверть")
    ).one()
    first_quarter.ends = date(2021, 10, 22)
    session.commit()

    publish_now(session, plan)

    item_10_dues = session.scalars(
        select(func.min(Task.due))
        .join(Item, Item.id == Task.item_id)
        .where(Item.plan_id == plan.id, Item.number == "10")
    ).one()
    assert item_10_dues == date(2021, 10, 22)


def test_item_with_an_unknown_lead_gets_no_tasks_and_is_reported(
    session: Session, republic: Republic
) -> None:
    plan = import_seed(session, republic)
    item = session.scalars(
        select(Item).where(Item.plan_id == plan.id, Item.number == "6")
    ).one()
    item.parties = [{"text": "Отдел кадров", "role": None, "level": None}]
    item.level = None
    session.commit()

    result = publish(session, plan, calendar_for_plan(session, plan, store=True))

    assert [(u.number, u.reason) for u in result.unplaced] == [
        ("6", UnplacedReason.NO_LEVEL)
    ]
    assert "6" not in dict(result.created_by_item)


def test_item_for_an_organisation_that_does_not_exist_is_reported(
    session: Session, republic: Republic
) -> None:
    plan = import_plan(session, SEED_TXT.read_bytes(), SEED_TXT.name)
    session.commit()

    result = publish(session, plan, calendar_for_plan(session, plan, store=True))

    assert ("3", UnplacedReason.NO_ORGANISATION) in [
        (u.number, u.reason) for u in result.unplaced
    ]


def test_rolled_over_plan_has_the_same_items_a_year_later(
    session: Session, republic: Republic
) -> None:
    plan = import_seed(session, republic)
    publish_now(session, plan)

    rolled = roll_over_plan(session, plan, 2022)
    session.commit()
    created, _ = publish_now(session, rolled.plan)

    copy = rolled.plan
    originals = {item.number: item for item in plan.items}
    assert rolled.created
    assert copy.school_year == "2022-2023"
    assert copy.title.endswith("в 2022-2023 учебном году")
    assert copy.status is PlanStatus.PUBLISHED
    assert [item.number for item in copy.items] == list(originals)
    for item in copy.items:
        original = originals[item.number]
        assert item.title == original.title
        assert item.parties == original.parties
        if original.due is not None:
            assert item.due == original.due.replace(year=original.due.year + 1)
    parent = next(item for item in copy.items if item.number == "6.1").parent
    assert parent is not None and parent.plan_id == copy.id
    assert created == sum(tasks_per_item(session, copy).values()) > 0
    assert session.scalar(
        select(func.min(Task.due)).where(Task.plan_id == copy.id)
    ) >= date(2022, 4, 1)


def test_rolling_over_again_returns_the_first_copy(
    session: Session, republic: Republic
) -> None:
    plan = import_seed(session, republic)
    first = roll_over_plan(session, plan, 2023)
    session.commit()

    again = roll_over_plan(session, plan, 2023)

    assert not again.created
    assert again.plan.id == first.plan.id
    assert session.scalar(select(func.count(Plan.id))) == 3  # with the builder's


def test_rolling_over_into_its_own_school_year_is_refused(
    session: Session, republic: Republic
) -> None:
    from workflow.publishing import RolloverError

    plan = import_seed(session, republic)

    with pytest.raises(RolloverError, match="already in 2021-2022"):
        roll_over_plan(session, plan, 2021)
