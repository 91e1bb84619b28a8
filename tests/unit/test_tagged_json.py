"""The one tagged-JSON encoder (idempotency records, terminated instances' stored views)."""

from __future__ import annotations

from datetime import UTC, datetime

from ec2api_runtime import tagged_json


def test_an_instance_view_comes_back_as_it_went_in():
    view = {"LaunchTime": datetime(2026, 11, 26, 7, 0, tzinfo=UTC), "BlockDeviceMappings": [
        {"Ebs": {"AttachTime": datetime(2026, 11, 26, 7, 1, tzinfo=UTC)}}], "Tags": []}
    assert tagged_json.decode(tagged_json.encode(view)) == view
    assert tagged_json.loads(tagged_json.dumps(view)) == view


def test_views_stored_by_the_old_instance_encoder_are_still_read():
    stored = {"LaunchTime": {"$dt": "2026-11-26T07:00:00+00:00"}}
    assert tagged_json.decode(stored) == {"LaunchTime": datetime(2026, 11, 26, 7, 0, tzinfo=UTC)}
