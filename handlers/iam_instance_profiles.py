"""DescribeIamInstanceProfileAssociations: this cloud has no IAM, so no instance has an instance
profile; the answer is the truth, an empty list, with filters and ids checked. The writes
(Associate/Disassociate/Replace) are refused with the reason (ec2api_runtime/refusals.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeIamInstanceProfileAssociationsRequest,
        DescribeIamInstanceProfileAssociationsResult,
    )


def _nothing(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    return []


DESCRIBE = describe.Describe(
    result_key="IamInstanceProfileAssociations",
    fetch=_nothing,
    sort_key=lambda i: i["AssociationId"],
    tags=False,
    requested=(describe.Requested("AssociationIds", lambda i: i["AssociationId"], lambda missing: EC2Error(
        "InvalidAssociationID.NotFound", f"The association ID '{missing[0]}' does not exist"),
        with_max_results="associationIds"),),
    filters={"instance-id": lambda i: None, "state": lambda i: None},
)


@handler("DescribeIamInstanceProfileAssociations", honours=("AssociationIds", "Filters", "MaxResults", "NextToken"))
def describe_iam_instance_profile_associations(ctx: RequestContext,
                                               params: DescribeIamInstanceProfileAssociationsRequest
                                               ) -> DescribeIamInstanceProfileAssociationsResult:
    return describe.run(ctx, params, DESCRIBE)
