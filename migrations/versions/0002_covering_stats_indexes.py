"""Covering indexes for the statistics: scans by found_at, closed_at and started_at become index-only.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_hazards_found_at", table_name="hazards")
    op.drop_index("ix_hazards_closed_at", table_name="hazards")
    op.drop_index("ix_inspections_started_at", table_name="inspections")
    op.create_index(
        "ix_hazards_found_cover",
        "hazards",
        ["found_at"],
        postgresql_include=["enterprise_id", "grid_id", "category", "level", "closed_at", "deadline"],
    )
    op.create_index(
        "ix_hazards_closed_cover",
        "hazards",
        ["closed_at"],
        postgresql_include=["enterprise_id", "grid_id", "category", "level"],
    )
    op.create_index(
        "ix_inspections_started_cover", "inspections", ["started_at"], postgresql_include=["enterprise_id", "grid_id", "kind"]
    )


def downgrade():
    op.drop_index("ix_inspections_started_cover", table_name="inspections")
    op.drop_index("ix_hazards_closed_cover", table_name="hazards")
    op.drop_index("ix_hazards_found_cover", table_name="hazards")
    op.create_index("ix_inspections_started_at", "inspections", ["started_at"])
    op.create_index("ix_hazards_closed_at", "hazards", ["closed_at"])
    op.create_index("ix_hazards_found_at", "hazards", ["found_at"])
