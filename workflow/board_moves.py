"""Where a card may go: the board's columns open or closed, from decide().

The machine says which trigger leads from one state to another; decide()
says whether this person may fire it now, or why not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workflow.enums import State, TriggerName
from workflow.machine import transition_for
from workflow.signoff import Decision, Refusal

# The reason a column is closed when no trigger leads there at all.
NO_PATH = "no_path"


@dataclass(frozen=True)
class Move:
    """Whether a card may go to one column, by which trigger, and what it needs."""

    dest: State
    trigger: TriggerName | None
    allowed: bool
    refusal: str | None = None
    needs_comment: bool = False
    needs_evidence: bool = False


def moves_of(state: State, decisions: Iterable[Decision]) -> tuple[Move, ...]:
    """For every other column, whether the card may go there, from decide().

    A submit refused only for want of evidence stays open: dropping the card
    there asks for the file together with the comment.
    """
    by_trigger = {decision.trigger: decision for decision in decisions}
    moves: list[Move] = []
    for dest in State:
        if dest is state:
            continue
        decision = _decision_towards(state, dest, by_trigger)
        if decision is None:
            moves.append(Move(dest, None, False, NO_PATH))
            continue
        evidence_only = decision.refusal is Refusal.EVIDENCE_MISSING
        moves.append(
            Move(
                dest,
                decision.trigger,
                decision.allowed or evidence_only,
                None if decision.allowed or evidence_only else str(decision.refusal),
                decision.needs_comment,
                evidence_only,
            )
        )
    return tuple(moves)


# Which trigger leads from one state to another, read once from the machine.
TRIGGER_BETWEEN: dict[tuple[State, State], TriggerName] = {
    (source, State(str(transition.dest))): trigger
    for trigger in TriggerName
    for source in State
    if (transition := transition_for(trigger, source)) is not None
}


def _decision_towards(
    state: State, dest: State, by_trigger: Mapping[TriggerName, Decision]
) -> Decision | None:
    trigger = TRIGGER_BETWEEN.get((state, dest))
    return by_trigger.get(trigger) if trigger is not None else None


def needs_action(decisions: Iterable[Decision]) -> bool:
    """Whether the person has to act on the task next (reopening does not count)."""
    return any(
        decision.allowed or decision.refusal is Refusal.EVIDENCE_MISSING
        for decision in decisions
        if decision.trigger is not TriggerName.REOPEN
    )
