"""Static analysis of handlers/: what it finds in the real tree, pinned on reads a reader can check
by eye, and kept in step with the runtime's own registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from ec2api_runtime import handler_facts
from ec2api_runtime.dispatch import load_handlers
from ec2api_runtime.handler_facts import TAG_FILTERS, declared_facts, member_names, merge, static_facts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def facts():
    return static_facts(ROOT)


def test_every_registered_handler_is_found(facts):
    assert set(facts) == set(load_handlers())


def test_reads_followed_into_helpers(facts):
    run = facts["RunInstances"]
    # SubnetId and PrivateIpAddress are read in _network_spec(ctx, params), not in run_instances itself.
    assert {"ImageId", "MinCount", "MaxCount", "UserData", "SubnetId", "PrivateIpAddress",
            "SecurityGroups", "BlockDeviceMappings", "TagSpecifications"} <= run.reads
    assert {"MinCount", "MaxCount"} <= run.required_reads
    assert "KeyName" not in run.required_reads     # tested with .get before params["KeyName"]
    assert "EbsOptimized" not in run.reads
    assert run.reads_path("Placement.AvailabilityZone") and run.reads_path("BlockDeviceMappings[].Ebs.VolumeSize")


def test_keys_passed_to_a_local_helper(facts):
    # value_of("InstanceType", "instanceType") reads params.get(member).
    assert {"InstanceType", "DisableApiTermination", "SourceDestCheck"} <= facts["ModifyInstanceAttribute"].reads


def test_refusals(tmp_path):
    # The project's own handlers declare what they honour, so their presence checks are gone; an
    # undeclared handler's "if params.get(X): raise" still counts as a refusal of X.
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "__init__.py").write_text("")
    (tmp_path / "handlers" / "things.py").write_text(
        "from ec2api_runtime.dispatch import handler\n"
        "from ec2api_runtime.errors import EC2Error\n\n"
        "@handler('CopyImage')\n"
        "def copy_image(ctx, params):\n"
        "    if params.get('Encrypted') or params.get('KmsKeyId'):\n"
        "        raise EC2Error('UnsupportedOperation', 'no')\n"
        "    if params.get('Name') and params.get('Description'):\n"
        "        raise EC2Error('InvalidParameterCombination', 'not both')\n"
        "    return {'ImageId': params['SourceImageId']}\n")
    copy = static_facts(tmp_path)["CopyImage"]
    assert copy.refused == {"Encrypted", "KmsKeyId"}   # "Name and Description" refuses neither alone
    assert copy.honoured == {"Name", "Description", "SourceImageId"}


def test_source_is_parsed_once(monkeypatch):
    parsed: list[str] = []
    real = handler_facts._parse
    monkeypatch.setattr(handler_facts, "_parse", lambda dotted, path: parsed.append(dotted) or real(dotted, path))
    handler_facts.project_facts(ROOT)
    assert parsed and len(parsed) == len(set(parsed)), [m for m in parsed if parsed.count(m) > 1]


def test_filters_and_paging(facts):
    assert facts["DescribeKeyPairs"].filters == {"key-pair-id", "fingerprint", "key-name", *TAG_FILTERS}
    assert "attachment.instance-id" in facts["DescribeVolumes"].filters
    assert {"instance-state-name", "vpc-id", "instanceId"} <= facts["DescribeInstances"].filters
    assert facts["DescribeVolumes"].pages and facts["DescribeTags"].pages
    assert not facts["DescribeKeyPairs"].pages
    assert {"MaxResults", "NextToken"} <= facts["DescribeVolumes"].reads   # read by pagination.page


def test_output_keys(facts):
    volumes = facts["DescribeVolumes"]
    assert volumes.fills_path("Volumes[].Attachments[].DeleteOnTermination")
    assert not volumes.fills_path("Volumes[].VolumeArn")
    assert facts["DescribeTags"].fills_path("Tags[].ResourceId")   # "Tags" passed to pagination.page


def test_member_names():
    assert member_names("A[].B{value}.C") == ["A", "B", "C"]


def test_declarations_replace_static_facts(facts):
    merged = merge(facts, {"RunInstances": {"refused": ["EbsOptimized"], "reads": ["ImageId", "EbsOptimized"]},
                           "DescribeThings": {"reads": ["X"]}})
    assert merged["RunInstances"].source == "declared"
    assert merged["RunInstances"].honoured == {"ImageId"}
    assert merged["RunInstances"].filters == facts["RunInstances"].filters    # not declared: kept
    assert merged["DescribeThings"].reads == {"X"}
    assert merged["DescribeVolumes"] is facts["DescribeVolumes"]


def test_declarations_read_from_source_are_the_registry_s():
    # The fidelity report reads declarations without importing handlers; it must see what the runtime enforces.
    declared = declared_facts(ROOT)
    registry = load_handlers()
    assert set(declared) == set(registry)
    for op, h in registry.items():
        assert set(declared[op]["reads"]) == h.honours | set(h.partly), op
        assert set(declared[op]["partly"]) == set(h.partly), op


def test_declared_facts_refuse_what_they_do_not_honour():
    merged = merge(static_facts(ROOT), declared_facts(ROOT))
    run = merged["RunInstances"]
    assert run.declared and run.source == "declared"
    assert "CpuOptions" not in run.reads and "Monitoring" in run.partly and not run.refused
