"""EC2 errors: the one exception type that reaches the wire, and its XML envelope."""

from __future__ import annotations

from ec2api_runtime.xmltext import XML_INVALID, esc

# Messages may quote what the client sent (a path, a field name, a value): characters XML 1.0
# cannot carry are shown as escapes, and a quote of a huge value is cut, so that the envelope is
# always well-formed and small.
MAX_MESSAGE = 1000


def cut(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ``limit`` and ``...``: the one
    way a message quotes a value of any size the client sent."""
    return text if len(text) <= limit else text[:limit] + "..."


def message_xml(text: str) -> str:
    """A message for an XML envelope: cut to MAX_MESSAGE, unencodable characters shown escaped."""
    text = cut(text, MAX_MESSAGE)
    if XML_INVALID.search(text) is not None:
        text = XML_INVALID.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return esc(text)


class EC2Error(Exception):
    """An error answered to the client as an EC2 error envelope.

    ``code`` is the EC2 error code (``InvalidParameterValue``, ``InvalidInstanceID.NotFound``, ...),
    ``message`` the human-readable text, ``status`` the HTTP status code.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def to_xml(self, request_id: str) -> bytes:
        """Serialise to the EC2 error envelope (note ``RequestID``, not ``requestId``)."""
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{message_xml(self.code)}</Code>"
            f"<Message>{message_xml(self.message)}</Message></Error></Errors>"
            f"<RequestID>{message_xml(request_id)}</RequestID></Response>"
        ).encode()

    def __repr__(self) -> str:
        return f"EC2Error({self.code!r}, {self.message!r}, {self.status!r})"


# Constructors for the errors the protocol layer raises. Messages follow AWS's wording.

def missing_parameter(name: str) -> EC2Error:
    """A required parameter is absent."""
    return EC2Error("MissingParameter", f"The request must contain the parameter {name}")


def unknown_parameter(name: str) -> EC2Error:
    """A field that the operation does not have."""
    return EC2Error("UnknownParameter", f"The parameter {name} is not recognized")


def invalid_parameter_value(name: str, value: object, reason: str = "") -> EC2Error:
    """A value of the wrong type, out of range or not among the allowed values."""
    shown = cut(value if isinstance(value, str) else repr(value), 256)
    message = f"Value ({shown}) for parameter {name} is invalid."
    if reason:
        message = f"{message} {reason}"
    return EC2Error("InvalidParameterValue", message)


def invalid_action(action: str) -> EC2Error:
    """The Action names no operation of the model."""
    return EC2Error("InvalidAction", f"The action {action} is not valid for this web service.")
