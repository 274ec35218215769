"""A republic of realistic size for benchmarks, written with COPY in a few seconds.

The shape follows DESIGN.md: the ministry, two agencies, seven district
education departments (УНО) and their schools, people for every role, and the
Элжур plan's kind of items (single, quarterly and weekly ones). The plan of the
first school year has tasks in every state, with their audit trail and sent
messages; the plan rolled over into later school years has only planned tasks,
and those are the fresh tasks a benchmark moves.

Ids are given here rather than by the database, so that materialised paths
and references are known without reading anything back; the sequences are
moved past them at the end.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from workflow.enums import Level, Recurrence, Role, State
from workflow.signoff import APPROVER_ROLES

# Nobody signs in during a benchmark; this is not a hash of anything.
NO_LOGIN = "!benchmark-no-login"
FIRST_YEAR = 2021
# The first school year is seen in mid-January: the autumn is done, mostly.
TODAY = date(FIRST_YEAR + 1, 1, 20)
MOMENT = datetime(FIRST_YEAR + 1, 1, 20, 9, 0)
WEEKS = 34
ROMAN = ("I", "II", "III", "IV")
QUARTER_ENDS = ((10, 29), (12, 28), (3, 18), (5, 31))
DISTRICTS = (
    "Тирасполь и Днестровск",
    "Бендеры",
    "Слободзейский район",
    "Григориопольский район",
    "Дубоссарский район",
    "Рыбницкий район",
    "Каменский район",
)


@dataclass(frozen=True)
class ItemSpec:
    """One measure of the benchmark plan, with its parties understood."""

    number: str
    title: str
    timing_text: str
    level: Level
    roles: tuple[Role, ...]
    recurrence: Recurrence | None = None
    agency_code: str | None = None

    @property
    def lead(self) -> Role:
        """The role that leads the item in an organisation of its level."""
        named_here = [role for role in self.roles if role.level is self.level]
        return named_here[0]


# Modelled on the Элжур plan (order № 289), with its parties understood.
ITEMS = (
    ItemSpec(
        "1",
        "Формирование нормативной базы",
        "Апрель-июнь",
        Level.MINISTRY,
        (Role.MINISTRY_SPECIALIST,),
    ),
    ItemSpec(
        "2",
        "Размещение нормативной базы на сайте",
        "Апрель-август",
        Level.MINISTRY,
        (Role.MINISTRY_SPECIALIST,),
    ),
    ItemSpec(
        "3",
        "Подготовка группы технической поддержки",
        "Апрель-август",
        Level.AGENCY,
        (Role.AGENCY_STAFF,),
        agency_code="cit",
    ),
    ItemSpec(
        "4",
        "Обучающие семинары для педагогов",
        "Апрель-май",
        Level.DISTRICT,
        (Role.DISTRICT_SPECIALIST, Role.AGENCY_STAFF, Role.ICT_METHODIST),
    ),
    ItemSpec(
        "5",
        "Консультации для родителей и обучающихся",
        "Июль-сентябрь",
        Level.SCHOOL,
        (Role.SCHOOL_HEAD, Role.ICT_METHODIST, Role.CLASS_TEACHER),
    ),
    ItemSpec(
        "6",
        "Издание приказов, регламентирующих работу",
        "До 10 июня",
        Level.SCHOOL,
        (Role.SCHOOL_HEAD,),
    ),
    ItemSpec(
        "6.1",
        "Введение данных об участниках образовательного процесса",
        "до 15 сентября",
        Level.SCHOOL,
        (Role.SCHOOL_HEAD, Role.ICT_METHODIST),
    ),
    ItemSpec(
        "7",
        "Заполнение электронного журнала успеваемости",
        "Сентябрь – май",
        Level.SCHOOL,
        (Role.TEACHER,),
    ),
    ItemSpec(
        "8",
        "Мониторинг активности родителей и обучающихся",
        "еженедельно",
        Level.SCHOOL,
        (Role.DEPUTY_HEAD, Role.CLASS_TEACHER),
        Recurrence.WEEKLY,
    ),
    ItemSpec(
        "9",
        "Контроль правильности заполнения информации",
        "Сентябрь – май",
        Level.SCHOOL,
        (Role.DEPUTY_HEAD, Role.ICT_METHODIST),
    ),
    ItemSpec(
        "10",
        "Выгрузка данных на бумажные носители",
        "в конце каждой четверти",
        Level.SCHOOL,
        (Role.DEPUTY_HEAD, Role.ICT_METHODIST, Role.CLASS_TEACHER),
        Recurrence.SCHOOL_QUARTER,
    ),
    ItemSpec(
        "11",
        "Организация совмещённого хранения",
        "по окончании каждой четверти",
        Level.SCHOOL,
        (Role.DEPUTY_HEAD,),
        Recurrence.SCHOOL_QUARTER,
    ),
    ItemSpec(
        "12",
        "Подготовка сводной ведомости к хранению",
        "по окончании учебного года",
        Level.SCHOOL,
        (Role.DEPUTY_HEAD, Role.CLASS_TEACHER),
    ),
    ItemSpec(
        "13",
        "Совещание по итогам апробации",
        "Июнь",
        Level.MINISTRY,
        (Role.MINISTRY_SPECIALIST, Role.DISTRICT_SPECIALIST),
    ),
)

# How many people hold each role in one organisation of its level.
STAFF: dict[Role, int] = {
    Role.MINISTRY_ADMIN: 1,
    Role.MINISTRY_SPECIALIST: 3,
    Role.AGENCY_STAFF: 2,
    Role.DISTRICT_SPECIALIST: 2,
    Role.SCHOOL_HEAD: 1,
    Role.DEPUTY_HEAD: 1,
    Role.ICT_METHODIST: 1,
    Role.CLASS_TEACHER: 2,
    Role.TEACHER: 3,
}


@dataclass(frozen=True)
class Period:
    """One period of an item in one school year."""

    label: str
    start: date
    due: date


@dataclass(frozen=True)
class FreshTask:
    """A planned school task of a rolled-over plan, free for a benchmark to move."""

    task_id: int
    org_id: int
    item: ItemSpec
    period_label: str


@dataclass
class Republic:
    """What was built, by id: enough to pick actors and recipients without SQL."""

    org_ids: dict[str, int] = field(default_factory=dict)
    org_names: dict[int, str] = field(default_factory=dict)
    org_levels: dict[int, Level] = field(default_factory=dict)
    parent_of: dict[int, int | None] = field(default_factory=dict)
    members: dict[tuple[int, Role], list[int]] = field(default_factory=dict)
    fresh: list[FreshTask] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def people(self, org_id: int, role: Role) -> list[int]:
        """The people holding `role` in one organisation."""
        return self.members.get((org_id, role), [])

    def approver_of(self, org_id: int) -> tuple[int, Role]:
        """The organisation and role that approve the tasks of an organisation."""
        parent = self.parent_of[org_id]
        if parent is None:
            return org_id, Role.MINISTRY_ADMIN
        return parent, APPROVER_ROLES[self.org_levels[parent]]

    def describe(self) -> str:
        """One line of what the database holds."""
        return ", ".join(f"{count:,} {table}" for table, count in self.rows.items())


def periods_of(item: ItemSpec, year: int) -> list[Period]:
    """The periods of an item in the school year that starts in `year`."""
    first_day = date(year, 9, 1)
    if item.recurrence is Recurrence.WEEKLY:
        monday = first_day - timedelta(days=first_day.weekday())
        weeks = []
        for number in range(WEEKS):
            start = max(first_day, monday + timedelta(weeks=number))
            due = monday + timedelta(weeks=number, days=4)
            weeks.append(Period(f"неделя {start:%d.%m}–{due:%d.%m.%Y}", start, due))
        return weeks

    if item.recurrence is Recurrence.SCHOOL_QUARTER:
        quarters = []
        start = first_day
        for roman, (month, day) in zip(ROMAN, QUARTER_ENDS, strict=True):
            due = date(year if month >= 9 else year + 1, month, day)
            quarters.append(Period(f"{roman} четверть {year}-{year + 1}", start, due))
            start = due + timedelta(days=7)
        return quarters

    start, due = first_day, date(year + 1, 5, 31)
    return [Period(f"{start:%d.%m.%Y}–{due:%d.%m.%Y}", start, due)]


def build_republic(
    connection: psycopg.Connection[Any],
    *,
    schools_per_district: int,
    fresh_needed: int,
    seed: int = 289,
) -> Republic:
    """Build the republic, its plans and tasks; keep `fresh_needed` tasks planned.

    The first school year's plan gets tasks in every state; as many rolled-over
    plans follow as it takes to offer `fresh_needed` planned school tasks.
    """
    chance = random.Random(seed)
    writer = _Writer()
    republic = Republic()
    orgs = _build_organisations(writer, republic, schools_per_district)
    _build_people(writer, republic, orgs)

    school_tasks_per_plan = len(orgs[Level.SCHOOL]) * sum(
        len(periods_of(item, FIRST_YEAR))
        for item in ITEMS
        if item.level is Level.SCHOOL
    )
    rolled_plans = max(1, -(-fresh_needed // school_tasks_per_plan))
    for year in range(FIRST_YEAR, FIRST_YEAR + 1 + rolled_plans):
        plan_id = writer.add(
            "plans",
            f"План-график внедрения «Элжур», {year}-{year + 1} учебный год",
            "Приложение №1 к Приказу № 289",
            f"{year}-{year + 1}",
            "published",
            "benchmark",
            MOMENT,
            MOMENT,
        )
        _build_plan(writer, republic, orgs, plan_id, year, chance)

    chance.shuffle(republic.fresh)
    republic.rows = writer.copy_to(connection)
    connection.execute("ANALYZE")
    connection.commit()
    return republic


class _Writer:
    """Rows per table, with ids handed out here, written with COPY at the end."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Sequence[Any]]] = defaultdict(list)
        self._ids: dict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))

    def add(self, table: str, *values: Any) -> int:
        """Queue one row of a table with an id of its own; return the id."""
        row_id = next(self._ids[table])
        self.rows[table].append((row_id, *values))
        return row_id

    def add_without_id(self, table: str, *values: Any) -> None:
        """Queue one row whose id the database's sequence gives."""
        self.rows[table].append(values)

    def copy_to(self, connection: psycopg.Connection[Any]) -> dict[str, int]:
        """Write every table in order, move the sequences on, return row counts."""
        counts: dict[str, int] = {}
        with connection.cursor() as cursor:
            for table, columns in COLUMNS.items():
                names = ", ".join(columns)
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in self.rows[table]:
                        copy.write_row(row)
                counts[table] = len(self.rows[table])
                if columns[0] == "id" and counts[table]:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                        (table, counts[table]),
                    )
        connection.commit()
        return counts


COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": ("id", "code", "name", "short_name", "level", "parent_id", "path"),
    "people": ("id", "email", "name", "password_hash", "active", "created_at"),
    "memberships": ("id", "person_id", "org_id", "role"),
    "plans": (
        "id",
        "title",
        "heading",
        "school_year",
        "status",
        "source_name",
        "created_at",
        "published_at",
    ),
    "items": (
        "id",
        "plan_id",
        "parent_id",
        "number",
        "position",
        "title",
        "timing_text",
        "responsible_text",
        "recurrence",
        "recurrence_rule",
        "parties",
        "level",
        "requires_evidence",
    ),
    "tasks": (
        "id",
        "plan_id",
        "item_id",
        "org_id",
        "period_label",
        "start",
        "due",
        "state",
        "version",
        "sent_back",
        "submitted_by_id",
        "created_at",
        "updated_at",
    ),
    "audit_records": (
        "task_id",
        "trigger_name",
        "from_state",
        "to_state",
        "actor_id",
        "role_used",
        "created_at",
        "comment",
    ),
    "outbox": (
        "recipient_id",
        "kind",
        "task_id",
        "payload",
        "created_at",
        "attempts",
        "sent_at",
    ),
}

# The steps a task of the first school year has gone through, in order.
HISTORY = (
    ("start", State.PLANNED, State.IN_PROGRESS),
    ("submit", State.IN_PROGRESS, State.SUBMITTED),
    ("approve", State.SUBMITTED, State.APPROVED),
)
STEPS_TAKEN = {
    State.PLANNED: 0,
    State.IN_PROGRESS: 1,
    State.SUBMITTED: 2,
    State.APPROVED: 3,
}


def _build_organisations(
    writer: _Writer, republic: Republic, schools_per_district: int
) -> dict[Level, list[int]]:
    """The ministry, its agencies, the districts and their schools."""
    paths: dict[int, str] = {}
    orgs: dict[Level, list[int]] = {level: [] for level in Level}

    def organisation(code: str, name: str, level: Level, parent: int | None) -> int:
        # The path holds the organisation's own id, so the row is queued whole
        # only once the id is known.
        org_id = writer.add("organisations", code, name, name, level.value, parent)
        paths[org_id] = f"{paths[parent] if parent else '/'}{org_id}/"
        writer.rows["organisations"][-1] = (
            *writer.rows["organisations"][-1],
            paths[org_id],
        )
        republic.org_ids[code] = org_id
        republic.org_names[org_id] = name
        republic.org_levels[org_id] = level
        republic.parent_of[org_id] = parent
        orgs[level].append(org_id)
        return org_id

    ministry = organisation("mp", "МП ПМР", Level.MINISTRY, None)
    organisation("cit", "ГУП «ЦИТ»", Level.AGENCY, ministry)
    organisation("iroipk", "ИРОиПК", Level.AGENCY, ministry)
    for number, district_name in enumerate(DISTRICTS, start=1):
        district = organisation(
            f"uno-{number}", f"УНО ({district_name})", Level.DISTRICT, ministry
        )
        for school in range(1, schools_per_district + 1):
            organisation(
                f"school-{number}-{school}",
                f"МОУ «СОШ № {school}» ({district_name})",
                Level.SCHOOL,
                district,
            )
    return orgs


def _build_people(
    writer: _Writer, republic: Republic, orgs: dict[Level, list[int]]
) -> None:
    """People for every role in every organisation, and their memberships."""

    def member(person_id: int, org_id: int, role: Role) -> None:
        writer.add("memberships", person_id, org_id, role.value)
        republic.members.setdefault((org_id, role), []).append(person_id)

    for level, org_ids in orgs.items():
        roles = [role for role in Role if role.level is level]
        for org_id, role in itertools.product(org_ids, roles):
            for number in range(1, STAFF[role] + 1):
                person_id = writer.add(
                    "people",
                    f"{role.value}-{org_id}-{number}@bench.example",
                    f"{role.value} {org_id}/{number}",
                    NO_LOGIN,
                    True,
                    MOMENT,
                )
                member(person_id, org_id, role)
                # Heads teach as well: a person with two roles in one school.
                if role is Role.SCHOOL_HEAD:
                    member(person_id, org_id, Role.TEACHER)


def _build_plan(
    writer: _Writer,
    republic: Republic,
    orgs: dict[Level, list[int]],
    plan_id: int,
    year: int,
    chance: random.Random,
) -> None:
    """One plan's items and tasks: with history in the first year, planned after."""
    history = year == FIRST_YEAR
    item_ids: dict[str, int] = {}
    for position, item in enumerate(ITEMS):
        parent_number = item.number.split(".")[0]
        item_id = writer.add(
            "items",
            plan_id,
            item_ids.get(parent_number) if parent_number != item.number else None,
            item.number,
            position,
            item.title,
            item.timing_text,
            ", ".join(role.value for role in item.roles),
            item.recurrence.value if item.recurrence else None,
            "{}",
            json.dumps(_parties(item), ensure_ascii=False),
            item.level.value,
            False,
        )
        item_ids[item.number] = item_id

        targets = orgs[item.level]
        if item.agency_code is not None:
            targets = [republic.org_ids[item.agency_code]]
        for period, org_id in itertools.product(periods_of(item, year), targets):
            state = _state_on(period, chance) if history else State.PLANNED
            task_id = writer.add(
                "tasks",
                plan_id,
                item_id,
                org_id,
                period.label,
                period.start,
                period.due,
                state.value,
                1 + STEPS_TAKEN[state],
                False,
                republic.people(org_id, item.lead)[0]
                if STEPS_TAKEN[state] > 1
                else None,
                MOMENT,
                MOMENT,
            )
            _add_history(writer, republic, task_id, item, org_id, state)
            if not history and item.level is Level.SCHOOL:
                republic.fresh.append(FreshTask(task_id, org_id, item, period.label))


def _add_history(
    writer: _Writer,
    republic: Republic,
    task_id: int,
    item: ItemSpec,
    org_id: int,
    state: State,
) -> None:
    """The audit records of the steps a task has taken, and the sent messages."""
    executor = republic.people(org_id, item.lead)[0]
    approver_org, approver_role = republic.approver_of(org_id)
    approver = republic.people(approver_org, approver_role)[0]
    for trigger, source, dest in HISTORY[: STEPS_TAKEN[state]]:
        actor, role = (
            (approver, approver_role) if trigger == "approve" else (executor, item.lead)
        )
        writer.add_without_id(
            "audit_records",
            task_id,
            trigger,
            source.value,
            dest.value,
            actor,
            role.value,
            MOMENT,
            "Сделано." if trigger == "submit" else "",
        )
        if trigger != "start":
            payload = {"task_id": task_id, "trigger": trigger, "state": dest.value}
            recipient = executor if trigger == "approve" else approver
            writer.add_without_id(
                "outbox",
                recipient,
                f"task_{trigger}",
                task_id,
                json.dumps(payload),
                MOMENT,
                1,
                MOMENT,
            )


def _parties(item: ItemSpec) -> list[dict[str, Any]]:
    """The item's parties as the plan reader stores them, the lead first."""
    return [
        {
            "text": role.value,
            "role": role.value,
            "level": role.level.value,
            "org_code": item.agency_code if role is Role.AGENCY_STAFF else None,
            "agreed": False,
        }
        for role in item.roles
    ]


def _state_on(period: Period, chance: random.Random) -> State:
    """A believable state for a task of the first school year, seen mid-January."""
    roll = chance.random()
    if period.due < TODAY:
        if roll < 0.85:
            return State.APPROVED
        return State.SUBMITTED if roll < 0.95 else State.IN_PROGRESS
    if period.start <= TODAY:
        if roll < 0.5:
            return State.IN_PROGRESS
        return State.SUBMITTED if roll < 0.7 else State.PLANNED
    return State.PLANNED
