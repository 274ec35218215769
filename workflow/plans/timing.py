"""Understand the timing cell of a plan item: start, due date and recurrence.

What is not understood is kept as text with a warning; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from workflow.enums import Recurrence
from workflow.plans.dates import (
    MONTH,
    YEAR,
    DateError,
    YearContext,
    full_year,
    half_span,
    last_day,
    month_number,
    month_span,
    parse_day,
    parse_month,
    quarter_span,
    school_year_of_month,
    school_year_window,
)
from workflow.plans.recurrence import TimingRule, find_recurrence, is_weekday_remark

# The plan's years are what a bare month ("июнь") is placed by.
TimingContext = YearContext

REMARK = re.compile(r"\(([^()]*)\)")
DASHES = re.compile(r"[‐‑‒–—−]")
# "2021г.", "2021 г.", "2023года", "2022 году", "2021-2022 гг." all mean the year.
YEAR_WORD = re.compile(r"(\d{4})\s*(?:гг?\b\.?|года\b|году\b|год\b|г\.)")

ONLY_YEAR = re.compile(rf"^(?:в\s+течение\s+|на\s+|в\s+)?({YEAR})$")
YEAR_PAIR = re.compile(
    rf"^(?:в\s+течение\s+|на\s+)?({YEAR})\s*-\s*({YEAR})(?:\s+учебн\w*\s+год\w*)?$"
)
WHOLE_PERIOD = re.compile(r"^в\s+течение\s+(?:всего\s+)?(?:учебного\s+)?года$")
FROM_TO = re.compile(r"^с\s+(.+?)\s+(?:по|до)\s+(.+)$")
DEADLINE = re.compile(
    r"^(?:в\s+срок\s+)?(?:до|не\s+позднее|не\s+позже|срок\s+до|к)\s+(?:конца\s+)?(.+)$"
)
DATE_RANGE = re.compile(r"^(.+?\d)\s*-\s*(\d.+)$")
DAYS_OF_MONTH = re.compile(
    rf"^(\d{{1,2}})\s*-\s*(\d{{1,2}})\s+({MONTH})(?:\s+({YEAR}))?$"
)
MONTH_RANGE = re.compile(
    rf"^(?:в\s+)?({MONTH})(?:\s+({YEAR}))?\s*-\s*({MONTH})"
    rf"(?:\s+({YEAR})(?:\s*-\s*({YEAR}))?)?$"
)
MONTH_OF_SCHOOL_YEAR = re.compile(rf"^(?:в\s+)?({MONTH})\s+({YEAR})\s*-\s*({YEAR})$")
QUARTER = re.compile(
    rf"^(?:в\s+)?([ivx]+|\d)(?:-?[йо]й?)?\s+квартал\w*(?:\s+({YEAR}))?$"
)
HALF = re.compile(rf"^(?:в\s+)?([ivx]+|\d)(?:-?[ео]е?)?\s+полугоди\w*(?:\s+({YEAR}))?$")


@dataclass(frozen=True)
class Timing:
    """What a timing cell says: its text, start, due date and recurrence.

    For a recurrence, and for deadlines tied to the school calendar ("по
    окончании II четверти"), start and due are the window the plan covers
    (1 September to 31 August of the school year, or the calendar year):
    the calendar places the real due dates within it (see periods_for).
    """

    text: str
    start: date | None = None
    due: date | None = None
    recurrence: Recurrence | None = None
    rule: TimingRule | None = None
    remark: str | None = None
    warnings: tuple[str, ...] = ()


def normalise_timing(text: str) -> str:
    """Lower the text and even out dashes, "ё", footnote marks and "г."/"года"."""
    text = text.lower().replace("ё", "е").replace("\xa0", " ").replace("*", " ")
    text = DASHES.sub("-", text)
    text = YEAR_WORD.sub(r"\1 ", text)
    text = " ".join(text.split())
    return text.strip(" .,;:")


def understand_timing(text: str, context: TimingContext) -> Timing:
    """Understand a timing cell ("Апрель-июнь 2021", "еженедельно", ...)."""
    original = " ".join(text.split())
    if not original:
        return Timing(text="", warnings=("Срок не указан: укажите его при проверке.",))

    normalised = normalise_timing(original)
    remarks = [remark.strip() for remark in REMARK.findall(normalised)]
    without_remarks = normalise_timing(REMARK.sub(" ", normalised))

    recurrence = find_recurrence(normalised)
    if recurrence is not None:
        return recurring_timing(original, without_remarks, context, *recurrence)

    try:
        span = understand_span(without_remarks, context)
    except DateError as error:
        return Timing(
            text=original,
            warnings=(f"Срок «{original}» не понят: {error}. Укажите даты вручную.",),
        )

    if span is None:
        return Timing(
            text=original,
            warnings=(
                f"Срок «{original}» — не дата: он сохранён как текст, даты нужно "
                "указать вручную при проверке.",
            ),
        )

    start, due = span
    if start is not None and due is not None and start > due:
        return Timing(
            text=original,
            warnings=(f"В сроке «{original}» начало позже окончания: проверьте даты.",),
        )

    remark, warnings = remark_of(original, remarks)
    return Timing(text=original, start=start, due=due, remark=remark, warnings=warnings)


def remark_of(original: str, remarks: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """Keep a parenthesised remark ("по индивидуальному графику") and warn of it."""
    kept = [
        remark for remark in REMARK.findall(original) if not is_weekday_remark(remark)
    ]
    if not kept:
        return None, ()

    remark = "; ".join(part.strip() for part in kept)
    warning = (
        f"К сроку «{original}» есть примечание «{remark}»: даты поняты, "
        "примечание сохранено как текст."
    )
    return remark, (warning,)


def recurring_timing(
    original: str,
    text: str,
    context: TimingContext,
    recurrence: Recurrence,
    rule: TimingRule,
) -> Timing:
    """Build the timing of a recurring measure, its window from the plan's years."""
    window = context.window()
    explicit = explicit_window(text, context)
    if explicit is not None:
        window = explicit

    if window is None:
        return Timing(
            text=original,
            recurrence=recurrence,
            rule=rule,
            warnings=(
                f"Срок «{original}» повторяется, но в заголовке плана нет года: "
                "укажите учебный год плана.",
            ),
        )

    remark, warnings = remark_of(original, [])
    start, due = window
    return Timing(original, start, due, recurrence, rule, remark, warnings)


def explicit_window(text: str, context: TimingContext) -> tuple[date, date] | None:
    """The span a recurrence names itself ("с 1 сентября по 25 декабря 2021")."""
    start_index = text.find("с ")
    if start_index >= 0:
        try:
            span = from_to_span(text[start_index:], context)
        except DateError:
            span = None
        if span is not None:
            return span

    pair = re.search(rf"({YEAR})\s*-\s*({YEAR})", text)
    if pair and int(pair.group(2)) == int(pair.group(1)) + 1:
        return school_year_window(int(pair.group(1)))
    return None


def understand_span(
    text: str, context: TimingContext
) -> tuple[date | None, date] | None:
    """Read the start and due date of a non-recurring timing, or None if not a date."""
    for reader in SPAN_READERS:
        span = reader(text, context)
        if span is not None:
            return span
    return None


def year_span(text: str, context: TimingContext) -> tuple[date | None, date] | None:
    """ "в течение 2022 года", "2021-2022 учебный год", "в течение года"."""
    match = ONLY_YEAR.match(text)
    if match:
        year = int(match.group(1))
        return date(year, 1, 1), date(year, 12, 31)

    pair = YEAR_PAIR.match(text)
    if pair and int(pair.group(2)) == int(pair.group(1)) + 1:
        return school_year_window(int(pair.group(1)))

    if WHOLE_PERIOD.match(text):
        return context.window()
    return None


def from_to_span(text: str, context: TimingContext) -> tuple[date, date] | None:
    """ "с 1 сентября по 15 октября 2021", "с 01.09.2021 до 15.09.2021"."""
    match = FROM_TO.match(text)
    if match is None:
        match = DATE_RANGE.match(text)
    if match is None:
        return None

    due = parse_day(match.group(2), context)
    if due is None:
        month = parse_month(match.group(2))
        if month is None:
            return None
        due = month_span(*month, context)[1]

    # The start often leaves out the year of the end: "с 1 по 15 сентября 2021".
    start_text = match.group(1).strip()
    if start_text.isdigit():
        start_text = f"{start_text}.{due.month}.{due.year}"
    start = parse_day(start_text, YearContext(calendar_year=due.year))
    if start is None:
        month = parse_month(start_text)
        if month is None:
            return None
        start = month_span(month[0], month[1] or due.year, context)[0]

    if start > due and not re.search(YEAR, start_text):
        start = start.replace(year=due.year - 1)
    return start, due


def deadline_span(text: str, context: TimingContext) -> tuple[date | None, date] | None:
    """ "до 15 сентября 2021", "не позднее 15 апреля 2023 года", "до конца мая"."""
    match = DEADLINE.match(text)
    if match is None:
        return None

    fragment = match.group(1)
    due = parse_day(fragment, context)
    if due is not None:
        return None, due

    month = parse_month(fragment)
    if month is not None:
        return None, month_span(*month, context)[1]

    year = ONLY_YEAR.match(fragment)
    if year is not None:
        return None, date(int(year.group(1)), 12, 31)
    return None


def month_range_span(
    text: str, context: TimingContext
) -> tuple[date | None, date] | None:
    """ "Апрель-июнь 2021", "ноябрь 2012 - май 2013", "Сентябрь – май 2021-2022"."""
    match = MONTH_RANGE.match(text)
    if match is None:
        return None

    first_month, last_month = month_number(match.group(1)), month_number(match.group(3))
    first_year = int(match.group(2)) if match.group(2) else None
    last_year = int(match.group(4)) if match.group(4) else None

    if match.group(5):
        # "2021-2022" after the months: each month falls in the school year.
        school_start = int(match.group(4))
        first_year = school_year_of_month(first_month, school_start)
        last_year = school_year_of_month(last_month, school_start)
    elif last_year is None and first_year is not None:
        last_year = first_year if last_month >= first_month else first_year + 1
    elif last_year is not None and first_year is None:
        first_year = last_year if first_month <= last_month else last_year - 1
    elif first_year is None and last_year is None:
        first_year = context.year_of_month(first_month)
        last_year = context.year_of_month(last_month)

    start = month_span(first_month, first_year, context)[0]
    due = month_span(last_month, last_year, context)[1]
    return start, due


def month_span_of(text: str, context: TimingContext) -> tuple[date | None, date] | None:
    """ "Июнь 2022", "июнь" (year from the plan), "май 2021-2022"."""
    school = MONTH_OF_SCHOOL_YEAR.match(text)
    if school and int(school.group(3)) == int(school.group(2)) + 1:
        month = month_number(school.group(1))
        year = school_year_of_month(month, int(school.group(2)))
        return date(year, month, 1), last_day(year, month)

    month_and_year = parse_month(re.sub(r"^в\s+", "", text))
    if month_and_year is None:
        return None
    return month_span(*month_and_year, context)


def single_day_span(
    text: str, context: TimingContext
) -> tuple[date | None, date] | None:
    """ "01.09.2021", "15 сентября 2021": the measure takes place on that day."""
    day = parse_day(text, context)
    if day is None:
        return None
    return day, day


def days_of_month_span(
    text: str, context: TimingContext
) -> tuple[date | None, date] | None:
    """ "1-15 сентября 2021"."""
    match = DAYS_OF_MONTH.match(text)
    if match is None:
        return None
    month = month_number(match.group(3))
    start, end = month_span(
        month, int(match.group(4)) if match.group(4) else None, context
    )
    return start.replace(day=int(match.group(1))), end.replace(day=int(match.group(2)))


def quarter_or_half_span(
    text: str, context: TimingContext
) -> tuple[date | None, date] | None:
    """ "IV квартал 2022", "I полугодие 2022 года"."""
    for pattern, span_of in ((QUARTER, quarter_span), (HALF, half_span)):
        match = pattern.match(text)
        if match is None:
            continue
        year = full_year(match.group(2)) if match.group(2) else context.calendar_year
        if year is None:
            raise DateError("не указан год")
        return span_of(match.group(1), year)
    return None


SPAN_READERS = (
    year_span,
    month_range_span,
    month_span_of,
    deadline_span,
    days_of_month_span,
    from_to_span,
    single_day_span,
    quarter_or_half_span,
)
