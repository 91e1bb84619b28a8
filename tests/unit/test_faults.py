"""OpenStack's over-quota answers become EC2's *LimitExceeded errors by meaning, whatever the status."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from ec2api_runtime import faults


def _http(status: int, message: str) -> sdk_exc.HttpException:
    return sdk_exc.HttpException(message=message, details=message, http_status=status)


@pytest.mark.parametrize(("status", "message"), [
    (403, "Maximum number of ports exceeded"),                                    # Nova, port quota
    (403, "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"),   # Nova
    (409, "Quota exceeded for resources: ['port']."),                              # Neutron OverQuota
    (413, "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'."),
    (400, "Maximum number of key pairs exceeded"),
])
def test_quota_answers_are_limit_exceeded(status, message):
    err = faults.translate(_http(status, message), limit_exceeded="InstanceLimitExceeded")
    assert (err.code, err.status) == ("InstanceLimitExceeded", 400)


def test_a_plain_403_is_still_unauthorized():
    err = faults.translate(_http(403, "Policy doesn't allow os_compute_api:servers:create to be performed."))
    assert err.code == "UnauthorizedOperation"
