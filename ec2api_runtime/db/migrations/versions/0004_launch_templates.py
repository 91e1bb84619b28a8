"""launch_templates, launch_template_versions: EC2 launch templates, kept by ec2api (OpenStack has none).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from ec2api_runtime.db.types import LongText, Str, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "launch_templates",
        sa.Column("ec2_id", Str(64), nullable=False),
        sa.Column("project_id", Str(64), nullable=False),
        sa.Column("name", Str(128), nullable=False),
        sa.Column("default_version", sa.Integer(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_by", Str(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ec2_id"], ["items.ec2_id"], name=op.f("fk_launch_templates_ec2_id_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ec2_id", name=op.f("pk_launch_templates")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_launch_templates_project_id_name")),
        **_MYSQL,
    )
    op.create_table(
        "launch_template_versions",
        sa.Column("template_id", Str(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", Str(255), nullable=True),
        sa.Column("data", LongText(), nullable=False),
        sa.Column("created_by", Str(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["template_id"], ["launch_templates.ec2_id"],
                                name=op.f("fk_launch_template_versions_template_id_launch_templates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("template_id", "version", name=op.f("pk_launch_template_versions")),
        **_MYSQL,
    )


def downgrade() -> None:
    op.drop_table("launch_template_versions")
    op.drop_table("launch_templates")
