"""The one way to query tasks: always within the person's scope.

A person sees the subtree of the organisations they belong to. An id that
arrives in a request goes through `task_in_scope`, which answers "not found"
for a task outside the scope, exactly as for one that does not exist.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, contains_eager

from workflow.clock import local_today
from workflow.errors import NotFoundError
from workflow.models import Organisation, Task
from workflow.signoff import PersonFacts
from workflow.substitutes import absent_people_for, roles_of_people


def person_facts(
    session: Session, person_id: int, today: date | None = None
) -> PersonFacts:
    """Load a person's roles per organisation, their stand-ins and their scope."""
    people = [person_id, *absent_people_for(session, person_id, today or local_today())]
    roles, paths = roles_of_people(session, people)
    own = roles.pop(person_id, {})

    # A path inside another one adds nothing to the scope.
    kept = tuple(
        sorted(p for p in paths if not any(p != o and p.startswith(o) for o in paths))
    )
    return PersonFacts(
        person_id=person_id, roles_by_org=own, org_paths=kept, stand_ins=roles
    )


def in_scope(
    person: PersonFacts, path_column: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    """A condition that holds for organisations inside the person's subtrees."""
    if not person.org_paths:
        return false()
    return or_(*(path_column.startswith(path) for path in person.org_paths))


def scoped_tasks(person: PersonFacts) -> Select[Task]:
    """Select the tasks the person may see, with organisation and item loaded."""
    return (
        select(Task)
        .join(Task.organisation)
        .join(Task.item)
        .where(in_scope(person, Organisation.path))
        .options(contains_eager(Task.organisation), contains_eager(Task.item))
    )


def task_in_scope(session: Session, person: PersonFacts, task_id: int) -> Task:
    """Load one task if the person may see it; otherwise raise NotFoundError."""
    task = session.scalars(scoped_tasks(person).where(Task.id == task_id)).first()
    if task is None:
        raise NotFoundError(f"Task {task_id} was not found.")
    return task
