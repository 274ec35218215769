"""The vocabulary of the domain as string enums: states, triggers, roles, levels."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a task stands in its sign-off."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class TriggerName(StrEnum):
    """The events that move a task from one state to another."""

    START = "start"
    SUBMIT = "submit"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    REOPEN = "reopen"


class Level(StrEnum):
    """The level of an organisation in the republic's hierarchy."""

    MINISTRY = "ministry"
    AGENCY = "agency"
    DISTRICT = "district"
    SCHOOL = "school"


class Role(StrEnum):
    """What a person does in one organisation (see DESIGN.md, "Who uses it")."""

    MINISTRY_ADMIN = "ministry_admin"
    MINISTRY_SPECIALIST = "ministry_specialist"
    AGENCY_STAFF = "agency_staff"
    DISTRICT_SPECIALIST = "district_specialist"
    SCHOOL_HEAD = "school_head"
    DEPUTY_HEAD = "deputy_head"
    ICT_METHODIST = "ict_methodist"
    CLASS_TEACHER = "class_teacher"
    TEACHER = "teacher"

    @property
    def level(self) -> Level:
        """The level of organisation where this role is held."""
        return ROLE_LEVELS[self]


ROLE_LEVELS: dict[Role, Level] = {
    Role.MINISTRY_ADMIN: Level.MINISTRY,
    Role.MINISTRY_SPECIALIST: Level.MINISTRY,
    Role.AGENCY_STAFF: Level.AGENCY,
    Role.DISTRICT_SPECIALIST: Level.DISTRICT,
    Role.SCHOOL_HEAD: Level.SCHOOL,
    Role.DEPUTY_HEAD: Level.SCHOOL,
    Role.ICT_METHODIST: Level.SCHOOL,
    Role.CLASS_TEACHER: Level.SCHOOL,
    Role.TEACHER: Level.SCHOOL,
}

# The role that heads an organisation of each level: it executes every task of
# its organisation and signs it off.
HEAD_ROLES: dict[Level, Role] = {
    Level.MINISTRY: Role.MINISTRY_SPECIALIST,
    Level.AGENCY: Role.AGENCY_STAFF,
    Level.DISTRICT: Role.DISTRICT_SPECIALIST,
    Level.SCHOOL: Role.SCHOOL_HEAD,
}


class Recurrence(StrEnum):
    """How a measure repeats; each period becomes a task of its own."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SCHOOL_QUARTER = "school_quarter"
    YEARLY = "yearly"
