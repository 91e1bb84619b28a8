"""STS ``GetCallerIdentity`` at ec2api's endpoint: the one STS call EC2 tools make.

AWS tools that are pointed at ec2api with an ``endpoint_url`` send *every* service's calls there.
Ansible's ``amazon.aws.ec2_security_group`` (and others that need the account id for group pairs)
first asks STS who the caller is. ec2api answers that one question truthfully from what the
request's own signature proved: the account id ec2api shows as ``OwnerId``, the Keystone user id,
and an ARN of the form ``arn:aws:iam::<account>:user/<keystone user id>`` (Keystone users have no
IAM path; the id, not the display name, is what names the user stably). Every other STS action is
refused in STS's own error envelope (``InvalidAction``): ec2api issues no temporary credentials.

An STS request is recognised by STS's API version (``2011-06-15``, which no EC2 API version is),
and its signature must be scoped to the service ``sts``.
"""

from __future__ import annotations

from ec2api_runtime.errors import EC2Error, message_xml
from ec2api_runtime.xmltext import esc

VERSION = "2011-06-15"
SERVICE = "sts"
_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def is_sts(fields: dict[str, str]) -> bool:
    """Whether the request is for STS (by its ``Version``)."""
    return fields.get("Version") == VERSION


def answer(action: str, params: dict[str, str], request_id: str, account_id: str, user_id: str) -> bytes:
    """The response body of an authenticated STS request (``params``: its fields other than the
    protocol's and the signature's), or ``EC2Error`` for any other action."""
    if action != "GetCallerIdentity":
        raise EC2Error("InvalidAction", f"Could not find operation {action[:64]} for version {VERSION}"
                       " at this endpoint: ec2api answers GetCallerIdentity only", 400)
    unknown = sorted(params)
    if unknown:   # GetCallerIdentity has no parameters
        raise EC2Error("InvalidParameterValue", f"The parameter {unknown[0][:64]} is not recognized", 400)
    arn = f"arn:aws:iam::{account_id}:user/{user_id}"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<GetCallerIdentityResponse xmlns="{_NS}">'
            f"<GetCallerIdentityResult><Arn>{esc(arn)}</Arn><UserId>{esc(user_id)}</UserId>"
            f"<Account>{esc(account_id)}</Account></GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{esc(request_id)}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>").encode()


def error_xml(exc: EC2Error, request_id: str) -> bytes:
    """STS's error envelope (the query protocol's, not EC2's ``<Response><Errors>``)."""
    kind = "Receiver" if exc.status >= 500 else "Sender"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="{_NS}">'
            f"<Error><Type>{kind}</Type><Code>{message_xml(exc.code)}</Code><Message>{message_xml(exc.message)}</Message>"
            f"</Error><RequestId>{esc(request_id)}</RequestId></ErrorResponse>").encode()
