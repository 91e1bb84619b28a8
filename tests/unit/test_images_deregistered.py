"""DescribeImages by the id of a deregistered image: an empty answer within
``deregistered_visible_seconds`` of the deregistration, ``InvalidAMIID.NotFound`` after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from handlers._glance import SCOPE, image_ids
from handlers.images.describe import describe_images
from tests.unit.test_images_cost import FakeGlance, _ctx

GONE = "00000000-0000-0000-0000-00000000dead"


def _deregistered(db, seconds_ago: float | None) -> str:  # noqa: F811
    with db.session() as s:
        image_id = image_ids(s, [GONE])[GONE]
        if seconds_ago is not None:
            when = datetime.now(UTC) - timedelta(seconds=seconds_ago)
            ids.set_data(s, SCOPE, image_id, {"deregistered_at": when.isoformat()})
    return image_id


@pytest.mark.parametrize("seconds_ago, window, empty", [
    (10, 3600, True), (10, 5, False), (None, 3600, False)])
def test_deregistered_image_window(db, seconds_ago, window, empty) -> None:  # noqa: F811
    image_id = _deregistered(db, seconds_ago)
    ctx = _ctx(db, FakeGlance(0).connection())     # Glance shows nothing of a deleted image
    ctx.config = SimpleNamespace(deregistered_visible_seconds=window)
    if empty:
        assert describe_images(ctx, {"ImageIds": [image_id]})["Images"] == []
    else:
        with pytest.raises(EC2Error) as e:
            describe_images(ctx, {"ImageIds": [image_id]})
        assert e.value.code == "InvalidAMIID.NotFound"
