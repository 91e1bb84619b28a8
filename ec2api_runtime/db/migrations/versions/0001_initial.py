"""Initial schema: items (EC2 ids), tags, idempotency, accounts.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from ec2api_runtime.db.types import LongText, Str, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("ec2_id", Str(64), nullable=False),
        sa.Column("project_id", Str(64), nullable=False),
        sa.Column("kind", Str(32), nullable=False),
        sa.Column("os_id", Str(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ec2_id", name=op.f("pk_items")),
        sa.UniqueConstraint("project_id", "kind", "os_id", name=op.f("uq_items_project_id_kind_os_id")),
        **_MYSQL,
    )
    op.create_table(
        "tags",
        sa.Column("project_id", Str(64), nullable=False),
        sa.Column("resource_id", Str(64), nullable=False),
        sa.Column("kind", Str(32), nullable=False),
        sa.Column("key", Str(128), nullable=False),
        sa.Column("value", Str(256), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["items.ec2_id"], name=op.f("fk_tags_resource_id_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "resource_id", "key", name=op.f("pk_tags")),
        **_MYSQL,
    )
    op.create_index(op.f("ix_tags_project_id_key"), "tags", ["project_id", "key"])
    op.create_index(op.f("ix_tags_project_id_kind"), "tags", ["project_id", "kind"])
    op.create_index(op.f("ix_tags_resource_id"), "tags", ["resource_id"])
    op.create_table(
        "idempotency",
        sa.Column("project_id", Str(64), nullable=False),
        sa.Column("operation", Str(64), nullable=False),
        sa.Column("token", Str(64), nullable=False),
        sa.Column("digest", Str(64), nullable=False),
        sa.Column("state", Str(16), nullable=False),
        sa.Column("result", LongText(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "operation", "token", name=op.f("pk_idempotency")),
        **_MYSQL,
    )
    op.create_index(op.f("ix_idempotency_created_at"), "idempotency", ["created_at"])
    op.create_table(
        "accounts",
        sa.Column("project_id", Str(64), nullable=False),
        sa.Column("account_id", Str(12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("account_id", name=op.f("uq_accounts_account_id")),
        **_MYSQL,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes (MySQL refuses to drop the index of a foreign key first).
    op.drop_table("accounts")
    op.drop_table("idempotency")
    op.drop_table("tags")
    op.drop_table("items")
