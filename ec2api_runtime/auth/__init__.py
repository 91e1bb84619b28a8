"""Authentication of EC2 API requests: SigV4 (header or presigned) and SigV2, against Keystone.

Public API::

    from ec2api_runtime.auth import Authenticator, Caller, AuthConfig
    auth = Authenticator(AuthConfig(keystone_url=..., service_username=..., ...))
    caller = auth.authenticate(method, host, path, query, headers, body)   # or EC2Error
"""

from ec2api_runtime.auth.authenticator import AuthConfig, Authenticator, Caller, parse_request

__all__ = ["AuthConfig", "Authenticator", "Caller", "parse_request"]
