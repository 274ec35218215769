"""What a digest message shows: its rows joined, ordered and cut to a length.

Every waiting digest row of a recipient is joined into one view: sections by
level, items with their organisations, the oldest due date first, links to
the board filtered to those tasks, and "and N more" past the link limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from workflow.enums import Level
from workflow.escalation_models import EscalationLevel

# The order of a digest's sections: the recipient's own tasks first.
SECTION_ORDER = (
    EscalationLevel.LEVEL_0,
    EscalationLevel.LEVEL_1,
    EscalationLevel.LEVEL_2,
    EscalationLevel.REMINDER,
)


@dataclass
class OrgLine:
    """An organisation's tasks of one item at one level."""

    org: str
    count: int
    oldest_due: date
    periods: list[str]
    link: str


@dataclass
class ItemBlock:
    """One item of a plan at one level, with its organisations."""

    plan_id: int
    plan: str
    item_number: str
    item_title: str
    count: int
    org_count: int
    oldest_due: date
    link: str
    lines: list[OrgLine] = field(default_factory=list)

    @property
    def single(self) -> OrgLine | None:
        """The one organisation's line, when the item concerns only one."""
        return self.lines[0] if self.org_count == 1 and self.lines else None


@dataclass
class PlanBlock:
    """The items of one plan in a section."""

    plan_id: int
    title: str
    blocks: list[ItemBlock] = field(default_factory=list)


@dataclass
class Section:
    """The tasks of one level in a digest."""

    level: EscalationLevel
    task_ids: set[int]
    org_ids: set[int]
    plans: list[PlanBlock] = field(default_factory=list)
    hidden_count: int = 0
    hidden_orgs: int = 0
    more_link: str = ""

    @property
    def count(self) -> int:
        """How many tasks reached this level."""
        return len(self.task_ids)

    @property
    def org_count(self) -> int:
        """How many organisations they belong to."""
        return len(self.org_ids)


@dataclass
class DigestView:
    """A whole digest, ready for the templates."""

    sections: list[Section]

    @property
    def count(self) -> int:
        """How many tasks the digest is about (a task at two levels counts once)."""
        return len(set().union(*(section.task_ids for section in self.sections)))

    @property
    def overdue(self) -> int:
        """How many of them are late (all but the reminders)."""
        return len(set().union(*(section.task_ids for section in self._late())))

    @property
    def org_count(self) -> int:
        """How many organisations the late tasks belong to."""
        return len(set().union(*(section.org_ids for section in self._late())))

    def _late(self) -> list[Section]:
        return [s for s in self.sections if s.level is not EscalationLevel.REMINDER]


def board_link(base_url: str, **filters: object) -> str:
    """A link to the board filtered by plan, item, district, school, period, overdue."""
    query = {name: value for name, value in filters.items() if value not in (None, "")}
    return f"{base_url.rstrip('/')}/board?{urlencode(query)}"


def digest_view(
    payloads: Iterable[dict[str, Any]], base_url: str, link_limit: int
) -> DigestView:
    """Join digest rows into one view: oldest due first, at most `link_limit` lines."""
    groups: dict[tuple[str, int, int, int], dict[str, Any]] = {}
    for payload in payloads:
        for group in payload.get("groups", []):
            key = (group["level"], group["plan_id"], group["item_id"], group["org_id"])
            kept = groups.setdefault(key, {**group, "tasks": {}})
            for task_id, due, period in group["tasks"]:
                kept["tasks"][task_id] = (date.fromisoformat(due), period)

    sections: list[Section] = []
    shown = 0
    for level in SECTION_ORDER:
        chosen = [group for key, group in groups.items() if key[0] == level.value]
        if not chosen:
            continue
        section, shown = _section(level, chosen, base_url, link_limit, shown)
        sections.append(section)
    return DigestView(sections)


def _section(
    level: EscalationLevel,
    groups: list[dict[str, Any]],
    base_url: str,
    link_limit: int,
    shown: int,
) -> tuple[Section, int]:
    overdue = "1" if level is not EscalationLevel.REMINDER else None
    by_item: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for group in groups:
        by_item[(group["plan_id"], group["item_id"])].append(group)

    blocks: list[tuple[ItemBlock, list[OrgLine]]] = []
    for (plan_id, item_id), item_groups in by_item.items():
        lines = sorted(
            (_org_line(group, base_url, overdue) for group in item_groups),
            key=lambda line: (line.oldest_due, line.org),
        )
        first = item_groups[0]
        periods = {p for group in item_groups for _due, p in group["tasks"].values()}
        districts = {_district_of(group) for group in item_groups}
        block = ItemBlock(
            plan_id=plan_id,
            plan=first["plan"],
            item_number=first["item_number"],
            item_title=first["item_title"],
            count=sum(line.count for line in lines),
            org_count=len(lines),
            oldest_due=lines[0].oldest_due,
            link=board_link(
                base_url,
                plan=plan_id,
                item=item_id,
                district=districts.pop() if len(districts) == 1 else None,
                period=periods.pop() if len(periods) == 1 else None,
                overdue=overdue,
            ),
        )
        blocks.append((block, lines))
    # Plans in the order of their oldest task, items likewise within a plan.
    oldest: dict[int, date] = {}
    for block, _lines in blocks:
        oldest[block.plan_id] = min(
            block.oldest_due, oldest.get(block.plan_id, block.oldest_due)
        )
    blocks.sort(
        key=lambda pair: (
            oldest[pair[0].plan_id],
            pair[0].plan_id,
            pair[0].oldest_due,
            pair[0].item_number,
        )
    )

    section = Section(
        level=level,
        task_ids={int(task_id) for group in groups for task_id in group["tasks"]},
        org_ids={int(group["org_id"]) for group in groups},
    )
    for block, lines in blocks:
        room = max(0, link_limit - shown)
        block.lines = lines[:room]
        shown += len(block.lines)
        for line in lines[room:]:
            section.hidden_count += line.count
            section.hidden_orgs += 1
        if not block.lines:
            continue
        if not section.plans or section.plans[-1].plan_id != block.plan_id:
            section.plans.append(PlanBlock(block.plan_id, block.plan))
        section.plans[-1].blocks.append(block)
    if section.hidden_count:
        plans = {group["plan_id"] for group in groups}
        section.more_link = board_link(
            base_url,
            plan=plans.pop() if len(plans) == 1 else "all",
            overdue=overdue,
        )
    return section, shown


def _org_line(group: dict[str, Any], base_url: str, overdue: str | None) -> OrgLine:
    tasks = group["tasks"]
    periods = sorted({period for _due, period in tasks.values()})
    return OrgLine(
        org=group["org"],
        count=len(tasks),
        oldest_due=min(due for due, _period in tasks.values()),
        periods=periods,
        link=board_link(
            base_url,
            plan=group["plan_id"],
            item=group["item_id"],
            school=group["org_id"],
            period=periods[0] if len(periods) == 1 else None,
            overdue=overdue,
        ),
    )


def _district_of(group: dict[str, Any]) -> int | None:
    if group["org_level"] == Level.DISTRICT.value:
        return int(group["org_id"])
    if group["org_level"] == Level.SCHOOL.value:
        parent = group.get("parent_org_id")
        return int(parent) if parent is not None else None
    return None
