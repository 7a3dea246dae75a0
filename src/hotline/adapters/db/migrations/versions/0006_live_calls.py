"""Live-call hunts: who was called for a caller, when, and how it ended.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=40), nullable=False),
        sa.Column("caller_name", sa.String(length=200), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_live_calls_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_calls")),
        sa.UniqueConstraint("token", name=op.f("uq_live_calls_token")),
    )
    with op.batch_alter_table("live_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_calls_call_sid"), ["call_sid"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_calls_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_live_calls_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_live_calls_status"), ["status"], unique=False)

    op.create_table(
        "live_call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("live_call_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("placing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("dialed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bridged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["live_call_id"],
            ["live_calls.id"],
            name=op.f("fk_live_call_legs_live_call_id_live_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_call_legs")),
        sa.UniqueConstraint("live_call_id", "number", name=op.f("uq_live_call_legs_live_call_id")),
    )
    with op.batch_alter_table("live_call_legs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_call_legs_call_sid"), ["call_sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_call_legs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_call_legs_call_sid"))
    op.drop_table("live_call_legs")
    with op.batch_alter_table("live_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_calls_status"))
        batch_op.drop_index(batch_op.f("ix_live_calls_incident_id"))
        batch_op.drop_index(batch_op.f("ix_live_calls_created_at"))
        batch_op.drop_index(batch_op.f("ix_live_calls_call_sid"))
    op.drop_table("live_calls")
