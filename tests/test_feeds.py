"""The personal iCalendar feed: valid RFC 5545, the person's due dates, revocable."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import csrf_token_of, login
from workflow.enums import State
from workflow.feeds import FeedEvent, calendar_text, fold, issue_feed, revoke_feeds


def unfold(text: str) -> list[str]:
    """Content lines as RFC 5545 defines them, each line checked on the way."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    lines: list[str] = []
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode()) <= 75, line
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def parse_calendar(text: str) -> list[dict[str, str]]:
    """The VEVENTs of one VCALENDAR as {property (with parameters): value}."""
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines[1:-1]:
        name, _colon, value = line.partition(":")
        assert _colon and re.fullmatch(r"[A-Z-]+(;[A-Z-]+=[A-Z-]+)*", name), line
        if line == "BEGIN:VEVENT":
            assert current is None
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            current[name] = value
    assert current is None
    for event in events:
        for required in ("UID", "DTSTAMP", "DTSTART;VALUE=DATE", "SUMMARY"):
            assert required in event, (required, event)
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
        assert re.fullmatch(r"\d{8}", event["DTSTART;VALUE=DATE"])
    return events


def test_long_lines_fold_at_75_octets_without_splitting_a_letter() -> None:
    line = "SUMMARY:" + "Мероприятие по внедрению электронного журнала " * 4

    folded = fold(line)

    pieces = folded.split("\r\n")
    assert len(pieces) > 1
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert pieces[0] + "".join(piece[1:] for piece in pieces[1:]) == line


def test_calendar_text_escapes_and_parses_back() -> None:
    event = FeedEvent(
        uid="task-1@plangraph",
        day=date(2021, 9, 15),
        summary="6.1 Обучить; педагогов, работе\nв «Элжур»",
        description="СОШ № 1",
        url="http://example/tasks/1",
    )

    text = calendar_text([event], "Plangraph", datetime(2021, 9, 1, 8, 0))

    [parsed] = parse_calendar(text)
    assert parsed["SUMMARY"] == "6.1 Обучить\\; педагогов\\, работе\\nв «Элжур»"
    assert parsed["DTSTART;VALUE=DATE"] == "20210915"
    assert parsed["DTEND;VALUE=DATE"] == "20210916"
    assert parsed["DTSTAMP"] == "20210901T080000Z"


def _make_feed_url(client: FlaskClient) -> str:
    page = client.get("/reports/calendar").get_data(as_text=True)
    answer = client.post("/reports/calendar", data={"csrf_token": csrf_token_of(page)})
    assert answer.status_code == 200
    found = re.search(r'value="(http[^"]+\.ics)"', answer.get_data(as_text=True))
    assert found, "the page shows no feed address"
    return found.group(1).replace("http://localhost", "")


def test_feed_lists_the_persons_due_dates_and_nothing_else(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    mine = add_task(session, republic, "4", "north-school-1", due=date(2021, 9, 20))
    approved = add_task(session, republic, "4", "north-school-1", state=State.APPROVED)
    other_school = add_task(session, republic, "4", "north-school-2")
    session.commit()
    login(client, republic.person("head_north1"))
    url = _make_feed_url(client)
    client.post("/logout", data={"csrf_token": csrf_token_of(client.get("/").text)})

    response = client.get(url)

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    events = parse_calendar(response.get_data(as_text=True))
    assert [event["UID"] for event in events] == [f"task-{mine.id}@plangraph"]
    assert events[0]["DTSTART;VALUE=DATE"] == "20210920"
    assert events[0]["SUMMARY"] == "4 Мероприятие 4"
    assert events[0]["URL"].endswith(f"/tasks/{mine.id}")
    assert f"task-{approved.id}@" not in response.get_data(as_text=True)
    assert f"task-{other_school.id}@" not in response.get_data(as_text=True)


def test_revoked_feed_url_answers_404(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    add_task(session, republic, "4", "north-school-1")
    session.commit()
    login(client, republic.person("head_north1"))
    url = _make_feed_url(client)
    assert client.get(url).status_code == 200

    page = client.get("/reports/calendar").get_data(as_text=True)
    client.post("/reports/calendar/revoke", data={"csrf_token": csrf_token_of(page)})

    assert client.get(url).status_code == 404
    assert client.get("/reports/feed/not-a-token.ics").status_code == 404


def test_a_new_feed_url_revokes_the_old_one(
    session: Session, republic: Republic, client: FlaskClient
) -> None:
    person = republic.person("uno_north")
    first = issue_feed(session, person.id)
    session.commit()
    second = issue_feed(session, person.id)
    session.commit()

    assert client.get(f"/reports/feed/{first}.ics").status_code == 404
    assert client.get(f"/reports/feed/{second}.ics").status_code == 200
    assert revoke_feeds(session, person.id) == 1
    session.commit()
    assert client.get(f"/reports/feed/{second}.ics").status_code == 404
