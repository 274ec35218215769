"""Tables the board and the task page add: comments on a task."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.clock import utcnow
from workflow.models import Base, Person, Task


class Comment(Base):
    """A remark on a task by someone who can see it; kept, never edited."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_task_created", "task_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[Person] = relationship()


# The board reads a column as "these organisations' tasks in this state, by due
# date" (optionally of one plan, or of one item for swimlanes and the item
# filter): these indexes answer each column's first page, and its count, by
# walking the few index entries it needs rather than the whole table.
Index("ix_tasks_board_org", Task.org_id, Task.state, Task.due, Task.id)
Index("ix_tasks_board_plan", Task.plan_id, Task.org_id, Task.state, Task.due, Task.id)
Index("ix_tasks_board_item", Task.item_id, Task.org_id, Task.state, Task.due, Task.id)
