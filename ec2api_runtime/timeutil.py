"""Timestamps from OpenStack APIs, which come in several ISO 8601 spellings, as aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_os_time(value: str | datetime | None) -> datetime | None:
    """``2026-11-26T07:00:00Z``, ``2026-11-26T07:00:00.123456`` or ``...+00:00`` -> aware UTC datetime."""
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else (
            value.replace(tzinfo=UTC) if isinstance(value, datetime) else None)
    text = value.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
