"""The board's queries: columns of cards, exact counts, swimlanes, "load more".

Every query starts from the organisations in the person's scope and the
filters (`workflow.board_filters`); where a card may go comes from
`workflow.board_moves`. The number of statements a board needs does not
depend on how many tasks are in scope: the counts of every column (and every
swimlane) come from one aggregate query, and the cards of every column from
one query that unions a bounded, ordered page per column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased, contains_eager

from workflow.board_filters import BoardFilters, conditions
from workflow.board_models import Comment
from workflow.board_moves import Move, moves_of
from workflow.enums import Level, State
from workflow.models import AuditRecord, Evidence, Item, Organisation, Task
from workflow.scope import in_scope
from workflow.service import task_facts
from workflow.signoff import Decision, PersonFacts, decide

# How many cards a column sends at once; "load more" asks for the next page.
COLUMN_LIMIT = 50
# With swimlanes each cell (lane × column) sends fewer, and a page of lanes.
CELL_LIMIT = 10
LANE_LIMIT = 12
# A task due within this many days "is due soon" on its card.
DUE_SOON_DAYS = 7
# Tasks without a due date sort as if due on this day, after every other.
LAST_DAY = date(9999, 12, 31)


class Lanes(StrEnum):
    """How the board splits its columns into horizontal swimlanes."""

    NONE = "none"
    ITEM = "item"
    ORG = "org"


@dataclass(frozen=True)
class Cursor:
    """Where a column's page ended: the last card's due date and id."""

    due: date | None
    task_id: int

    def encode(self) -> str:
        """The cursor as a URL parameter."""
        return f"{self.due.isoformat() if self.due else 'none'}_{self.task_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """Read a cursor from a URL parameter; None when it is malformed."""
        due_text, _sep, id_text = text.partition("_")
        if not id_text.isdigit():
            return None
        if due_text == "none":
            return cls(None, int(id_text))
        try:
            return cls(date.fromisoformat(due_text), int(id_text))
        except ValueError:
            return None


@dataclass(frozen=True)
class Card:
    """A task as the board draws it."""

    task: Task
    evidence_count: int
    comment_count: int
    overdue: bool
    due_soon: bool
    moves: tuple[Move, ...]

    @property
    def cursor(self) -> Cursor:
        """The cursor that continues a column after this card."""
        return Cursor(self.task.due, self.task.id)

    @property
    def allowed_moves(self) -> list[Move]:
        """The columns this card may go to now."""
        return [move for move in self.moves if move.allowed]


@dataclass(frozen=True)
class Lane:
    """One swimlane: a key (item or organisation id), its label and counts."""

    key: int | None
    label: str
    number: str = ""
    counts: Mapping[State, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Tasks in the lane across every column."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class Cell:
    """One lane's part of one column: its count and its first cards."""

    state: State
    lane_key: int | None
    count: int
    cards: list[Card]

    @property
    def more(self) -> bool:
        """Whether the cell holds more cards than it sent."""
        return self.count > len(self.cards)


@dataclass(frozen=True)
class Board:
    """Everything a board page draws."""

    counts: Mapping[State, int]
    lanes: list[Lane]
    cells: Mapping[tuple[int | None, State], Cell]
    lanes_total: int
    lanes_from: int

    @property
    def total(self) -> int:
        """Every task the filters select."""
        return sum(self.counts.values())


def _lane_column(lanes: Lanes) -> Any:
    if lanes is Lanes.ITEM:
        return Task.item_id
    if lanes is Lanes.ORG:
        return Task.org_id
    return literal(None)


def count_tasks(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    lanes: Lanes = Lanes.NONE,
) -> dict[tuple[int | None, State], int]:
    """Exact counts per (lane, column), from one aggregate query.

    Known limitation: exact counts read every task the filters select (from
    an index), so their cost grows with the filtered scope; the board opens
    on the newest plan, which keeps that to one plan's tasks.
    """
    if lanes is Lanes.NONE:
        query = select(literal(None), Task.state, func.count())
        group: list[Any] = [Task.state]
    else:
        lane = _lane_column(lanes)
        query = select(lane, Task.state, func.count())
        group = [lane, Task.state]
    rows = session.execute(query.select_from(Task).where(*where).group_by(*group)).all()
    return {(lane_key, State(state)): count for lane_key, state, count in rows}


def build_board(
    session: Session,
    person: PersonFacts,
    filters: BoardFilters,
    today: date,
    *,
    lanes: Lanes = Lanes.NONE,
    lanes_from: int = 0,
) -> Board:
    """The board: counts per column, swimlanes and the first cards of each cell."""
    where = conditions(session, person, filters, today)
    counts_by_cell = count_tasks(session, where, lanes)

    totals: dict[State, int] = dict.fromkeys(State, 0)
    for (_lane, state), count in counts_by_cell.items():
        totals[state] += count

    if lanes is Lanes.NONE:
        shown_lanes = [Lane(None, "", counts=totals)]
        lanes_total = 1
        limit = COLUMN_LIMIT
    else:
        every_lane = _label_lanes(session, lanes, counts_by_cell)
        lanes_total = len(every_lane)
        shown_lanes = every_lane[lanes_from : lanes_from + LANE_LIMIT]
        limit = CELL_LIMIT

    wanted = [
        (lane.key, state)
        for lane in shown_lanes
        for state in State
        if counts_by_cell.get((lane.key, state), 0) > 0
    ]
    cards = load_cards(session, person, where, lanes, wanted, limit, today)
    cells = {
        (lane.key, state): Cell(
            state,
            lane.key,
            counts_by_cell.get((lane.key, state), 0),
            cards.get((lane.key, state), []),
        )
        for lane in shown_lanes
        for state in State
    }
    return Board(totals, shown_lanes, cells, lanes_total, lanes_from)


def more_cards(
    session: Session,
    person: PersonFacts,
    filters: BoardFilters,
    today: date,
    *,
    state: State,
    lanes: Lanes,
    lane_key: int | None,
    after: Cursor,
    limit: int = COLUMN_LIMIT,
) -> tuple[list[Card], bool]:
    """The next page of one cell after a cursor, and whether more follow."""
    where = [
        *conditions(session, person, filters, today),
        _after(after),
    ]
    found = load_cards(
        session, person, where, lanes, [(lane_key, state)], limit + 1, today
    ).get((lane_key, state), [])
    return found[:limit], len(found) > limit


def _due_order() -> ColumnElement[Any]:
    """The board's order: due date, tasks without one last.

    An expression rather than the bare column on purpose: with the bare column
    PostgreSQL may walk the whole due-date index hoping to meet a small
    scope's tasks early; sorting the scope's own (indexed) rows is bounded.
    """
    return func.coalesce(Task.due, LAST_DAY)


def _after(cursor: Cursor) -> ColumnElement[bool]:
    """Cards after the cursor in the board's order (due date, nulls last, id)."""
    if cursor.due is None:
        return and_(Task.due.is_(None), Task.id > cursor.task_id)
    return or_(
        Task.due > cursor.due,
        and_(Task.due == cursor.due, Task.id > cursor.task_id),
        Task.due.is_(None),
    )


def load_cards(
    session: Session,
    person: PersonFacts,
    where: Sequence[ColumnElement[bool]],
    lanes: Lanes,
    cells: Sequence[tuple[int | None, State]],
    limit: int,
    today: date,
) -> dict[tuple[int | None, State], list[Card]]:
    """The first `limit` cards of each cell, in one statement, with their moves."""
    if not cells:
        return {}
    lane = _lane_column(lanes)
    pages = []
    for lane_key, state in cells:
        page = select(Task.id).where(*where, Task.state == state)
        if lanes is not Lanes.NONE:
            page = page.where(lane == lane_key)
        page = page.order_by(_due_order(), Task.id).limit(limit)
        pages.append(select(page.subquery().c.id))
    wanted_ids = union_all(*pages) if len(pages) > 1 else pages[0]

    parent = aliased(Organisation)
    evidence = (
        select(func.count())
        .where(Evidence.task_id == Task.id)
        .correlate(Task)
        .scalar_subquery()
    )
    comments = (
        select(func.count())
        .where(Comment.task_id == Task.id)
        .correlate(Task)
        .scalar_subquery()
    )
    remarks = (
        select(func.count())
        .where(AuditRecord.task_id == Task.id, AuditRecord.comment != "")
        .correlate(Task)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Task, parent.level, evidence, comments + remarks)
        .join(Task.organisation)
        .join(Task.item)
        .outerjoin(parent, parent.id == Organisation.parent_id)
        .where(Task.id.in_(wanted_ids))
        .options(contains_eager(Task.organisation), contains_eager(Task.item))
        .order_by(Task.due.asc().nulls_last(), Task.id)
    ).all()

    found: dict[tuple[int | None, State], list[Card]] = {}
    for task, parent_level, evidence_count, comment_count in rows:
        level = Level(parent_level) if parent_level else None
        facts = task_facts(task, level, evidence_count)
        card = _card(task, decide(person, facts), evidence_count, comment_count, today)
        key = _lane_key(task, lanes)
        found.setdefault((key, State(task.state)), []).append(card)
    return found


def _lane_key(task: Task, lanes: Lanes) -> int | None:
    if lanes is Lanes.ITEM:
        return task.item_id
    if lanes is Lanes.ORG:
        return task.org_id
    return None


def _card(
    task: Task,
    decisions: Sequence[Decision],
    evidence_count: int,
    comment_count: int,
    today: date,
) -> Card:
    state = State(task.state)
    open_task = state is not State.APPROVED
    overdue = bool(task.due and task.due < today and open_task)
    due_soon = bool(
        task.due
        and not overdue
        and open_task
        and task.due <= today + timedelta(days=DUE_SOON_DAYS)
    )
    return Card(
        task=task,
        evidence_count=evidence_count,
        comment_count=comment_count,
        overdue=overdue,
        due_soon=due_soon,
        moves=moves_of(state, decisions),
    )


def _label_lanes(
    session: Session,
    lanes: Lanes,
    counts_by_cell: Mapping[tuple[int | None, State], int],
) -> list[Lane]:
    """Name and order the lanes that hold tasks: items by position, orgs by name."""
    per_lane: dict[int, dict[State, int]] = {}
    for (key, state), count in counts_by_cell.items():
        if key is not None:
            per_lane.setdefault(key, {})[state] = count
    if not per_lane:
        return []

    if lanes is Lanes.ITEM:
        item_rows = session.execute(
            select(Item.id, Item.number, Item.title, Item.plan_id, Item.position)
            .where(Item.id.in_(per_lane))
            .order_by(Item.plan_id.desc(), Item.position)
        ).all()
        return [
            Lane(item_id, title, number, per_lane[item_id])
            for item_id, number, title, _plan, _position in item_rows
        ]
    org_rows = session.execute(
        select(Organisation.id, Organisation.short_name)
        .where(Organisation.id.in_(per_lane))
        .order_by(Organisation.short_name, Organisation.id)
    ).all()
    return [Lane(org_id, name, "", per_lane[org_id]) for org_id, name in org_rows]


def card_of(
    session: Session, person: PersonFacts, task_id: int, today: date
) -> Card | None:
    """One task in the person's scope as a card, or None when it is not there."""
    in_reach = select(Organisation.id).where(in_scope(person, Organisation.path))
    where = [Task.id == task_id, Task.org_id.in_(in_reach)]
    found = load_cards(
        session, person, where, Lanes.NONE, [(None, state) for state in State], 1, today
    )
    return next((cards[0] for cards in found.values() if cards), None)
