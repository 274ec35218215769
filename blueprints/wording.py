"""Words a person reads for the domain's codes: states, triggers, roles, refusals."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from workflow.enums import Level, Role, State, TriggerName
from workflow.signoff import Decision, Refusal

STATE_NAMES: dict[State, LazyString] = {
    State.PLANNED: _l("Planned"),
    State.IN_PROGRESS: _l("In progress"),
    State.SUBMITTED: _l("Submitted"),
    State.APPROVED: _l("Approved"),
}

TRIGGER_NAMES: dict[TriggerName, LazyString] = {
    TriggerName.START: _l("Start"),
    TriggerName.SUBMIT: _l("Submit for approval"),
    TriggerName.APPROVE: _l("Approve"),
    TriggerName.SEND_BACK: _l("Send back"),
    TriggerName.REOPEN: _l("Reopen"),
}

COMMENT_PROMPTS: dict[TriggerName, LazyString] = {
    TriggerName.SUBMIT: _l("What was done"),
    TriggerName.SEND_BACK: _l("Why it is sent back"),
    TriggerName.REOPEN: _l("Why it is reopened"),
}

ROLE_NAMES: dict[Role, LazyString] = {
    Role.MINISTRY_ADMIN: _l("Ministry administrator"),
    Role.MINISTRY_SPECIALIST: _l("Ministry specialist"),
    Role.AGENCY_STAFF: _l("Agency staff"),
    Role.DISTRICT_SPECIALIST: _l("District education department specialist"),
    Role.SCHOOL_HEAD: _l("School head"),
    Role.DEPUTY_HEAD: _l("Deputy head for teaching"),
    Role.ICT_METHODIST: _l("ICT methodist"),
    Role.CLASS_TEACHER: _l("Class teacher"),
    Role.TEACHER: _l("Teacher"),
}

LEVEL_NAMES: dict[Level, LazyString] = {
    Level.MINISTRY: _l("Ministry"),
    Level.AGENCY: _l("Agency"),
    Level.DISTRICT: _l("District"),
    Level.SCHOOL: _l("School"),
}

REFUSALS: dict[Refusal, LazyString] = {
    Refusal.WRONG_STATE: _l("The task is not in a state where this can be done."),
    Refusal.NOT_EXECUTOR: _l(
        "Only the executors of the task in its organisation can do this."
    ),
    Refusal.NOT_LEAD: _l(
        "Only the lead role named by the item, or the head of the organisation, "
        "can submit this task."
    ),
    Refusal.NOT_APPROVER: _l(
        "Only the supervising organisation's specialists can approve or send back."
    ),
    Refusal.OWN_SUBMISSION: _l(
        "You submitted this task, so someone else must approve it."
    ),
    Refusal.NOT_ADMIN: _l(
        "Only the ministry administrator can reopen an approved task."
    ),
    Refusal.EVIDENCE_MISSING: _l(
        "This item needs evidence: attach a file before submitting."
    ),
}


def refusal_text(decision: Decision) -> str:
    """The sentence that explains a refused decision."""
    if decision.refusal is None:
        return ""
    return str(REFUSALS[decision.refusal])
