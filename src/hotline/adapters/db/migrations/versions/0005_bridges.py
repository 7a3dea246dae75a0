"""Conference bridges opened from the call-in hotline.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bridges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("host_call", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridges")),
    )
    with op.batch_alter_table("bridges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bridges_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_bridges_host_call"), ["host_call"], unique=False)
        # At most one open bridge per code: a code identifies the bridge to join.
        batch_op.create_index(
            "uq_bridges_open_code",
            ["code"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("bridges", schema=None) as batch_op:
        batch_op.drop_index("uq_bridges_open_code")
        batch_op.drop_index(batch_op.f("ix_bridges_host_call"))
        batch_op.drop_index(batch_op.f("ix_bridges_code"))
    op.drop_table("bridges")
