"""Every input member honoured or refused, never ignored.

A handler declares the top-level input members it honours (``@handler(..., honours=(...))``) and,
for members it honours only in part, which sub-members and values (``partly={...}``). The runtime
refuses anything else the caller sent before the handler runs, so before any OpenStack call: a
member dropped in silence is a lie the caller finds out later as drift (Terraform plans it forever).

A ``partly`` spec is data:

* ``ANY``: any value of this member is honoured;
* a tuple: only these values are (``("stop",)``, ``(False,)``), e.g. the default AWS behaviour
  that this cloud does have;
* a dict: a structure of which only the sub-members named are honoured, each with its own spec;
  sub-members not named are refused. A list's spec applies to each of its elements.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final, TypeAlias

from ec2api_runtime.errors import EC2Error, cut


class _AnyValue:
    """The spec that honours every value of a member."""

    def __repr__(self) -> str:
        return "ANY"


ANY: Final = _AnyValue()
Spec: TypeAlias = "_AnyValue | tuple[Any, ...] | Mapping[str, Spec]"
ERROR_CODE = "InvalidParameterValue"


RUNTIME_MEMBER = "DryRun"   # with the operation's idempotency token: the runtime's, never a handler's


def runtime_members(members: Iterable[str], idempotency_token: str | None) -> frozenset[str]:
    """Of an operation's input ``members``, those the runtime handles for every handler: ``DryRun``
    (answered 412 before the handler) and the idempotency token (``ClientToken`` retries).

    The one statement of the rule: the dispatcher applies it to the generated model, the fidelity
    report and ``ec2api model diff`` to whichever model they read.
    """
    return frozenset(m for m in members if m == RUNTIME_MEMBER or (idempotency_token and m == idempotency_token))


def unsupported(member: str, value: Any = ANY) -> EC2Error:
    """The refusal of a member (or of one value of it) this cloud does not honour."""
    if value is ANY:
        return EC2Error(ERROR_CODE, f"The parameter {member} is not supported by this cloud.")
    return EC2Error(ERROR_CODE, f"The value '{_wire(value)}' for the parameter {member} is not supported "
                                "by this cloud.")


def refuse_unhonoured(params: Mapping[str, Any], accepted: Collection[str], order: Iterable[str]) -> None:
    """Raise naming every top-level member of ``params`` that is not in ``accepted`` (in ``order``,
    the model's member order, so the message is stable)."""
    # Only the few members the caller sent are looked at; model order only when raising.
    if all(m in accepted for m in params):
        return
    refused = [m for m in order if m in params and m not in accepted]
    if len(refused) == 1:
        raise unsupported(refused[0])
    if refused:
        raise EC2Error(ERROR_CODE, f"The parameters {', '.join(refused)} are not supported by this cloud.")


def refuse_values(params: Mapping[str, Any], partly: Mapping[str, Spec]) -> None:
    """Raise for the first sub-member or value of a ``partly`` member that its spec does not honour."""
    for member, spec in partly.items():
        if member in params:
            _check(member, params[member], spec)


def check_value(path: str, value: Any, spec: Spec) -> None:
    """Raise for the first sub-member or value of ``value`` (named ``path`` in the error) that
    ``spec`` does not honour: the check of ``partly`` for a member carried elsewhere (a launch
    template's data holds RunInstances' members)."""
    _check(path, value, spec)


def _check(path: str, value: Any, spec: Spec) -> None:
    if spec is ANY:
        return
    if isinstance(value, list):
        for index, element in enumerate(value, 1):
            _check(f"{path}.{index}", element, spec)
        return
    if isinstance(spec, Mapping):
        if not isinstance(value, Mapping):
            raise unsupported(path, value)
        for name, sub in value.items():
            if name not in spec:
                raise unsupported(f"{path}.{name}")
            _check(f"{path}.{name}", sub, spec[name])
        return
    assert isinstance(spec, tuple)
    # bool is an int in Python: True must not pass for 1, nor 1 for True.
    if not any(type(value) is type(ok) and value == ok for ok in spec):
        raise unsupported(path, value)


def _wire(value: Any) -> str:
    """A value as the caller wrote it on the wire (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return cut(str(value), 100)
