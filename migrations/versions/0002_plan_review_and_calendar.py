"""plan review, calendar data, due date changes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 17:32:04.812224

The school calendar as editable rows (calendar_terms, calendar_days), the
party names the ministry admin adds (party_entries), the importer's warnings
(plan_warnings), the record of moved due dates (due_date_changes), and per
plan the working days after a quarter and after the school year, and the
plan it was rolled over from.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('public_holiday', 'transferred_day_off', 'working_saturday', name='daykind', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'assumed', name='datastatus', native_enum=False, length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_days_day'))
    )
    op.create_table('calendar_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('quarter', 'school_holidays', name='termkind', native_enum=False, length=32), nullable=False),
    sa.Column('starts', sa.Date(), nullable=False),
    sa.Column('ends', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'assumed', name='datastatus', native_enum=False, length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_terms')),
    sa.UniqueConstraint('school_year', 'name', name=op.f('uq_calendar_terms_school_year_name'))
    )
    with op.batch_alter_table('calendar_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_terms_school_year'), ['school_year'], unique=False)

    op.create_table('party_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('role', sa.Enum('ministry_admin', 'ministry_specialist', 'agency_staff', 'district_specialist', 'school_head', 'deputy_head', 'ict_methodist', 'class_teacher', 'teacher', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('level', sa.Enum('ministry', 'agency', 'district', 'school', name='level', native_enum=False, length=32), nullable=False),
    sa.Column('org_code', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_party_entries_created_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_entries')),
    sa.UniqueConstraint('name', name=op.f('uq_party_entries_name'))
    )
    op.create_table('plan_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_number', sa.String(length=32), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_warnings_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_warnings'))
    )
    with op.batch_alter_table('plan_warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_warnings_plan_id'), ['plan_id'], unique=False)

    op.create_table('due_date_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('old_due', sa.Date(), nullable=True),
    sa.Column('new_due', sa.Date(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['people.id'], name=op.f('fk_due_date_changes_changed_by_id_people')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_due_date_changes_item_id_items')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_due_date_changes_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_due_date_changes'))
    )
    with op.batch_alter_table('due_date_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_due_date_changes_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_due_date_changes_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('working_days_after_quarter', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('working_days_after_school_year', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('rolled_over_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_plans_rolled_over_from_id_plans'), 'plans', ['rolled_over_from_id'], ['id'])


def downgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plans_rolled_over_from_id_plans'), type_='foreignkey')
        batch_op.drop_column('rolled_over_from_id')
        batch_op.drop_column('working_days_after_school_year')
        batch_op.drop_column('working_days_after_quarter')

    with op.batch_alter_table('due_date_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_due_date_changes_task_id'))
        batch_op.drop_index(batch_op.f('ix_due_date_changes_item_id'))

    op.drop_table('due_date_changes')
    with op.batch_alter_table('plan_warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_warnings_plan_id'))

    op.drop_table('plan_warnings')
    op.drop_table('party_entries')
    with op.batch_alter_table('calendar_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_terms_school_year'))

    op.drop_table('calendar_terms')
    op.drop_table('calendar_days')
