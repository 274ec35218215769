"""Reviewing an imported plan: what was understood, the warnings, corrections.

The ministry admin uploads a document; it is read and understood with the
party dictionary (the shipped one plus the entries added in the app) and
stored as a draft with its warnings. The review shows each item with where
its tasks will live and how many there will be; the admin corrects what the
parser could not know and publishes. Correcting a published item's dates
moves its tasks (see rescheduling.py).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    ForeignKey,
    String,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.calendar import Calendar
from workflow.clock import utcnow
from workflow.enums import Level, Recurrence, Role
from workflow.models import Base, Item, Organisation, Plan, PlanStatus, Task, _enum
from workflow.plans import (
    ParsedPlan,
    Party,
    PartyDictionary,
    PartyEntry,
    Period,
    PeriodSettings,
    TimingRule,
    load_party_dictionary,
    parse_plan,
    periods_for,
)
from workflow.publishing import (
    UnplacedReason,
    count_organisations,
    lead_level,
    lead_party,
    party_to_dict,
    settings_of,
    store_plan,
    timing_of,
    unplaced_reason,
)
from workflow.rescheduling import RescheduleResult, reschedule_item

logger = logging.getLogger(__name__)

# "по окончании каждой четверти": more than a school term's worth of working
# days after the quarter is surely a typing mistake.
MAX_WORKING_DAYS_AFTER = 40


class PartyDictionaryEntry(Base):
    """A party name the ministry admin taught the importer, with its role."""

    __tablename__ = "party_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    level: Mapped[Level] = mapped_column(_enum(Level))
    org_code: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PlanWarning(Base):
    """Something the importer could not understand; the reviewer must see it."""

    __tablename__ = "plan_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    item_number: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)


class ReviewProblem(StrEnum):
    """Why a correction or an entry was refused; pages turn these into sentences."""

    EMPTY_TITLE = "empty_title"
    DUE_BEFORE_START = "due_before_start"
    RECURRENCE_FIXED = "recurrence_fixed"
    LEVEL_FIXED = "level_fixed"
    EMPTY_NAME = "empty_name"
    NAME_TAKEN = "name_taken"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    LEVEL_MISMATCH = "level_mismatch"
    BAD_SETTING = "bad_setting"
    PUBLISHED = "published"
    NOT_FOUND = "not_found"


class ReviewError(ValueError):
    """A correction or an entry cannot be saved; the message and `problem` say why."""

    def __init__(self, message: str, problem: ReviewProblem) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class ItemPreview:
    """One item as the reviewer sees it: what was understood and what will happen."""

    item: Item
    parent_number: str | None
    warnings: list[str]
    unplaced: UnplacedReason | None
    org_code: str | None
    organisations: int
    periods: list[Period]
    existing_tasks: int

    @property
    def tasks(self) -> int:
        """How many tasks publishing creates for this item (at most)."""
        return self.organisations * len(self.periods)


@dataclass(frozen=True)
class PlanPreview:
    """A whole plan under review."""

    plan: Plan
    items: list[ItemPreview]
    plan_warnings: list[str]

    @property
    def tasks(self) -> int:
        """How many tasks publishing creates for the whole plan (at most)."""
        return sum(preview.tasks for preview in self.items)

    @property
    def warning_count(self) -> int:
        """Every warning: the plan's own and its items'."""
        return len(self.plan_warnings) + sum(len(p.warnings) for p in self.items)


@dataclass(frozen=True)
class PartyCorrection:
    """One responsible party as the reviewer left it."""

    text: str
    role: Role | None
    agreed: bool = False
    org_code: str | None = None

    def as_party(self) -> Party:
        """The party as the importer's record (the level follows the role)."""
        level = self.role.level if self.role else None
        return Party(self.text, self.role, level, self.org_code, self.agreed)


@dataclass(frozen=True)
class ItemCorrection:
    """Every field of an item the reviewer may correct."""

    title: str
    timing_text: str
    start: date | None
    due: date | None
    recurrence: Recurrence | None
    rule: TimingRule = field(default_factory=TimingRule)
    parties: list[PartyCorrection] = field(default_factory=list)


@dataclass(frozen=True)
class CorrectionResult:
    """What a correction changed beyond the item itself."""

    rescheduled: RescheduleResult | None


def party_entries(session: Session) -> list[PartyDictionaryEntry]:
    """The entries added in the app, newest first."""
    return list(
        session.scalars(
            select(PartyDictionaryEntry).order_by(PartyDictionaryEntry.id.desc())
        )
    )


def party_dictionary(session: Session) -> PartyDictionary:
    """The shipped dictionary with the app's entries first (they win)."""
    extra = [
        PartyEntry.for_name(entry.name, entry.role, entry.level, entry.org_code)
        for entry in session.scalars(
            select(PartyDictionaryEntry).order_by(PartyDictionaryEntry.id.desc())
        )
    ]
    return load_party_dictionary(extra)


def add_party_entry(
    session: Session,
    name: str,
    role: Role,
    org_code: str | None,
    created_by_id: int | None,
) -> PartyDictionaryEntry:
    """Teach the importer a party name; the level follows the role."""
    name = " ".join(name.split())
    org_code = (org_code or "").strip() or None
    if not name:
        raise ReviewError(
            "Write the party's name as plans write it.", ReviewProblem.EMPTY_NAME
        )
    taken = session.scalar(
        select(PartyDictionaryEntry.id).where(
            func.lower(PartyDictionaryEntry.name) == name.lower()
        )
    )
    if taken is not None:
        raise ReviewError(
            f"The dictionary already has {name!r}; delete it first.",
            ReviewProblem.NAME_TAKEN,
        )
    if org_code is not None:
        org_level = session.scalar(
            select(Organisation.level).where(Organisation.code == org_code)
        )
        if org_level is None:
            raise ReviewError(
                f"No organisation has the code {org_code!r}.",
                ReviewProblem.UNKNOWN_ORGANISATION,
            )
        if org_level != role.level:
            raise ReviewError(
                f"Organisation {org_code!r} is a {org_level.value}, but the role "
                f"{role.value} belongs to a {role.level.value}.",
                ReviewProblem.LEVEL_MISMATCH,
            )

    entry = PartyDictionaryEntry(
        name=name,
        role=role,
        level=role.level,
        org_code=org_code,
        created_by_id=created_by_id,
    )
    session.add(entry)
    session.flush()
    logger.info("Party entry %s: added %r as %s", entry.id, name, role.value)
    return entry


def delete_party_entry(session: Session, entry_id: int) -> None:
    """Remove an entry added in the app."""
    entry = session.get(PartyDictionaryEntry, entry_id)
    if entry is None:
        raise ReviewError(
            f"Party entry {entry_id} does not exist.", ReviewProblem.NOT_FOUND
        )
    session.delete(entry)
    session.flush()
    logger.info("Party entry %s: deleted", entry_id)


def understand_document(session: Session, data: bytes, filename: str) -> ParsedPlan:
    """Read and understand a plan document with the app's dictionary; stores nothing.

    Raises PlanReadError when the document cannot be read.
    """
    return parse_plan(data, filename, party_dictionary(session))


def import_plan(session: Session, data: bytes, filename: str) -> Plan:
    """Store a plan document as a draft with its warnings; raises PlanReadError."""
    parsed = understand_document(session, data, filename)
    plan = store_plan(session, parsed, filename)
    for number, message in parsed.warnings:
        session.add(PlanWarning(plan_id=plan.id, item_number=number, message=message))
    session.flush()
    return plan


def warnings_of(session: Session, plan_id: int) -> list[PlanWarning]:
    """A plan's warnings in the order the importer found them."""
    return list(
        session.scalars(
            select(PlanWarning)
            .where(PlanWarning.plan_id == plan_id)
            .order_by(PlanWarning.id)
        )
    )


def plans_for_review(session: Session) -> list[tuple[Plan, int, int]]:
    """Every plan, newest first, with its item and task counts."""
    items = (
        select(func.count(Item.id))
        .where(Item.plan_id == Plan.id)
        .correlate(Plan)
        .scalar_subquery()
    )
    tasks = (
        select(func.count(Task.id))
        .where(Task.plan_id == Plan.id)
        .correlate(Plan)
        .scalar_subquery()
    )
    rows = session.execute(select(Plan, items, tasks).order_by(Plan.id.desc()))
    return [(plan, item_count, task_count) for plan, item_count, task_count in rows]


def preview_plan(session: Session, plan: Plan, calendar: Calendar) -> PlanPreview:
    """What was understood of each item, its warnings, and the tasks it will make."""
    settings = settings_of(plan)
    by_item: dict[str | None, list[str]] = {}
    for warning in warnings_of(session, plan.id):
        by_item.setdefault(warning.item_number, []).append(warning.message)

    existing: dict[int, int] = {
        item_id: count
        for item_id, count in session.execute(
            select(Task.item_id, func.count(Task.id))
            .where(Task.plan_id == plan.id)
            .group_by(Task.item_id)
        )
    }
    items = session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position)
    ).all()
    numbers = {item.id: item.number for item in items}

    previews = []
    for item in items:
        lead = lead_party(item)
        reason = unplaced_reason(session, item)
        periods = (
            periods_for(timing_of(item), calendar, settings)
            if item.level is not None
            else []
        )
        previews.append(
            ItemPreview(
                item=item,
                parent_number=numbers.get(item.parent_id) if item.parent_id else None,
                warnings=by_item.get(item.number, []),
                unplaced=reason,
                org_code=lead.get("org_code") if lead else None,
                organisations=count_organisations(session, item),
                periods=periods,
                existing_tasks=existing.get(item.id, 0),
            )
        )
    return PlanPreview(plan, previews, by_item.get(None, []))


def item_of_plan(session: Session, plan_id: int, item_id: int) -> Item:
    """One item, only through its plan (an id from a request is not trusted alone)."""
    item = session.get(Item, item_id)
    if item is None or item.plan_id != plan_id:
        raise ReviewError(
            f"Plan {plan_id} has no item {item_id}.", ReviewProblem.NOT_FOUND
        )
    return item


def correct_item(
    session: Session,
    item: Item,
    correction: ItemCorrection,
    *,
    calendar: Calendar,
    changed_by_id: int | None,
    reason: str = "",
) -> CorrectionResult:
    """Apply a reviewer's correction; a published item's tasks follow its dates.

    Known limitation: two admins correcting the same item at once are not
    told of each other; the later save wins.
    """
    if not correction.title.strip():
        raise ReviewError(
            f"Item {item.number}: the title cannot be empty.",
            ReviewProblem.EMPTY_TITLE,
        )
    if correction.start and correction.due and correction.due < correction.start:
        raise ReviewError(
            f"Item {item.number}: the due date is before the start.",
            ReviewProblem.DUE_BEFORE_START,
        )
    published = item.plan.status is PlanStatus.PUBLISHED
    if published and correction.recurrence != item.recurrence:
        raise ReviewError(
            f"Item {item.number} is published: its recurrence cannot change, "
            "because its tasks are made per period. Correct the dates only.",
            ReviewProblem.RECURRENCE_FIXED,
        )

    parties = [party.as_party() for party in correction.parties if party.text.strip()]
    if published and lead_level(parties) != item.level:
        raise ReviewError(
            f"Item {item.number} is published: the lead party's level cannot "
            "change, because its tasks already live at that level.",
            ReviewProblem.LEVEL_FIXED,
        )

    dates_before = (item.start, item.due, item.recurrence_rule)
    item.title = correction.title.strip()
    item.timing_text = correction.timing_text.strip()
    item.start = correction.start
    item.due = correction.due
    item.recurrence = correction.recurrence
    item.recurrence_rule = (
        asdict(correction.rule) if correction.recurrence is not None else {}
    )
    item.parties = [party_to_dict(party) for party in parties]
    item.responsible_text = ", ".join(party.text for party in parties)
    item.level = lead_level(parties)
    session.flush()
    logger.info("Item %s: corrected by person %s", item.id, changed_by_id)

    if not published or dates_before == (item.start, item.due, item.recurrence_rule):
        return CorrectionResult(rescheduled=None)
    rescheduled = reschedule_item(
        session,
        item,
        calendar,
        settings_of(item.plan),
        changed_by_id=changed_by_id,
        reason=reason,
    )
    return CorrectionResult(rescheduled=rescheduled)


def change_plan_settings(
    session: Session,
    plan: Plan,
    settings: PeriodSettings,
    *,
    calendar: Calendar,
    changed_by_id: int | None,
    reason: str = "",
) -> list[RescheduleResult]:
    """Change the working days allowed after a quarter and after the school year.

    On a published plan the recurring items' tasks follow the new due dates.
    """
    for value in (
        settings.working_days_after_quarter,
        settings.working_days_after_school_year,
    ):
        if not 0 <= value <= MAX_WORKING_DAYS_AFTER:
            raise ReviewError(
                f"Working days after a period must be between 0 and "
                f"{MAX_WORKING_DAYS_AFTER}, not {value}.",
                ReviewProblem.BAD_SETTING,
            )
    if settings == settings_of(plan):
        return []

    plan.working_days_after_quarter = settings.working_days_after_quarter
    plan.working_days_after_school_year = settings.working_days_after_school_year
    session.flush()
    logger.info("Plan %s: period settings changed to %s", plan.id, settings)
    return reschedule_plan(
        session, plan, calendar, changed_by_id=changed_by_id, reason=reason
    )


def reschedule_plan(
    session: Session,
    plan: Plan,
    calendar: Calendar,
    *,
    changed_by_id: int | None,
    reason: str = "",
) -> list[RescheduleResult]:
    """Place a published plan's recurring items on the calendar again.

    After the calendar or the plan's settings were corrected, the unapproved
    tasks of every weekly, monthly or quarterly item move to their new due
    dates. Single items keep theirs: their dates are the plan's own.
    """
    if plan.status is not PlanStatus.PUBLISHED:
        return []
    settings = settings_of(plan)
    return [
        reschedule_item(
            session,
            item,
            calendar,
            settings,
            changed_by_id=changed_by_id,
            reason=reason,
        )
        for item in session.scalars(
            select(Item)
            .where(Item.plan_id == plan.id, Item.recurrence.is_not(None))
            .order_by(Item.position)
        )
    ]


def plan_by_id(session: Session, plan_id: int) -> Plan:
    """One plan, or ReviewError when there is none with this id."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise ReviewError(f"Plan {plan_id} does not exist.", ReviewProblem.NOT_FOUND)
    return plan


def discard_draft(session: Session, plan: Plan) -> None:
    """Delete a draft plan that was never published, with its items and warnings."""
    if plan.status is not PlanStatus.DRAFT:
        raise ReviewError(
            f"Plan {plan.id} is published; its tasks stay, so it cannot be deleted.",
            ReviewProblem.PUBLISHED,
        )
    session.execute(delete(PlanWarning).where(PlanWarning.plan_id == plan.id))
    session.execute(
        update(Plan)
        .where(Plan.rolled_over_from_id == plan.id)
        .values(rolled_over_from_id=None)
    )
    session.execute(update(Item).where(Item.plan_id == plan.id).values(parent_id=None))
    session.execute(delete(Item).where(Item.plan_id == plan.id))
    session.delete(plan)
    session.flush()
    logger.info("Plan %s: draft discarded", plan.id)
