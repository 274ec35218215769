"""The sign-off state machine, defined once with the `transitions` library.

The same definition answers "may this person fire this trigger?" on the server
and "which columns may this card go to?" on the board.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from transitions import Machine, Transition

from workflow.enums import State, TriggerName


class Actor(StrEnum):
    """Who may fire a trigger, in the words of DESIGN.md's table."""

    EXECUTOR = "executor"  # any executor of the task
    LEAD = "lead"  # the item's lead role in the task's organisation, or its head
    APPROVER = "approver"  # the supervising level, never the submitter
    ADMIN = "admin"  # the ministry admin


class SignOffTransition(Transition):
    """A transition that also says who fires it and what it needs."""

    def __init__(
        self,
        source: str,
        dest: str,
        conditions: Any = None,
        unless: Any = None,
        before: Any = None,
        after: Any = None,
        prepare: Any = None,
        actor: Actor = Actor.EXECUTOR,
        needs_comment: bool = False,
        needs_evidence: bool = False,
    ) -> None:
        super().__init__(source, dest, conditions, unless, before, after, prepare)
        self.actor = actor
        self.needs_comment = needs_comment
        self.needs_evidence = needs_evidence


class SignOffMachine(Machine):
    """A model-less machine whose transitions carry sign-off rules."""

    transition_cls = SignOffTransition


SIGN_OFF_TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": TriggerName.START.value,
        "source": State.PLANNED.value,
        "dest": State.IN_PROGRESS.value,
        "actor": Actor.EXECUTOR,
    },
    {
        "trigger": TriggerName.SUBMIT.value,
        "source": State.IN_PROGRESS.value,
        "dest": State.SUBMITTED.value,
        "actor": Actor.LEAD,
        "needs_comment": True,
        "needs_evidence": True,
    },
    {
        "trigger": TriggerName.APPROVE.value,
        "source": State.SUBMITTED.value,
        "dest": State.APPROVED.value,
        "actor": Actor.APPROVER,
    },
    {
        "trigger": TriggerName.SEND_BACK.value,
        "source": State.SUBMITTED.value,
        "dest": State.IN_PROGRESS.value,
        "actor": Actor.APPROVER,
        "needs_comment": True,
    },
    {
        "trigger": TriggerName.REOPEN.value,
        "source": State.APPROVED.value,
        "dest": State.IN_PROGRESS.value,
        "actor": Actor.ADMIN,
        "needs_comment": True,
    },
]

MACHINE = SignOffMachine(
    model=None,
    states=[state.value for state in State],
    transitions=SIGN_OFF_TRANSITIONS,
    initial=State.PLANNED.value,
    auto_transitions=False,
)


def transition_for(trigger: TriggerName, source: State) -> SignOffTransition | None:
    """Return the transition that `trigger` makes from `source`, if there is one."""
    found = MACHINE.get_transitions(trigger=trigger.value, source=source.value)
    return cast(SignOffTransition, found[0]) if found else None


def rule_of(trigger: TriggerName) -> SignOffTransition:
    """Return any transition of `trigger`: they share who fires it and its needs."""
    found = MACHINE.get_transitions(trigger=trigger.value)
    return cast(SignOffTransition, found[0])


def describe() -> list[dict[str, str | bool]]:
    """List every transition as plain data, for pages that draw the workflow."""
    rows: list[dict[str, str | bool]] = []
    for trigger in TriggerName:
        for found in MACHINE.get_transitions(trigger=trigger.value):
            transition = cast(SignOffTransition, found)
            rows.append(
                {
                    "trigger": trigger.value,
                    "source": transition.source,
                    "dest": str(transition.dest),
                    "actor": transition.actor.value,
                    "needs_comment": transition.needs_comment,
                    "needs_evidence": transition.needs_evidence,
                }
            )
    return rows
