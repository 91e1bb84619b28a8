"""Shared pytest set-up: the test-cloud fixtures live in tests/cloud/fixtures.py."""

pytest_plugins = ["tests.cloud.fixtures"]
