"""CreateLaunchTemplateVersion, DeleteLaunchTemplateVersions, DescribeLaunchTemplateVersions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db.types import utcnow
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers import _launch_templates as lt

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateLaunchTemplateVersionRequest,
        CreateLaunchTemplateVersionResult,
        DeleteLaunchTemplateVersionsRequest,
        DeleteLaunchTemplateVersionsResult,
        DescribeLaunchTemplateVersionsRequest,
        DescribeLaunchTemplateVersionsResult,
    )

ALIASES = ("$Latest", "$Default")
# AWS deletes at most 200 versions per call.
MAX_DELETE = 200


# ResolveAlias: templates here never hold a Systems Manager alias (refused when stored), so there
# is nothing to resolve and the answer is the same either way.
@handler("CreateLaunchTemplateVersion", not_found="InvalidLaunchTemplateId.NotFound",
         honours=("LaunchTemplateId", "LaunchTemplateName", "SourceVersion", "VersionDescription",
                  "LaunchTemplateData", "ResolveAlias"))
def create_launch_template_version(ctx: RequestContext, params: CreateLaunchTemplateVersionRequest
                                   ) -> CreateLaunchTemplateVersionResult:
    """The template's next version: the data given, over SourceVersion's data when one is named
    (a member given replaces the source's, as on AWS)."""
    given = dict(params["LaunchTemplateData"])
    lt.check_data(given)
    now = utcnow().replace(microsecond=0)
    creator = lt.created_by(ctx)   # before the session: the account id opens its own
    with ctx.session() as s:
        template = lt.find(s, ctx.project_id, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        data = given
        if params.get("SourceVersion"):
            data = {**json.loads(lt.version_row(s, template, params["SourceVersion"]).data), **given}
        row = lt.add_version(s, template, creator, data, params.get("VersionDescription"), now)
        view = lt.version_view(template, row)
    return {"LaunchTemplateVersion": view}   # type: ignore[typeddict-item]


@handler("DeleteLaunchTemplateVersions", not_found="InvalidLaunchTemplateId.NotFound",
         honours=("LaunchTemplateId", "LaunchTemplateName", "Versions"))
def delete_launch_template_versions(ctx: RequestContext, params: DeleteLaunchTemplateVersionsRequest
                                    ) -> DeleteLaunchTemplateVersionsResult:
    """Delete versions; each one that cannot go (the default, one that does not exist) is an error
    item of its own, as on AWS, and the others are deleted."""
    if len(params["Versions"]) > MAX_DELETE:
        raise EC2Error("InvalidParameterValue", f"You can delete at most {MAX_DELETE} versions in one request.")
    done: list[dict] = []
    failed: list[dict] = []
    with ctx.session() as s:
        template = lt.find(s, ctx.project_id, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        present = {v.version for v in lt.versions(s, [template.ec2_id])}
        doomed: list[int] = []
        for asked in dict.fromkeys(params["Versions"]):
            who: dict[str, Any] = {"LaunchTemplateId": template.ec2_id, "LaunchTemplateName": template.name}
            try:
                number = lt.version_number(template, asked)
            except EC2Error:
                number = None
            if number is not None:
                who["VersionNumber"] = number
            if number is None or number not in present:
                failed.append({**who, "ResponseError": {
                    "Code": "launchTemplateVersionDoesNotExist",
                    "Message": f"The specified launch template version {asked[:32]} does not exist."}})
            elif number == template.default_version:
                failed.append({**who, "ResponseError": {
                    "Code": "unexpectedError",
                    "Message": "Cannot delete the default version of a launch template: make another "
                               "version the default first, or delete the launch template."}})
            else:
                doomed.append(number)
                done.append(who)
        lt.drop_versions(s, template, doomed)
    out: dict[str, Any] = {}
    if done:
        out["SuccessfullyDeletedLaunchTemplateVersions"] = done
    if failed:
        out["UnsuccessfullyDeletedLaunchTemplateVersions"] = failed
    return out   # type: ignore[return-value]


def _selected(template: lt.LaunchTemplate, numbers: set[int], params: Any) -> set[int] | None:
    """The version numbers the request asks for (None: every version of the template)."""
    wanted = {lt.version_number(template, v) for v in params.get("Versions") or []}
    low, high = params.get("MinVersion"), params.get("MaxVersion")
    if low is None and high is None:
        return wanted or None
    low_n = lt.version_number(template, low) if low is not None else 1
    high_n = lt.version_number(template, high) if high is not None else lt.MAX_VERSIONS
    return wanted | {n for n in numbers if low_n <= n <= high_n}


def _fetch(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    """The versions asked for: of one template (by id or name), or, with only ``$Latest`` or
    ``$Default`` asked for, those versions of every template of the project. One or two queries."""
    named = params.get("LaunchTemplateId") or params.get("LaunchTemplateName")
    with ctx.session() as s:
        if named:
            templates = [lt.find(s, ctx.project_id, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))]
        else:
            templates = lt.templates(s, ctx.project_id)
        rows = lt.versions(s, [t.ec2_id for t in templates])
        by_template = {t.ec2_id: t for t in templates}
        out = []
        for template in templates:
            mine = [r for r in rows if r.template_id == template.ec2_id]
            numbers = {r.version for r in mine}
            chosen = _selected(template, numbers, params)
            if named and chosen is not None:
                missing = sorted(chosen - numbers)
                if missing and params.get("Versions"):
                    raise EC2Error("InvalidLaunchTemplateId.VersionNotFound",
                                   f"Could not find launch template version {missing[0]} for template "
                                   f"{template.ec2_id}.")
            out += [lt.version_view(by_template[r.template_id], r) for r in mine if chosen is None or r.version in chosen]
        return out


def _prepare(ctx: Any, params: Any) -> None:
    if params.get("LaunchTemplateId") and params.get("LaunchTemplateName"):
        raise EC2Error("InvalidParameterCombination",
                       "The parameters LaunchTemplateId and LaunchTemplateName cannot be used together.")
    if not (params.get("LaunchTemplateId") or params.get("LaunchTemplateName")):
        versions = params.get("Versions") or []
        if not versions or any(v not in ALIASES for v in versions) or "MinVersion" in params or "MaxVersion" in params:
            raise EC2Error("InvalidParameterCombination",
                           "Without a launch template id or name, only the versions $Latest and $Default "
                           "can be described.")


def _data(item: dict, *path: str) -> Any:
    value: Any = item["LaunchTemplateData"]
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


DESCRIBE = describe.Describe(
    result_key="LaunchTemplateVersions",
    fetch=_fetch,
    # Newest first within a template, as AWS lists them.
    sort_key=lambda i: [i["LaunchTemplateId"], -i["VersionNumber"]],
    prepare=_prepare,
    tags=False,
    filters={
        "create-time": lambda i: i["CreateTime"],
        "ebs-optimized": lambda i: _data(i, "EbsOptimized"),
        "http-endpoint": lambda i: _data(i, "MetadataOptions", "HttpEndpoint"),
        "http-tokens": lambda i: _data(i, "MetadataOptions", "HttpTokens"),
        "image-id": lambda i: _data(i, "ImageId"),
        "instance-type": lambda i: _data(i, "InstanceType"),
        "is-default-version": lambda i: i["DefaultVersion"],
        # Members a template here cannot hold (refused when stored): no version matches them.
        "kernel-id": lambda i: _data(i, "KernelId"),
        "ram-disk-id": lambda i: _data(i, "RamDiskId"),
        "iam-instance-profile": lambda i: None,
        "license-configuration-arn": lambda i: None,
        "host-resource-group-arn": lambda i: _data(i, "Placement", "HostResourceGroupArn"),
        "network-card-index": lambda i: [n.get("NetworkCardIndex") for n in _data(i, "NetworkInterfaces") or []],
    },
)


# ResolveAlias: nothing stored here is an alias (see CreateLaunchTemplateVersion);
# IncludeManagedResources: no template here is managed by a service. Either way the answer is the same.
@handler("DescribeLaunchTemplateVersions", not_found="InvalidLaunchTemplateId.NotFound",
         honours=("LaunchTemplateId", "LaunchTemplateName", "Versions", "MinVersion", "MaxVersion", "NextToken",
                  "MaxResults", "Filters", "ResolveAlias", "IncludeManagedResources"))
def describe_launch_template_versions(ctx: RequestContext, params: DescribeLaunchTemplateVersionsRequest
                                      ) -> DescribeLaunchTemplateVersionsResult:
    return describe.run(ctx, params, DESCRIBE)
