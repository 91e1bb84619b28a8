"""The ec2api command: coverage, db upgrade, and configuration loading."""

from __future__ import annotations

import re

from click.testing import CliRunner

from ec2api_runtime.cli import main
from ec2api_runtime.config import Config
from ec2api_runtime.coverage import area_of, report
from ec2api_runtime.dispatch import load_handlers
from ec2api_runtime.refusals import REFUSED
from generated.ec2 import OPERATIONS


def test_coverage_reports_every_area_and_the_model_total():
    result = CliRunner().invoke(main, ["coverage"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()}
    assert rows["total"][-1] == "830"
    implemented = int(rows["total"][1])
    assert implemented == len(load_handlers())
    assert int(rows["key_pairs"][1]) == 4          # Create, Import, Delete, Describe


def test_coverage_list_names_each_handler_its_members_and_what_is_missing():
    result = CliRunner().invoke(main, ["coverage", "--list"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert ("  RunInstances -> handlers.instances.launch:run_instances: members honoured 28 / 44 (15 partly), "
            "by the runtime 2, refused 14") in text
    assert "  DescribeKeyPairs -> handlers.key_pairs:describe_key_pairs: members honoured 4 / 5," in text
    assert "key_pairs: 4 / 4 operations" in text and "instance_types: 4 / 7 operations" in text
    # Every operation of the model appears once: implemented with its handler, deliberately refused
    # with its reason, or named as missing.
    handlers = load_handlers()
    missing = re.findall(r"not implemented \(\d+\): ([^\n]*(?:\n    [^\n]*)*)", text)
    named = {n.strip() for block in missing for n in block.replace("\n", " ").split(",")}
    listed = set(re.findall(r"^  (\w+) -> ", text, re.M))
    refused = set(re.findall(r"^  (\w+): refused ", text, re.M))
    assert listed == set(handlers) and refused == set(REFUSED)
    assert named | listed | refused == set(OPERATIONS) and not named & listed and not refused & (named | listed)


def test_coverage_areas_are_the_handler_modules():
    for op, h in load_handlers().items():
        assert area_of(op) == h.area, (op, area_of(op), h.area)


def test_areas_by_operation_name():
    assert area_of("RunInstances") == "instances"
    assert area_of("DescribeKeyPairs") == "key_pairs"
    assert area_of("CreateTags") == "tags"
    assert area_of("DescribeAvailabilityZones") == "regions"
    assert area_of("DescribeImages") == "images"
    rows = report({"RunInstances"})
    assert sum(total for _, _, total in rows[:-1]) == 830


def test_db_upgrade_creates_the_schema(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("EC2API_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_config_file_then_environment(tmp_path):
    path = tmp_path / "ec2api.toml"
    path.write_text('port = 9999\nregion = "Elsewhere"\ncredential_ttl = 60\n')
    cfg = Config.load(path, env={"EC2API_PORT": "8000", "EC2API_WORKERS": "3"})
    assert (cfg.port, cfg.region, cfg.credential_ttl, cfg.workers) == (8000, "Elsewhere", 60.0, 3)


def test_config_rejects_unknown_settings(tmp_path):
    path = tmp_path / "ec2api.toml"
    path.write_text('prot = 1\n')
    try:
        Config.load(path, env={})
    except ValueError as exc:
        assert "prot" in str(exc)
    else:
        raise AssertionError("an unknown setting was accepted")


def test_cloud_json_configuration_takes_environment_overrides(tmp_path):
    path = tmp_path / "cloud.json"
    path.write_text('{"keystone_url": "http://k/v3", "region": "R1", "ec2api_service_user": '
                    '{"username": "ec2api", "password": "pw", "project_name": "service"}}')
    cfg = Config.from_cloud_json(path, env={"EC2API_DATABASE_URL": "sqlite:///elsewhere.sqlite"})
    assert (cfg.keystone_url, cfg.region, cfg.service_password) == ("http://k/v3", "R1", "pw")
    assert cfg.database_url == "sqlite:///elsewhere.sqlite"
    assert Config.from_cloud_json(path, env={}).database_url.endswith("/ec2api.sqlite")


def test_db_rotate_secret_replaces_the_pagination_key(tmp_path, monkeypatch):
    from ec2api_runtime.db import Database, secrets

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("EC2API_DATABASE_URL", url)
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    before = Database(url).secret(secrets.PAGINATION)
    result = CliRunner().invoke(main, ["db", "rotate-secret", "pagination"])
    assert result.exit_code == 0, result.output
    assert Database(url).secret(secrets.PAGINATION) != before
