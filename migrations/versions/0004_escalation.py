"""escalation events, sweep watermarks, plan thresholds, mail preferences

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 18:40:00

One escalation event per task and level (escalation_events, unique on
task_id and level), how far each plan's levels have been swept
(escalation_watermarks), a plan's own thresholds (plan_thresholds), each
person's mail preferences (mail_preferences), and an index on tasks by plan
and due date for the sweep's date ranges.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEVEL = sa.Enum(
    "reminder", "0", "1", "2", name="escalationlevel", native_enum=False, length=16
)


def upgrade():
    op.create_table(
        "escalation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("level", LEVEL, nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_escalation_events_task_id_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_events")),
        sa.UniqueConstraint(
            "task_id", "level", name=op.f("uq_escalation_events_task_id_level")
        ),
    )
    with op.batch_alter_table("escalation_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_escalation_events_recorded_at", ["recorded_at"], unique=False
        )

    op.create_table(
        "escalation_watermarks",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("level", LEVEL, nullable=False),
        sa.Column("swept_through", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_escalation_watermarks_plan_id_plans"),
        ),
        sa.PrimaryKeyConstraint(
            "plan_id", "level", name=op.f("pk_escalation_watermarks")
        ),
    )
    op.create_table(
        "plan_thresholds",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("reminder_working_days", sa.Integer(), nullable=True),
        sa.Column("level1_working_days", sa.Integer(), nullable=True),
        sa.Column("level2_working_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_thresholds_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plan_thresholds")),
    )
    op.create_table(
        "mail_preferences",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unsubscribed", sa.Boolean(), nullable=False),
        sa.Column("daily_digest", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_mail_preferences_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_mail_preferences")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_plan_due", ["plan_id", "due"], unique=False)


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_plan_due")
    op.drop_table("mail_preferences")
    op.drop_table("plan_thresholds")
    op.drop_table("escalation_watermarks")
    with op.batch_alter_table("escalation_events", schema=None) as batch_op:
        batch_op.drop_index("ix_escalation_events_recorded_at")
    op.drop_table("escalation_events")
