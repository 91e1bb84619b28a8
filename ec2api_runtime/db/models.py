"""SQLAlchemy 2 models of ec2api's state: EC2 id mappings, tags, idempotency records, account ids.

Everything is keyed by the Keystone project id: one project never sees another's rows.
Index and constraint names come from the naming convention below so that migrations are stable.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, MetaData, PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ec2api_runtime.db.types import LongText, Str, UTCDateTime, utcnow

# Lengths: Keystone project ids are 32 hex digits (64 allowed); EC2 ids are "<kind>-" + 17 hex digits;
# OpenStack ids are UUIDs except key pairs (Nova names them, up to 255 characters); AWS caps tag keys
# at 128 and values at 256 characters and ClientToken at 64 ASCII characters. The widest index,
# items (project_id, kind, os_id), is 335 characters = 1,340 bytes in utf8mb4, within InnoDB's
# 3,072-byte limit for the DYNAMIC row format (the default since MariaDB 10.2 / MySQL 5.7).
PROJECT_LEN = 64
KIND_LEN = 32
EC2_ID_LEN = 64
OS_ID_LEN = 255
TAG_KEY_LEN = 128
TAG_VALUE_LEN = 256
OPERATION_LEN = 64
TOKEN_LEN = 64
DIGEST_LEN = 64
ACCOUNT_LEN = 12

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

_MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Item(Base):
    """One EC2 id: ``<kind>-<17 hex>`` for an OpenStack object (``os_id``) of a project."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "os_id"),
        _MYSQL,
    )

    ec2_id: Mapped[str] = mapped_column(Str(EC2_ID_LEN), primary_key=True)
    project_id: Mapped[str] = mapped_column(Str(PROJECT_LEN))
    kind: Mapped[str] = mapped_column(Str(KIND_LEN))
    os_id: Mapped[str] = mapped_column(Str(OS_ID_LEN))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Facts about the resource that OpenStack does not keep (JSON; see ids.set_data).
    data: Mapped[str | None] = mapped_column(LongText(), nullable=True)


class Tag(Base):
    """A tag ``key=value`` on an EC2 id of a project (the id must be mapped in ``items``)."""

    __tablename__ = "tags"
    __table_args__ = (
        # The primary key is the unique (project_id, resource_id, key); it also serves DescribeTags'
        # stable (resource_id, key) order within a project.
        PrimaryKeyConstraint("project_id", "resource_id", "key"),
        Index(None, "project_id", "key"),
        Index(None, "project_id", "kind"),
        _MYSQL,
    )

    project_id: Mapped[str] = mapped_column(Str(PROJECT_LEN))
    resource_id: Mapped[str] = mapped_column(
        Str(EC2_ID_LEN), ForeignKey("items.ec2_id", ondelete="CASCADE"), index=True)
    # The resource's kind ("i", "vol", ...), copied from the id so that DescribeTags can filter on
    # resource-type in SQL.
    kind: Mapped[str] = mapped_column(Str(KIND_LEN))
    key: Mapped[str] = mapped_column(Str(TAG_KEY_LEN))
    value: Mapped[str] = mapped_column(Str(TAG_VALUE_LEN))


class IdempotencyRecord(Base):
    """A ``ClientToken`` seen for an operation of a project, and the result of its first run."""

    __tablename__ = "idempotency"
    __table_args__ = (
        PrimaryKeyConstraint("project_id", "operation", "token"),
        _MYSQL,
    )

    project_id: Mapped[str] = mapped_column(Str(PROJECT_LEN))
    operation: Mapped[str] = mapped_column(Str(OPERATION_LEN))
    token: Mapped[str] = mapped_column(Str(TOKEN_LEN))
    digest: Mapped[str] = mapped_column(Str(DIGEST_LEN))
    state: Mapped[str] = mapped_column(Str(16))          # "pending" | "complete"
    result: Mapped[str | None] = mapped_column(LongText())   # JSON, see idempotency.encode
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Account(Base):
    """The 12-digit AWS account id (``OwnerId``) of a Keystone project."""

    __tablename__ = "accounts"
    __table_args__ = (_MYSQL,)

    project_id: Mapped[str] = mapped_column(Str(PROJECT_LEN), primary_key=True)
    account_id: Mapped[str] = mapped_column(Str(ACCOUNT_LEN), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Secret(Base):
    """A deployment-wide random secret (e.g. the key that signs ``NextToken``), made once, shared by
    every worker that uses this database."""

    __tablename__ = "secrets"
    __table_args__ = (_MYSQL,)

    name: Mapped[str] = mapped_column(Str(64), primary_key=True)
    value: Mapped[str] = mapped_column(Str(128))       # hex
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


LAUNCH_TEMPLATE_NAME_LEN = 128
VERSION_DESCRIPTION_LEN = 255


class LaunchTemplate(Base):
    """A launch template of a project (no OpenStack counterpart): its ``lt-`` id is an ``items`` row
    (so that it carries tags), its name is unique in the project, its versions are numbered from 1."""

    __tablename__ = "launch_templates"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        _MYSQL,
    )

    ec2_id: Mapped[str] = mapped_column(
        Str(EC2_ID_LEN), ForeignKey("items.ec2_id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(Str(PROJECT_LEN))
    name: Mapped[str] = mapped_column(Str(LAUNCH_TEMPLATE_NAME_LEN))
    default_version: Mapped[int] = mapped_column()
    latest_version: Mapped[int] = mapped_column()
    created_by: Mapped[str] = mapped_column(Str(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LaunchTemplateVersion(Base):
    """One version of a launch template: its LaunchTemplateData as the caller gave it (JSON)."""

    __tablename__ = "launch_template_versions"
    __table_args__ = (
        PrimaryKeyConstraint("template_id", "version"),
        _MYSQL,
    )

    template_id: Mapped[str] = mapped_column(
        Str(EC2_ID_LEN), ForeignKey("launch_templates.ec2_id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    description: Mapped[str | None] = mapped_column(Str(VERSION_DESCRIPTION_LEN), nullable=True)
    data: Mapped[str] = mapped_column(LongText())
    created_by: Mapped[str] = mapped_column(Str(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
