"""botocore as the oracle: its serializer makes the request forms, its parser reads our XML."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import botocore
import botocore.loaders
from botocore.awsrequest import AWSRequest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

ROOT = Path(__file__).resolve().parents[2]
PINNED_MODEL = ROOT / "service-models" / "ec2" / "2016-11-15" / "service-2.json"
EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


@functools.cache
def ec2_model_dict() -> dict:
    """The pinned EC2 model (falls back to the installed botocore's copy)."""
    if PINNED_MODEL.exists():
        return json.loads(PINNED_MODEL.read_text(encoding="utf-8"))
    return botocore.loaders.Loader().load_service_model("ec2", "service-2")


@functools.cache
def ec2_model() -> ServiceModel:
    return ServiceModel(ec2_model_dict(), service_name="ec2")


def operation_names() -> list[str]:
    return list(ec2_model().operation_names)


@functools.cache
def _serializer():
    # validate=False: the params are checked separately (tests/conformance/test_randomdata.py);
    # here the serializer only has to write the wire form.
    return create_serializer("ec2", include_validation=False)


@functools.cache
def _parser():
    return create_parser("ec2")


def encode_body(body_fields: dict) -> str:
    """The request body exactly as botocore puts it on the wire."""
    prepared = AWSRequest(method="POST", url="https://ec2.example.com/", data=body_fields).prepare()
    body = prepared.body
    if body is None:
        return ""
    return body if isinstance(body, str) else body.decode("ascii")


def decode_form(body: str) -> dict[str, str]:
    """Decode a form body as a server does; a repeated key is a test failure."""
    pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body), encoding="utf-8", errors="strict")
    form: dict[str, str] = {}
    for k, v in pairs:
        assert k not in form, f"field {k!r} sent twice"
        form[k] = v
    return form


def botocore_form(params: dict, op_model: OperationModel) -> dict[str, str]:
    """botocore-serialise ``params``, form-encode, decode, drop Action and Version."""
    request = _serializer().serialize_to_request(params, op_model)
    form = decode_form(encode_body(request["body"]))
    assert form.pop("Action") == op_model.name
    form.pop("Version")
    return form


def botocore_parse(body: bytes, op_model: OperationModel, status: int = 200) -> dict[str, Any]:
    """Parse a response body with botocore's EC2 parser, as a boto3 client would."""
    response = {"body": body, "headers": {}, "status_code": status}
    return _parser().parse(response, op_model.output_shape)
