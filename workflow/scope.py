"""The one way to query tasks: always within the person's scope.

A person sees the subtree of the organisations they belong to. An id that
arrives in a request goes through `task_in_scope`, which answers "not found"
for a task outside the scope, exactly as for one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, contains_eager

from workflow.enums import Role
from workflow.errors import NotFoundError
from workflow.models import Membership, Organisation, Task
from workflow.signoff import PersonFacts


def person_facts(session: Session, person_id: int) -> PersonFacts:
    """Load a person's roles per organisation and the paths of those organisations."""
    rows = session.execute(
        select(Membership.org_id, Membership.role, Organisation.path)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.person_id == person_id)
    ).all()

    roles: dict[int, set[Role]] = defaultdict(set)
    paths: set[str] = set()
    for org_id, role, path in rows:
        roles[org_id].add(Role(role))
        paths.add(path)

    # A path inside another one adds nothing to the scope.
    kept = tuple(
        sorted(p for p in paths if not any(p != o and p.startswith(o) for o in paths))
    )
    frozen = {org_id: frozenset(found) for org_id, found in roles.items()}
    return PersonFacts(person_id=person_id, roles_by_org=frozen, org_paths=kept)


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
