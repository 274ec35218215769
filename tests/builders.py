"""A small republic for tests: a ministry, an agency, two districts, four schools."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from workflow.accounts import add_membership, add_organisation, hash_password
from workflow.enums import Level, Role, State
from workflow.models import Item, Organisation, Person, Plan, PlanStatus, Task

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    """A value no other call returns, for unique codes and e-mails."""
    return f"{prefix}-{next(_serial)}"


@dataclass
class Republic:
    """Handles to everything the builder made, by a short name."""

    orgs: dict[str, Organisation] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    plan: Plan | None = None

    def person(self, name: str) -> Person:
        """A person by the short name the builder gave them."""
        return self.people[name]


def add_person(session: Session, republic: Republic, name: str, *roles: Any) -> Person:
    """Create a person holding each (organisation short name, role) given."""
    person = Person(
        email=f"{unique(name)}@test.example", name=name, password_hash=_HASH
    )
    session.add(person)
    for org_name, role in roles:
        add_membership(session, person, republic.orgs[org_name], role)
    republic.people[name] = person
    return person


def build_republic(session: Session) -> Republic:
    """Build organisations, people for every role, a plan with items, and tasks."""
    republic = Republic()
    orgs = republic.orgs
    orgs["ministry"] = add_organisation(
        session, unique("mp"), "Министерство", Level.MINISTRY
    )
    orgs["cit"] = add_organisation(
        session, unique("cit"), "ГУП «ЦИТ»", Level.AGENCY, orgs["ministry"]
    )
    for district in ("north", "south"):
        orgs[district] = add_organisation(
            session,
            unique(district),
            f"УНО {district}",
            Level.DISTRICT,
            orgs["ministry"],
        )
        for number in (1, 2):
            name = f"{district}-school-{number}"
            orgs[name] = add_organisation(
                session,
                unique(name),
                f"СОШ № {number} ({district})",
                Level.SCHOOL,
                orgs[district],
            )

    add_person(session, republic, "admin", ("ministry", Role.MINISTRY_ADMIN))
    add_person(session, republic, "minspec", ("ministry", Role.MINISTRY_SPECIALIST))
    add_person(session, republic, "minspec2", ("ministry", Role.MINISTRY_SPECIALIST))
    add_person(session, republic, "cit_staff", ("cit", Role.AGENCY_STAFF))
    for district in ("north", "south"):
        add_person(
            session, republic, f"uno_{district}", (district, Role.DISTRICT_SPECIALIST)
        )
        add_person(
            session, republic, f"uno_{district}_2", (district, Role.DISTRICT_SPECIALIST)
        )
    for school in ("north-school-1", "north-school-2", "south-school-1"):
        prefix = school.replace("-school-", "")
        add_person(session, republic, f"head_{prefix}", (school, Role.SCHOOL_HEAD))
        add_person(session, republic, f"deputy_{prefix}", (school, Role.DEPUTY_HEAD))
        add_person(session, republic, f"ict_{prefix}", (school, Role.ICT_METHODIST))
        add_person(session, republic, f"teacher_{prefix}", (school, Role.TEACHER))
        add_person(session, republic, f"class_{prefix}", (school, Role.CLASS_TEACHER))

    plan = Plan(
        title="Тестовый план", school_year="2021-2022", status=PlanStatus.PUBLISHED
    )
    session.add(plan)
    republic.plan = plan
    session.flush()

    def item(
        number: str, level: Level, *parties: tuple[Role, bool], **extra: Any
    ) -> Item:
        added = Item(
            plan_id=plan.id,
            number=number,
            position=len(republic.items),
            title=f"Мероприятие {number}",
            timing_text="до 15 сентября 2021",
            responsible_text=", ".join(role.value for role, _agreed in parties),
            level=level,
            parties=[
                {
                    "text": role.value,
                    "role": role.value,
                    "level": role.level.value,
                    "org_code": None,
                    "agreed": agreed,
                }
                for role, agreed in parties
            ],
            **extra,
        )
        session.add(added)
        republic.items[number] = added
        return added

    item("1", Level.MINISTRY, (Role.MINISTRY_SPECIALIST, False))
    item("2", Level.AGENCY, (Role.AGENCY_STAFF, False))
    item(
        "3",
        Level.DISTRICT,
        (Role.DISTRICT_SPECIALIST, False),
        (Role.AGENCY_STAFF, False),
    )
    item("4", Level.SCHOOL, (Role.SCHOOL_HEAD, False))
    item(
        "5",
        Level.SCHOOL,
        (Role.DEPUTY_HEAD, False),
        (Role.CLASS_TEACHER, False),
        (Role.AGENCY_STAFF, True),
    )
    item("6", Level.SCHOOL, (Role.ICT_METHODIST, False), requires_evidence=True)
    session.flush()
    return republic


def add_task(
    session: Session,
    republic: Republic,
    item_number: str,
    org_name: str,
    state: State = State.PLANNED,
    due: date | None = None,
    **extra: Any,
) -> Task:
    """Create one task of an item for an organisation."""
    assert republic.plan is not None
    task = Task(
        plan_id=republic.plan.id,
        item_id=republic.items[item_number].id,
        org_id=republic.orgs[org_name].id,
        period_label=unique("period"),
        start=date(2021, 9, 1),
        due=due or date(2021, 9, 15) + timedelta(days=next(_serial) % 5),
        state=state,
        **extra,
    )
    session.add(task)
    session.flush()
    return task
