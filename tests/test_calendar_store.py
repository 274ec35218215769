"""The school calendar as rows: loading, the assumed fallback, editing in the app."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import Republic
from tests.conftest import login
from workflow.calendar import DataStatus, DayKind, TermKind, load_calendar
from workflow.calendar_store import (
    CalendarDay,
    CalendarEditError,
    CalendarProblem,
    CalendarSource,
    CalendarTerm,
    DayFields,
    TermFields,
    calendar_for_years,
    parse_school_year,
    save_day,
    save_term,
    store_school_year,
    terms_of,
)


def test_calendar_from_stored_rows_answers_like_the_shipped_files(
    session: Session,
) -> None:
    shipped = load_calendar(2021)

    source = store_school_year(session, 2021)
    stored = calendar_for_years(session, [2021])

    assert source is CalendarSource.SHIPPED
    assert stored.terms == shipped.terms
    assert stored.school_weeks() == shipped.school_weeks()
    assert stored.add_working_days(date(2021, 9, 1), 1) == date(2021, 9, 6)
    assert stored.is_working_day(date(2021, 9, 11))  # a working Saturday


def test_storing_a_school_year_twice_changes_nothing(session: Session) -> None:
    store_school_year(session, 2021)
    rows = session.scalar(select(func.count(CalendarDay.id)))

    again = store_school_year(session, 2021)

    assert again is CalendarSource.STORED
    assert session.scalar(select(func.count(CalendarDay.id))) == rows
    assert len(terms_of(session, 2021)) == 7


def test_a_school_year_without_rows_is_2021_moved_and_all_assumed(
    session: Session,
) -> None:
    source = store_school_year(session, 2025)

    terms = terms_of(session, 2025)
    days = session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(2025, 8, 1))
    ).all()
    assert source is CalendarSource.ASSUMED
    assert terms[0].name == "I четверть"
    assert (terms[0].starts, terms[-1].ends) == (date(2025, 9, 1), date(2026, 5, 25))
    assert {term.status for term in terms} == {DataStatus.ASSUMED}
    assert days and {day.status for day in days} == {DataStatus.ASSUMED}
    assert date(2025, 9, 2) in {day.day for day in days}  # День Республики


def test_a_preview_of_an_unstored_year_writes_nothing(session: Session) -> None:
    calendar = calendar_for_years(session, [2030])

    assert len(calendar.quarters()) == 4
    assert session.scalar(select(func.count(CalendarTerm.id))) == 0


def test_days_stored_for_one_year_win_over_the_next_years_moved_ones(
    session: Session,
) -> None:
    store_school_year(session, 2021)

    store_school_year(session, 2022)

    # 2022-09-02 comes from the shipped list (confirmed), not from 2021 moved.
    republic_day = session.scalars(
        select(CalendarDay).where(CalendarDay.day == date(2022, 9, 2))
    ).one()
    assert republic_day.status is DataStatus.CONFIRMED


def test_a_term_that_ends_before_it_starts_is_refused(session: Session) -> None:
    store_school_year(session, 2021)

    with pytest.raises(CalendarEditError) as refused:
        save_term(
            session,
            2021,
            TermFields(
                "V четверть",
                TermKind.QUARTER,
                date(2022, 6, 10),
                date(2022, 6, 1),
                DataStatus.ASSUMED,
            ),
        )

    assert refused.value.problem is CalendarProblem.ENDS_BEFORE_STARTS


def test_a_second_record_for_the_same_date_is_refused(session: Session) -> None:
    store_school_year(session, 2021)

    with pytest.raises(CalendarEditError) as refused:
        save_day(
            session,
            DayFields(
                date(2021, 9, 2), DayKind.PUBLIC_HOLIDAY, "Дубль", DataStatus.ASSUMED
            ),
        )

    assert refused.value.problem is CalendarProblem.DAY_TAKEN


@pytest.mark.parametrize(
    ("text", "first_year"), [("2021-2022", 2021), ("2026 – 2027", 2026), ("2024", 2024)]
)
def test_school_years_are_read_in_their_usual_spellings(
    text: str, first_year: int
) -> None:
    assert parse_school_year(text) == first_year


@pytest.mark.parametrize("text", ["2021-2023", "next year", ""])
def test_anything_else_is_not_a_school_year(text: str) -> None:
    with pytest.raises(ValueError, match="school year"):
        parse_school_year(text)


def test_admin_stores_and_corrects_a_school_year_in_the_browser(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    token = login(client, republic.person("admin"))

    preview = client.get("/calendar/2021").get_data(as_text=True)
    client.post("/calendar/2021/setup", data={"csrf_token": token})
    term = session.scalars(
        select(CalendarTerm).where(CalendarTerm.name == "I четверть")
    ).one()
    saved = client.post(
        f"/calendar/2021/terms/{term.id}",
        data={
            "csrf_token": token,
            "name": "I четверть",
            "kind": "quarter",
            "starts": "2021-09-01",
            "ends": "2021-10-22",
            "status": "confirmed",
        },
    )
    added = client.post(
        "/calendar/2021/days",
        data={
            "csrf_token": token,
            "day": "2021-10-15",
            "kind": "public_holiday",
            "name": "День города",
            "status": "confirmed",
        },
    )
    page = client.get("/calendar/2021").get_data(as_text=True)

    session.expire_all()
    assert 'data-source="shipped"' in preview
    assert saved.status_code == added.status_code == 302
    assert (term.ends, term.status) == (date(2021, 10, 22), DataStatus.CONFIRMED)
    assert 'data-day="2021-10-15"' in page
    calendar = calendar_for_years(session, [2021])
    assert not calendar.is_working_day(date(2021, 10, 15))


def test_a_wrong_calendar_edit_in_the_browser_explains_and_changes_nothing(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    token = login(client, republic.person("admin"))
    client.post("/calendar/2021/setup", data={"csrf_token": token})
    term = session.scalars(
        select(CalendarTerm).where(CalendarTerm.name == "I четверть")
    ).one()

    response = client.post(
        f"/calendar/2021/terms/{term.id}",
        data={
            "csrf_token": token,
            "name": "I четверть",
            "kind": "quarter",
            "starts": "2021-09-01",
            "ends": "2021-08-01",
            "status": "confirmed",
        },
        follow_redirects=True,
    )

    session.expire_all()
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert term.ends == date(2021, 10, 29)
