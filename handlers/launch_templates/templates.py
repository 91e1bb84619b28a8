"""CreateLaunchTemplate, ModifyLaunchTemplate, DeleteLaunchTemplate, DescribeLaunchTemplates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from ec2api_runtime import describe
from ec2api_runtime.db import tags
from ec2api_runtime.db.types import utcnow
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _launch_templates as lt

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateLaunchTemplateRequest,
        CreateLaunchTemplateResult,
        DeleteLaunchTemplateRequest,
        DeleteLaunchTemplateResult,
        DescribeLaunchTemplatesRequest,
        DescribeLaunchTemplatesResult,
        ModifyLaunchTemplateRequest,
        ModifyLaunchTemplateResult,
    )

RESOURCE_TYPE = "launch-template"


@handler("CreateLaunchTemplate", honours=("LaunchTemplateName", "VersionDescription", "LaunchTemplateData",
                                          "TagSpecifications"))
def create_launch_template(ctx: RequestContext, params: CreateLaunchTemplateRequest) -> CreateLaunchTemplateResult:
    """A template and its version 1; its data holds only what RunInstances honours (checked here)."""
    name = params["LaunchTemplateName"]
    lt.check_name(name)
    data = dict(params["LaunchTemplateData"])
    lt.check_data(data)
    template_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    now = utcnow().replace(microsecond=0)   # as every database keeps it
    creator = lt.created_by(ctx)   # before the session: the account id opens its own
    try:
        with ctx.session() as s:
            row = lt.create(s, ctx.project_id, name, creator, data, params.get("VersionDescription"), now)
            if template_tags:
                tags.set_tags(s, ctx.project_id, [row.ec2_id], template_tags)
            view = lt.template_view(row, template_tags)
    except IntegrityError:   # a concurrent create of the same name won the unique key
        raise lt.already_exists(name) from None
    drop_empty_tags([view])
    return {"LaunchTemplate": view}   # type: ignore[typeddict-item]


@handler("ModifyLaunchTemplate", not_found="InvalidLaunchTemplateId.NotFound",
         honours=("LaunchTemplateId", "LaunchTemplateName", "DefaultVersion"))
def modify_launch_template(ctx: RequestContext, params: ModifyLaunchTemplateRequest) -> ModifyLaunchTemplateResult:
    """Set the default version (the only setting a template has besides its versions)."""
    with ctx.session() as s:
        row = lt.find(s, ctx.project_id, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        if params.get("DefaultVersion") is not None:
            row.default_version = lt.version_row(s, row, params["DefaultVersion"]).version
        s.flush()
        view = lt.template_view(row, [])
    del view["Tags"]   # AWS answers Modify without the tags
    return {"LaunchTemplate": view}   # type: ignore[typeddict-item]


@handler("DeleteLaunchTemplate", not_found="InvalidLaunchTemplateId.NotFound",
         honours=("LaunchTemplateId", "LaunchTemplateName"))
def delete_launch_template(ctx: RequestContext, params: DeleteLaunchTemplateRequest) -> DeleteLaunchTemplateResult:
    """Delete a template with all its versions and tags."""
    with ctx.session() as s:
        row = lt.find(s, ctx.project_id, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        view = lt.template_view(row, [])
        lt.drop(s, ctx.project_id, row)
    del view["Tags"]
    return {"LaunchTemplate": view}   # type: ignore[typeddict-item]


def _fetch(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    """The project's templates: one query, and one for their tags (a project keeps a few hundred at most)."""
    with ctx.session() as s:
        rows = lt.templates(s, ctx.project_id)
        if wanted["LaunchTemplateIds"] or wanted["LaunchTemplateNames"]:
            asked = set(wanted["LaunchTemplateIds"]) | set(wanted["LaunchTemplateNames"])
            rows = [r for r in rows if r.ec2_id in asked or r.name in asked]
        tag_map = lt.tags_of(s, ctx.project_id, [r.ec2_id for r in rows])
        return [lt.template_view(r, tag_map.get(r.ec2_id, [])) for r in rows]


def _prepare(ctx: Any, params: Any) -> None:
    if params.get("LaunchTemplateIds") and params.get("LaunchTemplateNames"):
        raise EC2Error("InvalidParameterCombination",
                       "The parameters LaunchTemplateIds and LaunchTemplateNames cannot be used together.")


DESCRIBE = describe.Describe(
    result_key="LaunchTemplates",
    fetch=_fetch,
    sort_key=lambda i: i["LaunchTemplateId"],
    prepare=_prepare,
    requested=(
        describe.Requested("LaunchTemplateIds", lambda i: i["LaunchTemplateId"], lambda missing: EC2Error(
            "InvalidLaunchTemplateId.NotFound",
            f"The specified launch template, with template ID {missing[0]}, does not exist."), kind=lt.KIND),
        describe.Requested("LaunchTemplateNames", lambda i: i["LaunchTemplateName"], lambda missing: EC2Error(
            "InvalidLaunchTemplateName.NotFoundException",
            f"At least one of the launch templates specified in the request does not exist: {missing[0]}")),
    ),
    filters={"create-time": lambda i: i["CreateTime"], "launch-template-name": lambda i: i["LaunchTemplateName"]},
)


# IncludeManagedResources: no template here is managed by a service, so with or without it the
# answer is the same.
@handler("DescribeLaunchTemplates", honours=("LaunchTemplateIds", "LaunchTemplateNames", "Filters", "NextToken",
                                             "MaxResults", "IncludeManagedResources"))
def describe_launch_templates(ctx: RequestContext,
                              params: DescribeLaunchTemplatesRequest) -> DescribeLaunchTemplatesResult:
    return describe.run(ctx, params, DESCRIBE)
