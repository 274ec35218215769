"""board: comments on tasks, indexes for the board's columns

Revision ID: 0003
Revises: 0005

Comments people write on a task (the task page and the board's counts), and
three indexes on tasks that answer a board column's first page and count.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0005"
branch_labels = None
depends_on = None

BOARD_INDEXES = {
    "ix_tasks_board_org": ["org_id", "state", "due", "id"],
    "ix_tasks_board_plan": ["plan_id", "org_id", "state", "due", "id"],
    "ix_tasks_board_item": ["item_id", "org_id", "state", "due", "id"],
}


def upgrade():
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_comments_author_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_comments_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments") as batch_op:
        batch_op.create_index(
            "ix_comments_task_created", ["task_id", "created_at"], unique=False
        )
    # Plain CREATE INDEX on both databases: no table is rebuilt.
    for name, columns in BOARD_INDEXES.items():
        op.create_index(name, "tasks", columns, unique=False)


def downgrade():
    for name in BOARD_INDEXES:
        op.drop_index(name, table_name="tasks")
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_index("ix_comments_task_created")
    op.drop_table("comments")
