"""approval queue: submitted_at, on_behalf_of, substitutions, deadline extensions

Revision ID: 0005
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_tasks_state_submitted", ["state", "submitted_at", "id"], unique=False
        )
    # Tasks submitted before this column existed wait since their last change.
    op.execute(
        "UPDATE tasks SET submitted_at = updated_at "
        "WHERE state IN ('submitted', 'approved')"
    )

    # audit_records refuses UPDATE and DELETE, so SQLite's batch mode (copy,
    # drop, rename) cannot rebuild it: add the column in place on both.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE audit_records ADD COLUMN on_behalf_of_id INTEGER "
            "CONSTRAINT fk_audit_records_on_behalf_of_id_people REFERENCES people (id)"
        )
    else:
        op.add_column(
            "audit_records", sa.Column("on_behalf_of_id", sa.Integer(), nullable=True)
        )
        op.create_foreign_key(
            "fk_audit_records_on_behalf_of_id_people",
            "audit_records",
            "people",
            ["on_behalf_of_id"],
            ["id"],
        )

    op.create_table(
        "substitutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("absent_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("starts <= ends", name=op.f("ck_substitutions_dates_in_order")),
        sa.CheckConstraint("absent_id <> substitute_id", name=op.f("ck_substitutions_not_self")),
        sa.ForeignKeyConstraint(["absent_id"], ["people.id"], name=op.f("fk_substitutions_absent_id_people")),
        sa.ForeignKeyConstraint(["created_by_id"], ["people.id"], name=op.f("fk_substitutions_created_by_id_people")),
        sa.ForeignKeyConstraint(["substitute_id"], ["people.id"], name=op.f("fk_substitutions_substitute_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitutions")),
    )
    op.create_index(op.f("ix_substitutions_absent_id"), "substitutions", ["absent_id"])
    op.create_index(
        "ix_substitutions_substitute_dates",
        "substitutions",
        ["substitute_id", "starts", "ends"],
    )

    op.create_table(
        "deadline_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("old_due", sa.Date(), nullable=True),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "granted", "declined", name="extensionstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_id"], ["people.id"], name=op.f("fk_deadline_extensions_decided_by_id_people")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["people.id"], name=op.f("fk_deadline_extensions_requested_by_id_people")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_deadline_extensions_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_extensions")),
    )
    op.create_index(
        "ix_deadline_extensions_task_state", "deadline_extensions", ["task_id", "state"]
    )


def downgrade():
    op.drop_index("ix_deadline_extensions_task_state", table_name="deadline_extensions")
    op.drop_table("deadline_extensions")
    op.drop_index("ix_substitutions_substitute_dates", table_name="substitutions")
    op.drop_index(op.f("ix_substitutions_absent_id"), table_name="substitutions")
    op.drop_table("substitutions")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            "fk_audit_records_on_behalf_of_id_people", "audit_records", "foreignkey"
        )
    op.drop_column("audit_records", "on_behalf_of_id")
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_index("ix_tasks_state_submitted")
        batch_op.drop_column("submitted_at")
