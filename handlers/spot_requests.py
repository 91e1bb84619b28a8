"""DescribeSpotInstanceRequests: this cloud has no spot market (Nova has no spot instances), so no
spot request ever exists; the answer is the truth, an empty list, with filters and ids checked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from generated.ec2.metadata import FILTERS

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import DescribeSpotInstanceRequestsRequest, DescribeSpotInstanceRequestsResult


def _nothing(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    return []


# Every documented filter is evaluated, truthfully: no request exists for any of them to match.
DESCRIBE = describe.Describe(
    result_key="SpotInstanceRequests",
    fetch=_nothing,
    sort_key=lambda i: i["SpotInstanceRequestId"],
    requested=(describe.Requested("SpotInstanceRequestIds", lambda i: i["SpotInstanceRequestId"],
                                  lambda missing: EC2Error("InvalidSpotInstanceRequestID.NotFound",
                                                           f"The spot instance request ID '{missing[0]}' does not exist"),
                                  kind="sir"),),
    filters={name: (lambda i: None) for name in FILTERS["DescribeSpotInstanceRequests"] if name != "tag:<key>"},
)


@handler("DescribeSpotInstanceRequests",
         honours=("SpotInstanceRequestIds", "Filters", "MaxResults", "NextToken"))
def describe_spot_instance_requests(ctx: RequestContext, params: DescribeSpotInstanceRequestsRequest
                                    ) -> DescribeSpotInstanceRequestsResult:
    return describe.run(ctx, params, DESCRIBE)
