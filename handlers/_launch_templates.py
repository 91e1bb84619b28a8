"""Launch templates kept in ec2api's database (OpenStack has none): the rows, their EC2 views, the
check of LaunchTemplateData against what RunInstances honours, and the merge RunInstances does.

A template's data is stored as the caller gave it (LaunchTemplateData, request shape). Only what
RunInstances itself honours is accepted, derived from RunInstances' own ``honours``/``partly``
declaration in the registry: a member refused at launch is refused when the template is made, not
dropped later in silence.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ec2api_runtime import dispatch, honours
from ec2api_runtime.db import ids, tags
from ec2api_runtime.db.models import LaunchTemplate, LaunchTemplateVersion
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.tagging import tags_from_specs

KIND = "lt"
DATA = "LaunchTemplateData"
# LaunchTemplateData members spelled differently in RunInstances' input.
_RUN_NAME = {"RamDiskId": "RamdiskId", "ElasticGpuSpecifications": "ElasticGpuSpecification"}
# AWS's name rule: 3-128 characters of letters, digits and ( ) . - / _ (the model only bounds length).
_NAME_RE = re.compile(r"[a-zA-Z0-9().\-/_]{3,128}")
# AWS allows 10,000 versions per template.
MAX_VERSIONS = 10000


def run_handler() -> dispatch.Handler:
    """RunInstances' registered handler: its declaration is the one list of what a launch honours."""
    if "RunInstances" not in dispatch.HANDLERS:
        dispatch.load_handlers()
    return dispatch.HANDLERS["RunInstances"]


def check_data(data: Mapping[str, Any]) -> None:
    """Refuse, naming it, each LaunchTemplateData member (or value) RunInstances does not honour."""
    run = run_handler()
    for member, value in data.items():
        name = _RUN_NAME.get(member, member)
        path = f"{DATA}.{member}"
        if name in run.partly:
            honours.check_value(path, value, run.partly[name])
        elif name not in run.honours or name == "LaunchTemplate":
            raise honours.unsupported(path)
    image = data.get("ImageId")
    if isinstance(image, str) and image.startswith("resolve:ssm:"):
        # AWS resolves Systems Manager parameters; this cloud has none to resolve.
        raise honours.unsupported(f"{DATA}.ImageId", image)
    # RunInstances tags instances and volumes at launch: a template may tag those only.
    tags_from_specs(data.get("TagSpecifications"), "instance", allowed=("instance", "volume"))


def as_run_params(data: Mapping[str, Any]) -> dict[str, Any]:
    """A template's data as RunInstances members."""
    return {_RUN_NAME.get(k, k): v for k, v in data.items()}


def merge_tag_specs(template: list[dict], request: list[dict]) -> list[dict]:
    """Tags of both, per resource type; a key the request also sets takes the request's value."""
    by_type: dict[str, dict[str, dict]] = {}
    for spec in [*template, *request]:
        keyed = by_type.setdefault(spec["ResourceType"], {})
        for tag in spec.get("Tags") or []:
            keyed[tag["Key"]] = tag
    return [{"ResourceType": rtype, "Tags": list(keyed.values())} for rtype, keyed in by_type.items()]


def merged_run_params(ctx: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """RunInstances' params with its LaunchTemplate's data under them: a member the request sets
    replaces the template's, as on AWS; tags are merged. Checked again against RunInstances'
    declaration, since the merged request is what is launched."""
    spec = params["LaunchTemplate"]
    with ctx.session() as s:
        template = find(s, ctx.project_id, spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName"))
        version = version_row(s, template, spec.get("Version") or "$Default")
        data = json.loads(version.data)
    merged = as_run_params(data)
    request = {k: v for k, v in params.items() if k != "LaunchTemplate"}
    if merged.get("TagSpecifications") and request.get("TagSpecifications"):
        request["TagSpecifications"] = merge_tag_specs(merged["TagSpecifications"], request["TagSpecifications"])
    merged.update(request)
    run_handler().refuse_unhonoured(merged)
    return merged


# --- rows -------------------------------------------------------------------------------------------

def check_name(name: str) -> None:
    if not _NAME_RE.fullmatch(name):
        raise EC2Error("InvalidLaunchTemplateName.MalformedException",
                       "A launch template name must be between 3 and 128 characters, and may contain "
                       "letters, numbers, and the following characters: - ( ) . / _.")


def find(s: Session, project_id: str, template_id: str | None, name: str | None) -> LaunchTemplate:
    """The caller's template named by id or by name (exactly one of them), or AWS's error."""
    if template_id and name:
        raise EC2Error("InvalidParameterCombination",
                       "The parameters LaunchTemplateId and LaunchTemplateName cannot be used together.")
    if template_id:
        if not ids.is_well_formed(KIND, template_id):
            raise EC2Error("InvalidLaunchTemplateId.Malformed",
                           f"The specified ID for the launch template is not valid: {template_id}")
        row = s.scalar(select(LaunchTemplate).where(LaunchTemplate.project_id == project_id,
                                                    LaunchTemplate.ec2_id == template_id))
        if row is None:
            raise EC2Error("InvalidLaunchTemplateId.NotFound",
                           f"The specified launch template, with template ID {template_id}, does not exist.")
        return row
    if name:
        row = s.scalar(select(LaunchTemplate).where(LaunchTemplate.project_id == project_id,
                                                    LaunchTemplate.name == name))
        if row is None:
            raise EC2Error("InvalidLaunchTemplateName.NotFoundException",
                           f"The specified launch template, with template name {name}, does not exist.")
        return row
    raise missing_parameter("LaunchTemplateId or LaunchTemplateName")


def version_number(template: LaunchTemplate, version: str) -> int:
    """``$Latest``, ``$Default`` or a number, as the template's version number."""
    if version == "$Latest":
        return template.latest_version
    if version == "$Default":
        return template.default_version
    if not version.isdigit() or not 0 < int(version) <= MAX_VERSIONS:
        raise EC2Error("InvalidLaunchTemplateId.VersionNotFound",
                       f"Could not find launch template version {version[:32]} for template {template.ec2_id}.")
    return int(version)


def version_row(s: Session, template: LaunchTemplate, version: str) -> LaunchTemplateVersion:
    number = version_number(template, version)
    row = s.get(LaunchTemplateVersion, (template.ec2_id, number))
    if row is None:
        raise EC2Error("InvalidLaunchTemplateId.VersionNotFound",
                       f"Could not find launch template version {number} for template {template.ec2_id}.")
    return row


def create(s: Session, project_id: str, name: str, created_by: str, data: Mapping[str, Any],
           description: str | None, now: datetime) -> LaunchTemplate:
    """A new template with its version 1; its ``lt-`` id is an ``items`` row so that it carries tags."""
    if s.scalar(select(LaunchTemplate.ec2_id).where(LaunchTemplate.project_id == project_id,
                                                     LaunchTemplate.name == name)) is not None:
        raise already_exists(name)
    template_id = ids.ec2_id(s, project_id, KIND, str(uuid.uuid4()))
    row = LaunchTemplate(ec2_id=template_id, project_id=project_id, name=name, default_version=1,
                         latest_version=1, created_by=created_by, created_at=now)
    s.add(row)
    s.add(LaunchTemplateVersion(template_id=template_id, version=1, description=description,
                                data=json.dumps(data, sort_keys=True), created_by=created_by, created_at=now))
    s.flush()   # the unique (project, name) key decides a race here, inside the caller's transaction
    return row


def already_exists(name: str) -> EC2Error:
    return EC2Error("InvalidLaunchTemplateName.AlreadyExistsException",
                    f"Launch template name already in use: {name}")


def add_version(s: Session, template: LaunchTemplate, created_by: str, data: Mapping[str, Any],
                description: str | None, now: datetime) -> LaunchTemplateVersion:
    """The template's next version. The UPDATE takes the template row's lock first, so that two
    concurrent calls get consecutive numbers rather than one failing on the primary key."""
    s.execute(update(LaunchTemplate).where(LaunchTemplate.ec2_id == template.ec2_id)
              .values(latest_version=LaunchTemplate.latest_version + 1))
    s.refresh(template)
    if template.latest_version > MAX_VERSIONS:
        raise EC2Error("LaunchTemplateVersionLimitExceeded",
                       f"A launch template can have at most {MAX_VERSIONS} versions.")
    row = LaunchTemplateVersion(template_id=template.ec2_id, version=template.latest_version,
                                description=description, data=json.dumps(data, sort_keys=True),
                                created_by=created_by, created_at=now)
    s.add(row)
    s.flush()
    return row


def versions(s: Session, template_ids: list[str]) -> list[LaunchTemplateVersion]:
    if not template_ids:
        return []
    return list(s.scalars(select(LaunchTemplateVersion).where(LaunchTemplateVersion.template_id.in_(template_ids))))


def templates(s: Session, project_id: str) -> list[LaunchTemplate]:
    return list(s.scalars(select(LaunchTemplate).where(LaunchTemplate.project_id == project_id)))


def drop(s: Session, project_id: str, template: LaunchTemplate) -> None:
    """Delete a template, its versions, its id and its tags (explicitly: SQLite may not cascade)."""
    s.execute(delete(LaunchTemplateVersion).where(LaunchTemplateVersion.template_id == template.ec2_id))
    s.execute(delete(LaunchTemplate).where(LaunchTemplate.ec2_id == template.ec2_id))
    ids.forget(s, project_id, [template.ec2_id])


def drop_versions(s: Session, template: LaunchTemplate, numbers: list[int]) -> None:
    s.execute(delete(LaunchTemplateVersion).where(LaunchTemplateVersion.template_id == template.ec2_id,
                                                  LaunchTemplateVersion.version.in_(numbers)))


# --- views ------------------------------------------------------------------------------------------

def template_view(row: LaunchTemplate, tag_list: list[Any]) -> dict:
    return {"LaunchTemplateId": row.ec2_id, "LaunchTemplateName": row.name, "CreateTime": row.created_at,
            "CreatedBy": row.created_by, "DefaultVersionNumber": row.default_version,
            "LatestVersionNumber": row.latest_version, "Tags": tag_list}


def version_view(template: LaunchTemplate, row: LaunchTemplateVersion) -> dict:
    out = {"LaunchTemplateId": template.ec2_id, "LaunchTemplateName": template.name,
           "VersionNumber": row.version, "CreateTime": row.created_at, "CreatedBy": row.created_by,
           "DefaultVersion": row.version == template.default_version, "LaunchTemplateData": json.loads(row.data)}
    if row.description is not None:
        out["VersionDescription"] = row.description
    return out


def tags_of(s: Session, project_id: str, template_ids: list[str]) -> dict[str, list[dict]]:
    return tags.tags_for(s, project_id, template_ids)


def created_by(ctx: Any) -> str:
    """AWS's CreatedBy: the caller's ARN; here the account's root, the identity ec2api knows."""
    return f"arn:aws:iam::{ctx.account_id}:root"
