"""The role × trigger matrix, decided from facts alone."""

from __future__ import annotations

import pytest

from workflow.enums import Level, Role, State, TriggerName
from workflow.signoff import PersonFacts, Refusal, TaskFacts, decide, decide_one

MINISTRY, CIT, DISTRICT, OTHER_DISTRICT, SCHOOL = 1, 2, 3, 4, 5
ORG_OF_ROLE = {
    Role.MINISTRY_ADMIN: MINISTRY,
    Role.MINISTRY_SPECIALIST: MINISTRY,
    Role.AGENCY_STAFF: CIT,
    Role.DISTRICT_SPECIALIST: DISTRICT,
    Role.SCHOOL_HEAD: SCHOOL,
    Role.DEPUTY_HEAD: SCHOOL,
    Role.ICT_METHODIST: SCHOOL,
    Role.CLASS_TEACHER: SCHOOL,
    Role.TEACHER: SCHOOL,
}
START_STATE = {
    TriggerName.START: State.PLANNED,
    TriggerName.SUBMIT: State.IN_PROGRESS,
    TriggerName.APPROVE: State.SUBMITTED,
    TriggerName.SEND_BACK: State.SUBMITTED,
    TriggerName.REOPEN: State.APPROVED,
}


def person_with(
    role: Role, org_id: int | None = None, person_id: int = 100
) -> PersonFacts:
    return PersonFacts(
        person_id=person_id,
        roles_by_org={org_id or ORG_OF_ROLE[role]: frozenset({role})},
    )


def school_task(state: State, **extra: object) -> TaskFacts:
    """A school task of an item that names the deputy head (lead) and class teachers."""
    return TaskFacts(
        state=state,
        org_id=SCHOOL,
        org_level=Level.SCHOOL,
        parent_org_id=DISTRICT,
        parent_org_level=Level.DISTRICT,
        item_roles=(Role.DEPUTY_HEAD, Role.CLASS_TEACHER, Role.AGENCY_STAFF),
        **extra,
    )


ALLOWED = None
SCHOOL_MATRIX: dict[TriggerName, dict[Role, Refusal | None]] = {
    TriggerName.START: {
        Role.SCHOOL_HEAD: ALLOWED,
        Role.DEPUTY_HEAD: ALLOWED,
        Role.CLASS_TEACHER: ALLOWED,
        Role.ICT_METHODIST: Refusal.NOT_EXECUTOR,
        Role.TEACHER: Refusal.NOT_EXECUTOR,
        Role.DISTRICT_SPECIALIST: Refusal.NOT_EXECUTOR,
        Role.AGENCY_STAFF: Refusal.NOT_EXECUTOR,
        Role.MINISTRY_SPECIALIST: Refusal.NOT_EXECUTOR,
        Role.MINISTRY_ADMIN: Refusal.NOT_EXECUTOR,
    },
    TriggerName.SUBMIT: {
        Role.SCHOOL_HEAD: ALLOWED,
        Role.DEPUTY_HEAD: ALLOWED,
        Role.CLASS_TEACHER: Refusal.NOT_LEAD,
        Role.ICT_METHODIST: Refusal.NOT_LEAD,
        Role.TEACHER: Refusal.NOT_LEAD,
        Role.DISTRICT_SPECIALIST: Refusal.NOT_LEAD,
        Role.AGENCY_STAFF: Refusal.NOT_LEAD,
        Role.MINISTRY_SPECIALIST: Refusal.NOT_LEAD,
        Role.MINISTRY_ADMIN: Refusal.NOT_LEAD,
    },
    TriggerName.APPROVE: {
        Role.DISTRICT_SPECIALIST: ALLOWED,
        Role.SCHOOL_HEAD: Refusal.NOT_APPROVER,
        Role.DEPUTY_HEAD: Refusal.NOT_APPROVER,
        Role.CLASS_TEACHER: Refusal.NOT_APPROVER,
        Role.ICT_METHODIST: Refusal.NOT_APPROVER,
        Role.TEACHER: Refusal.NOT_APPROVER,
        Role.AGENCY_STAFF: Refusal.NOT_APPROVER,
        Role.MINISTRY_SPECIALIST: Refusal.NOT_APPROVER,
        Role.MINISTRY_ADMIN: Refusal.NOT_APPROVER,
    },
    TriggerName.REOPEN: {
        Role.MINISTRY_ADMIN: ALLOWED,
        Role.MINISTRY_SPECIALIST: Refusal.NOT_ADMIN,
        Role.DISTRICT_SPECIALIST: Refusal.NOT_ADMIN,
        Role.AGENCY_STAFF: Refusal.NOT_ADMIN,
        Role.SCHOOL_HEAD: Refusal.NOT_ADMIN,
        Role.DEPUTY_HEAD: Refusal.NOT_ADMIN,
        Role.CLASS_TEACHER: Refusal.NOT_ADMIN,
        Role.ICT_METHODIST: Refusal.NOT_ADMIN,
        Role.TEACHER: Refusal.NOT_ADMIN,
    },
}
SCHOOL_MATRIX[TriggerName.SEND_BACK] = dict(SCHOOL_MATRIX[TriggerName.APPROVE])

CASES = [
    (trigger, role, expected)
    for trigger, row in SCHOOL_MATRIX.items()
    for role, expected in row.items()
]


@pytest.mark.parametrize(("trigger", "role", "expected"), CASES)
def test_school_task_role_trigger_matrix(
    trigger: TriggerName, role: Role, expected: Refusal | None
) -> None:
    decision = decide_one(person_with(role), school_task(START_STATE[trigger]), trigger)

    assert decision.allowed is (expected is None)
    assert decision.refusal is expected
    if decision.allowed:
        assert decision.role is role
        assert decision.dest is not None


def test_matrix_covers_every_role_and_trigger() -> None:
    assert set(SCHOOL_MATRIX) == set(TriggerName)
    for row in SCHOOL_MATRIX.values():
        assert set(row) == set(Role)


@pytest.mark.parametrize("trigger", list(TriggerName))
def test_trigger_from_the_wrong_state_is_refused_as_wrong_state(
    trigger: TriggerName,
) -> None:
    wrong = next(state for state in State if state is not START_STATE[trigger])
    if trigger is TriggerName.APPROVE:
        wrong = State.IN_PROGRESS

    decision = decide_one(person_with(Role.SCHOOL_HEAD), school_task(wrong), trigger)

    assert not decision.allowed
    assert decision.refusal is Refusal.WRONG_STATE


def test_specialist_of_another_district_cannot_approve() -> None:
    stranger = person_with(Role.DISTRICT_SPECIALIST, org_id=OTHER_DISTRICT)

    decision = decide_one(stranger, school_task(State.SUBMITTED), TriggerName.APPROVE)

    assert decision.refusal is Refusal.NOT_APPROVER


def test_approver_cannot_approve_own_submission() -> None:
    # One person who heads the school and also works at its district office.
    both = PersonFacts(
        person_id=7,
        roles_by_org={
            SCHOOL: frozenset({Role.SCHOOL_HEAD}),
            DISTRICT: frozenset({Role.DISTRICT_SPECIALIST}),
        },
    )
    task = school_task(State.SUBMITTED, submitted_by_id=7)

    approve = decide_one(both, task, TriggerName.APPROVE)
    send_back = decide_one(both, task, TriggerName.SEND_BACK)
    by_colleague = decide_one(
        person_with(Role.DISTRICT_SPECIALIST, person_id=8), task, TriggerName.APPROVE
    )

    assert approve.refusal is Refusal.OWN_SUBMISSION
    assert send_back.refusal is Refusal.OWN_SUBMISSION
    assert by_colleague.allowed


def test_submit_send_back_and_reopen_need_a_comment() -> None:
    needs = {
        decision.trigger
        for decision in decide(
            person_with(Role.SCHOOL_HEAD), school_task(State.PLANNED)
        )
        if decision.needs_comment
    }

    assert needs == {TriggerName.SUBMIT, TriggerName.SEND_BACK, TriggerName.REOPEN}


def test_submit_without_required_evidence_is_refused() -> None:
    head = person_with(Role.SCHOOL_HEAD)
    bare = school_task(State.IN_PROGRESS, requires_evidence=True, evidence_count=0)
    attached = school_task(State.IN_PROGRESS, requires_evidence=True, evidence_count=1)

    assert (
        decide_one(head, bare, TriggerName.SUBMIT).refusal is Refusal.EVIDENCE_MISSING
    )
    assert decide_one(head, attached, TriggerName.SUBMIT).allowed


@pytest.mark.parametrize(
    ("org_level", "parent_level", "executor", "approver"),
    [
        (
            Level.DISTRICT,
            Level.MINISTRY,
            Role.DISTRICT_SPECIALIST,
            Role.MINISTRY_SPECIALIST,
        ),
        (Level.AGENCY, Level.MINISTRY, Role.AGENCY_STAFF, Role.MINISTRY_SPECIALIST),
        (Level.MINISTRY, None, Role.MINISTRY_SPECIALIST, Role.MINISTRY_ADMIN),
    ],
)
def test_upper_level_tasks_are_executed_there_and_approved_above(
    org_level: Level, parent_level: Level | None, executor: Role, approver: Role
) -> None:
    org_id = {Level.DISTRICT: DISTRICT, Level.AGENCY: CIT, Level.MINISTRY: MINISTRY}[
        org_level
    ]
    task_of = {
        "org_id": org_id,
        "org_level": org_level,
        "parent_org_id": MINISTRY if parent_level else None,
        "parent_org_level": parent_level,
        "item_roles": (executor,),
    }
    in_progress = TaskFacts(state=State.IN_PROGRESS, **task_of)
    submitted = TaskFacts(state=State.SUBMITTED, **task_of)

    doer = person_with(executor, org_id=org_id, person_id=1)
    checker = person_with(approver, org_id=MINISTRY, person_id=2)

    assert decide_one(doer, in_progress, TriggerName.SUBMIT).allowed
    assert not decide_one(checker, in_progress, TriggerName.SUBMIT).allowed
    assert decide_one(checker, submitted, TriggerName.APPROVE).allowed
    assert not decide_one(doer, submitted, TriggerName.APPROVE).allowed
