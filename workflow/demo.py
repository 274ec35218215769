"""The demo republic: a ministry, two agencies, seven УНО, 150 schools, people.

Names of schools follow the republic's real naming patterns but are invented;
no real person appears. The Элжур plan is rolled over into the school year
that contains today, and its tasks are put in believable states.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from workflow.accounts import add_organisation, hash_password
from workflow.calendar import load_calendar
from workflow.clock import local_today
from workflow.enums import HEAD_ROLES, Level, Role, State, TriggerName
from workflow.models import AuditRecord, Item, Membership, Organisation, Person, Task
from workflow.plans import parse_plan
from workflow.publishing import publish, rolled_over, store_plan
from workflow.signoff import APPROVER_ROLES

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_PLAN = DATA / "plans" / "mp-pmr-2021-289-eljur.txt"
SEED_FIRST_YEAR = 2021
DEMO_PASSWORD = "demo-password"
DOMAIN = "plangraph.demo"


@dataclass(frozen=True)
class District:
    """A district education department (УНО) and the schools it supervises."""

    code: str
    name: str
    town_adjective: str
    town_schools: int
    villages: tuple[str, ...]


DISTRICTS = (
    District(
        "tiraspol",
        "Тираспольское УНО (г. Тирасполь и г. Днестровск)",
        "Тираспольская",
        20,
        ("Днестровск", "Днестровск", "Днестровск"),
    ),
    District("bendery", "УНО г. Бендеры", "Бендерская", 18, ()),
    District(
        "slobodzeya",
        "Слободзейское районное УНО",
        "Слободзейская",
        4,
        (
            "Парканы",
            "Глиное",
            "Чобручи",
            "Карагаш",
            "Незавертайловка",
            "Суклея",
            "Кицканы",
            "Ближний Хутор",
            "Первомайск",
            "Коротное",
            "Владимировка",
            "Красное",
            "Фрунзе",
            "Ташлык-Слобода",
            "Чобручи",
            "Парканы",
            "Глиное",
            "Карагаш",
            "Суклея",
            "Кременчуг",
            "Хлиная",
            "Никольское",
            "Копанка",
            "Меренешты",
            "Кицканы",
            "Кировское",
        ),
    ),
    District(
        "grigoriopol",
        "МУ «Григориопольское управление народного образования»",
        "Григориопольская",
        3,
        (
            "Ташлык",
            "Карманова",
            "Маловатое",
            "Бычок",
            "Спея",
            "Делакеу",
            "Шипка",
            "Красная Горка",
            "Глиное",
            "Малаешты",
            "Бутор",
            "Винограденое",
            "Токмазея",
            "Гыртоп",
        ),
    ),
    District(
        "dubossary",
        "Дубоссарское УНО",
        "Дубоссарская",
        5,
        (
            "Дзержинское",
            "Красный Виноградарь",
            "Роги",
            "Гоянул Ноу",
            "Койково",
            "Ягорлык",
            "Дороцкое",
            "Кочиеры",
            "Лунга",
            "Магала",
        ),
    ),
    District(
        "rybnitsa",
        "Рыбницкое УНО",
        "Рыбницкая",
        10,
        (
            "Ержово",
            "Попенки",
            "Выхватинцы",
            "Мокра",
            "Колбасна",
            "Маяк",
            "Ульма",
            "Плоть",
            "Большой Молокиш",
            "Малый Молокиш",
            "Жура",
            "Гидирим",
            "Андреевка",
            "Мокра",
            "Белочи",
            "Ивановка",
            "Сарацея",
            "Строенцы",
            "Красненькое",
            "Воронково",
        ),
    ),
    District(
        "kamenka",
        "Районное управление народного образования (г. Каменка)",
        "Каменская",
        3,
        (
            "Рашково",
            "Кузьмин",
            "Подойма",
            "Хрустовая",
            "Катериновка",
            "Грушка",
            "Слобода-Рашково",
            "Окница",
            "Подоймица",
            "Валя-Адынкэ",
            "Карагаш",
            "Кузьмин",
            "Сухая Рыбница",
            "Янтарное",
        ),
    ),
)

# Invented people: (family name for a man, for a woman) and given names and
# patronymics by gender, so that every demo name agrees with itself.
SURNAMES = (
    ("Морозов", "Морозова"),
    ("Волков", "Волкова"),
    ("Лебедев", "Лебедева"),
    ("Кузнецов", "Кузнецова"),
    ("Ткаченко", "Ткаченко"),
    ("Бондаренко", "Бондаренко"),
    ("Руснак", "Руснак"),
    ("Чебан", "Чебан"),
    ("Гуцу", "Гуцу"),
    ("Мельник", "Мельник"),
    ("Сырбу", "Сырбу"),
    ("Попов", "Попова"),
    ("Шевченко", "Шевченко"),
    ("Романов", "Романова"),
    ("Ковальчук", "Ковальчук"),
    ("Стратан", "Стратан"),
)
GIVEN_NAMES = {
    "male": ("Сергей", "Андрей", "Игорь", "Виктор", "Николай", "Дмитрий", "Александр"),
    "female": (
        "Анна",
        "Елена",
        "Ольга",
        "Ирина",
        "Наталья",
        "Светлана",
        "Татьяна",
        "Марина",
        "Юлия",
        "Людмила",
        "Валентина",
        "Оксана",
        "Галина",
    ),
}
PATRONYMICS = {
    "male": ("Иванович", "Петрович", "Сергеевич", "Николаевич", "Викторович"),
    "female": (
        "Ивановна",
        "Петровна",
        "Сергеевна",
        "Николаевна",
        "Викторовна",
        "Андреевна",
        "Васильевна",
        "Михайловна",
    ),
}


@dataclass
class DemoPeople:
    """Who is who in the demo, to attribute history believably."""

    heads: dict[int, int]
    executors: dict[tuple[int, Role], int]


def seed(session: Session, today: date | None = None) -> str:
    """Build the whole demo; returns a one-paragraph summary to print."""
    today = today or local_today()
    chance = random.Random(289)
    ministry, people = _build_republic(session, chance)

    first_year = today.year if today.month >= 8 else today.year - 1
    years = first_year - SEED_FIRST_YEAR
    parsed = parse_plan(SEED_PLAN.read_bytes(), SEED_PLAN.name)
    plan = store_plan(session, rolled_over(parsed, years), SEED_PLAN.name)
    calendar = load_calendar(SEED_FIRST_YEAR).shifted(years)
    result = publish(session, plan, calendar)
    moved = _play_history(session, plan.id, people, today, chance)

    counts = session.execute(
        select(Organisation.level, Organisation.id).where(
            Organisation.path.startswith(ministry.path)
        )
    ).all()
    schools = sum(1 for level, _ in counts if level is Level.SCHOOL)
    return (
        f"Demo republic: {len(counts)} organisations ({schools} schools), "
        f"plan «{plan.title[:60]}…» for {plan.school_year}: "
        f"{result.created} tasks, {moved} with history. "
        f"Sign in as admin@{DOMAIN} with password {DEMO_PASSWORD}."
    )


def _person_name(chance: random.Random) -> str:
    # Most teachers in the republic's schools are women; the demo follows.
    gender = "female" if chance.random() < 0.75 else "male"
    male_surname, female_surname = chance.choice(SURNAMES)
    surname = female_surname if gender == "female" else male_surname
    given = chance.choice(GIVEN_NAMES[gender])
    return f"{surname} {given} {chance.choice(PATRONYMICS[gender])}"


def _build_republic(
    session: Session, chance: random.Random
) -> tuple[Organisation, DemoPeople]:
    password_hash = hash_password(DEMO_PASSWORD)
    people: list[dict[str, Any]] = []
    memberships: list[tuple[str, int, Role]] = []

    def person(
        email: str, org: Organisation, role: Role, name: str | None = None
    ) -> None:
        people.append(
            {
                "email": email,
                "name": name or _person_name(chance),
                "password_hash": password_hash,
                "active": True,
            }
        )
        memberships.append((email, org.id, role))

    ministry = add_organisation(
        session,
        "mp-pmr",
        "Министерство просвещения Приднестровской Молдавской Республики",
        Level.MINISTRY,
        short_name="МП ПМР",
    )
    person(f"admin@{DOMAIN}", ministry, Role.MINISTRY_ADMIN)
    person(f"ministry@{DOMAIN}", ministry, Role.MINISTRY_SPECIALIST)
    person(f"ministry2@{DOMAIN}", ministry, Role.MINISTRY_SPECIALIST)
    for code, name, short in (
        ("cit", "ГУП «Центр информационных технологий» МП ПМР", "ГУП «ЦИТ»"),
        (
            "iroipk",
            "ГОУ ДПО «Институт развития образования и повышения квалификации»",
            "ИРОиПК",
        ),
    ):
        agency = add_organisation(session, code, name, Level.AGENCY, ministry, short)
        person(f"{code}@{DOMAIN}", agency, Role.AGENCY_STAFF)

    for district in DISTRICTS:
        office = add_organisation(
            session,
            f"uno-{district.code}",
            district.name,
            Level.DISTRICT,
            ministry,
            f"УНО {district.town_adjective.removesuffix('ая')}ое",
        )
        person(f"uno.{district.code}@{DOMAIN}", office, Role.DISTRICT_SPECIALIST)
        person(f"uno2.{district.code}@{DOMAIN}", office, Role.DISTRICT_SPECIALIST)
        for number, short in enumerate(_school_names(district, chance), start=1):
            code = f"{district.code}-{number:02d}"
            school = add_organisation(
                session, code, f"МОУ «{short}»", Level.SCHOOL, office, short
            )
            person(f"head.{code}@{DOMAIN}", school, Role.SCHOOL_HEAD)
            person(f"deputy.{code}@{DOMAIN}", school, Role.DEPUTY_HEAD)
            person(f"ict.{code}@{DOMAIN}", school, Role.ICT_METHODIST)
            person(f"classteacher.{code}@{DOMAIN}", school, Role.CLASS_TEACHER)
            person(f"teacher.{code}@{DOMAIN}", school, Role.TEACHER)

    session.execute(insert(Person), people)
    ids = {
        email: person_id
        for email, person_id in session.execute(select(Person.email, Person.id))
    }
    session.execute(
        insert(Membership),
        [
            {"person_id": ids[email], "org_id": org_id, "role": role}
            for email, org_id, role in memberships
        ],
    )
    return ministry, _demo_people(memberships, ids)


def _school_names(district: District, chance: random.Random) -> list[str]:
    names: list[str] = []
    for number in range(1, district.town_schools + 1):
        kind = chance.random()
        if kind < 0.12:
            names.append(
                f"{district.town_adjective.removesuffix('ая')}ая гимназия № {number}"
            )
        elif kind < 0.2:
            adjective = district.town_adjective.removesuffix("ая")
            names.append(f"{adjective}ий теоретический лицей № {number}")
        else:
            names.append(f"{district.town_adjective} СОШ № {number}")
    seen: dict[str, int] = {}
    for village in district.villages:
        seen[village] = seen.get(village, 0) + 1
        school_type = "ООШ" if chance.random() < 0.3 else "СОШ"
        suffix = f" № {seen[village]}" if seen[village] > 1 else ""
        names.append(f"{school_type}{suffix} с. {village}")
    return names


def _demo_people(
    memberships: list[tuple[str, int, Role]], ids: dict[str, int]
) -> DemoPeople:
    heads: dict[int, int] = {}
    executors: dict[tuple[int, Role], int] = {}
    for email, org_id, role in memberships:
        executors.setdefault((org_id, role), ids[email])
        if role in HEAD_ROLES.values():
            heads.setdefault(org_id, ids[email])
    return DemoPeople(heads, executors)


def _play_history(
    session: Session,
    plan_id: int,
    people: DemoPeople,
    today: date,
    chance: random.Random,
) -> int:
    """Move tasks due before (or soon after) today on, with audit records."""
    rows = session.execute(
        select(
            Task.id,
            Task.due,
            Task.start,
            Organisation.id,
            Organisation.parent_id,
            Item.parties,
        )
        .join(Organisation, Organisation.id == Task.org_id)
        .join(Item, Item.id == Task.item_id)
        .where(Task.plan_id == plan_id)
    ).all()

    audit: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for task_id, due, start, org_id, parent_id, parties in rows:
        state = _believable_state(due, start, today, chance)
        if state is State.PLANNED:
            continue
        executor = _executor(people, org_id, parties)
        approver = _approver(people, org_id, parent_id)
        moment = datetime.combine(start or due or today, time(9)) + timedelta(
            hours=chance.randint(0, 60)
        )
        steps = [(TriggerName.START, State.PLANNED, State.IN_PROGRESS, executor, "")]
        if state in (State.SUBMITTED, State.APPROVED):
            steps.append(
                (
                    TriggerName.SUBMIT,
                    State.IN_PROGRESS,
                    State.SUBMITTED,
                    executor,
                    "Выполнено, отчёт приложен.",
                )
            )
        if state is State.APPROVED:
            steps.append(
                (TriggerName.APPROVE, State.SUBMITTED, State.APPROVED, approver, "")
            )
        submitted_at = None
        for trigger, source, dest, actor, comment in steps:
            moment = min(
                moment + timedelta(days=chance.randint(1, 6)),
                datetime.combine(today, time(8)),
            )
            if trigger is TriggerName.SUBMIT:
                submitted_at = moment
            audit.append(
                {
                    "task_id": task_id,
                    "trigger_name": trigger.value,
                    "from_state": source,
                    "to_state": dest,
                    "actor_id": actor[0],
                    "role_used": actor[1],
                    "created_at": moment,
                    "comment": comment,
                }
            )
        changes.append(
            {
                "task_id": task_id,
                "state": state,
                "version": 1 + len(steps),
                "submitted_by": executor[0] if len(steps) > 1 else None,
                "submitted_at": submitted_at,
                "updated_at": moment,
            }
        )

    if audit:
        session.execute(insert(AuditRecord), audit)
    for change in changes:
        session.execute(
            update(Task)
            .where(Task.id == change["task_id"])
            .values(
                state=change["state"],
                version=change["version"],
                submitted_by_id=change["submitted_by"],
                submitted_at=change["submitted_at"],
                updated_at=change["updated_at"],
            )
        )
    return len(changes)


def _believable_state(
    due: date | None, start: date | None, today: date, chance: random.Random
) -> State:
    if due is None or (start is not None and start > today):
        return State.PLANNED
    days_left = (due - today).days
    roll = chance.random()
    if days_left < -30:
        return (
            State.APPROVED
            if roll < 0.85
            else (State.SUBMITTED if roll < 0.9 else State.IN_PROGRESS)
        )
    if days_left < 0:
        return (
            State.APPROVED
            if roll < 0.5
            else (
                State.SUBMITTED
                if roll < 0.7
                else (State.IN_PROGRESS if roll < 0.9 else State.PLANNED)
            )
        )
    if days_left < 30:
        return (
            State.IN_PROGRESS
            if roll < 0.3
            else (State.SUBMITTED if roll < 0.4 else State.PLANNED)
        )
    return State.PLANNED


def _approver(
    people: DemoPeople, org_id: int, parent_id: int | None
) -> tuple[int, Role]:
    """The person who approves: the parent's specialist, or the ministry admin."""
    if parent_id is None:
        return people.executors[(org_id, Role.MINISTRY_ADMIN)], Role.MINISTRY_ADMIN
    for role in APPROVER_ROLES.values():
        if (parent_id, role) in people.executors:
            return people.executors[(parent_id, role)], role
    raise LookupError(f"Organisation {parent_id} has no approver in the demo.")


def _executor(
    people: DemoPeople, org_id: int, parties: list[dict[str, Any]]
) -> tuple[int, Role]:
    for party in parties:
        role = party.get("role")
        if role and (org_id, Role(role)) in people.executors:
            return people.executors[(org_id, Role(role))], Role(role)
    head = people.heads[org_id]
    for (org, role), person_id in people.executors.items():
        if org == org_id and person_id == head:
            return head, role
    raise LookupError(f"Organisation {org_id} has no head in the demo.")
