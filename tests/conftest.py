"""Shared pytest set-up: the test-cloud fixtures live in tests/cloud/fixtures.py.

Every test runs the serializer strict (``ec2api_runtime.codec.STRICT_RESULTS``): a result key the
output shape does not have fails the request instead of vanishing from the XML. Set here, before
anything imports the codec, so that the in-process tests and the servers they start (which inherit
the environment) both check.
"""

import os

os.environ["EC2API_STRICT_RESULTS"] = "1"

pytest_plugins = ["tests.cloud.fixtures"]
