"""Who may fire which trigger on a task, and why not.

Everything here is decided from plain facts (the person's memberships and the
task's organisation and item), so the same answer serves the task page, the
API and the board without touching the database again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from workflow.enums import HEAD_ROLES, ROLE_LEVELS, Level, Role, State, TriggerName
from workflow.machine import Actor, rule_of, transition_for

# The role that approves the tasks of an organisation, by the level of the
# organisation above it (the supervisor). A ministry task has no supervisor
# and is approved by the ministry admin.
APPROVER_ROLES: dict[Level, Role] = {
    Level.MINISTRY: Role.MINISTRY_SPECIALIST,
    Level.DISTRICT: Role.DISTRICT_SPECIALIST,
    Level.AGENCY: Role.AGENCY_STAFF,
}


class Refusal(StrEnum):
    """Why a trigger may not be fired now; pages turn these into sentences."""

    WRONG_STATE = "wrong_state"
    NOT_EXECUTOR = "not_executor"
    NOT_LEAD = "not_lead"
    NOT_APPROVER = "not_approver"
    OWN_SUBMISSION = "own_submission"
    NOT_ADMIN = "not_admin"
    EVIDENCE_MISSING = "evidence_missing"


@dataclass(frozen=True)
class PersonFacts:
    """What is known of a person when deciding: their roles in each organisation."""

    person_id: int
    roles_by_org: Mapping[int, frozenset[Role]]
    # Materialised paths of the organisations the person belongs to, and of
    # those of the people they stand in for.
    org_paths: tuple[str, ...] = ()
    # The absent people this person substitutes for today (a chain resolved),
    # each with their roles per organisation.
    stand_ins: Mapping[int, Mapping[int, frozenset[Role]]] = field(default_factory=dict)

    def roles_in(self, org_id: int | None) -> frozenset[Role]:
        """The person's roles in one organisation."""
        if org_id is None:
            return frozenset()
        return self.roles_by_org.get(org_id, frozenset())

    def holds_anywhere(self, role: Role) -> bool:
        """Whether the person holds `role` in any organisation."""
        return any(role in roles for roles in self.roles_by_org.values())


@dataclass(frozen=True)
class TaskFacts:
    """What is known of a task when deciding."""

    state: State
    org_id: int
    org_level: Level
    parent_org_id: int | None
    parent_org_level: Level | None
    item_roles: tuple[Role, ...]
    submitted_by_id: int | None = None
    requires_evidence: bool = False
    evidence_count: int = 0


@dataclass(frozen=True)
class Decision:
    """The answer for one trigger: allowed (with the role that allows it) or not."""

    trigger: TriggerName
    allowed: bool
    dest: State | None
    role: Role | None = None
    refusal: Refusal | None = None
    needs_comment: bool = False
    needs_evidence: bool = False
    # The absent person whose role allows it, when the person is a substitute.
    on_behalf_of: int | None = None


@dataclass(frozen=True)
class Parties:
    """The roles that execute, lead and approve a task."""

    executors: tuple[Role, ...]
    leads: tuple[Role, ...]
    approver_org_id: int
    approver_roles: tuple[Role, ...] = field(default_factory=tuple)


def parties_of(task: TaskFacts) -> Parties:
    """Work out the executor, lead and approver roles of a task."""
    head = HEAD_ROLES[task.org_level]
    named_here = [
        role for role in task.item_roles if ROLE_LEVELS[role] is task.org_level
    ]
    executors = _unique([head, *named_here])
    lead = named_here[:1]
    leads = _unique([*lead, head])

    if task.parent_org_id is None or task.parent_org_level is None:
        return Parties(executors, leads, task.org_id, (Role.MINISTRY_ADMIN,))
    approver = APPROVER_ROLES.get(
        task.parent_org_level, HEAD_ROLES[task.parent_org_level]
    )
    return Parties(executors, leads, task.parent_org_id, (approver,))


def decide(person: PersonFacts, task: TaskFacts) -> list[Decision]:
    """Answer, for every trigger, whether this person may fire it on this task now."""
    return [decide_one(person, task, trigger) for trigger in TriggerName]


def decide_one(person: PersonFacts, task: TaskFacts, trigger: TriggerName) -> Decision:
    """Answer whether this person may fire one trigger on this task now."""
    rule = rule_of(trigger)
    needs_evidence = rule.needs_evidence and task.requires_evidence
    transition = transition_for(trigger, task.state)

    def refuse(refusal: Refusal) -> Decision:
        return Decision(
            trigger,
            False,
            None,
            refusal=refusal,
            needs_comment=rule.needs_comment,
            needs_evidence=needs_evidence,
        )

    if transition is None:
        return refuse(Refusal.WRONG_STATE)

    role, on_behalf_of, refusal = acting_role(person, task, rule.actor)
    if role is None:
        return refuse(refusal or Refusal.NOT_EXECUTOR)

    if needs_evidence and task.evidence_count == 0:
        return refuse(Refusal.EVIDENCE_MISSING)

    return Decision(
        trigger,
        True,
        State(str(transition.dest)),
        role=role,
        needs_comment=rule.needs_comment,
        needs_evidence=needs_evidence,
        on_behalf_of=on_behalf_of,
    )


def acting_role(
    person: PersonFacts, task: TaskFacts, actor: Actor
) -> tuple[Role | None, int | None, Refusal | None]:
    """The role by which the person acts as `actor`, and for whom, or the refusal.

    A substitute may do what the absent person may do; the substitute's own
    refusal stands when no absence allows it either.
    """
    role, refusal = _authorise(person, task, actor)
    if role is not None:
        return role, None, None
    for absent_id, roles_by_org in person.stand_ins.items():
        stand_in, _refusal = _authorise(
            PersonFacts(absent_id, roles_by_org), task, actor
        )
        if stand_in is None:
            continue
        if actor is Actor.APPROVER and task.submitted_by_id == person.person_id:
            return None, None, Refusal.OWN_SUBMISSION
        return stand_in, absent_id, None
    return None, None, refusal


def _authorise(
    person: PersonFacts, task: TaskFacts, actor: Actor
) -> tuple[Role | None, Refusal | None]:
    """Find the role by which the person acts as `actor`, or the refusal."""
    parties = parties_of(task)

    if actor is Actor.EXECUTOR:
        role = _first_held(person.roles_in(task.org_id), parties.executors)
        return role, None if role else Refusal.NOT_EXECUTOR

    if actor is Actor.LEAD:
        role = _first_held(person.roles_in(task.org_id), parties.leads)
        return role, None if role else Refusal.NOT_LEAD

    if actor is Actor.APPROVER:
        held = person.roles_in(parties.approver_org_id)
        role = _first_held(held, parties.approver_roles)
        if role is None:
            return None, Refusal.NOT_APPROVER
        if task.submitted_by_id == person.person_id:
            return None, Refusal.OWN_SUBMISSION
        return role, None

    if person.holds_anywhere(Role.MINISTRY_ADMIN):
        return Role.MINISTRY_ADMIN, None
    return None, Refusal.NOT_ADMIN


def _first_held(held: frozenset[Role], wanted: Iterable[Role]) -> Role | None:
    return next((role for role in wanted if role in held), None)


def _unique(roles: Iterable[Role]) -> tuple[Role, ...]:
    return tuple(dict.fromkeys(roles))
