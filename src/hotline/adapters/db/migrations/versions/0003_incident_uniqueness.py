"""One incident per ServiceNow sys_id, and per open dedup key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_incidents_servicenow",
        "incidents",
        ["external_id"],
        unique=True,
        sqlite_where=sa.text("source = 'servicenow'"),
        postgresql_where=sa.text("source = 'servicenow'"),
    )
    op.create_index(
        "uq_incidents_open_dedup_key",
        "incidents",
        ["dedup_key"],
        unique=True,
        sqlite_where=sa.text("status <> 'resolved'"),
        postgresql_where=sa.text("status <> 'resolved'"),
    )


def downgrade() -> None:
    op.drop_index("uq_incidents_open_dedup_key", table_name="incidents")
    op.drop_index("uq_incidents_servicenow", table_name="incidents")
