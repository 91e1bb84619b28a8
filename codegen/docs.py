"""Facts the model states only in its documentation: the filter names each Describe accepts."""

from __future__ import annotations

import html
import re

_TOKEN = re.compile(r"<(/?)(ul|li)\b[^>]*>", re.I)
# A filter item opens with its name in <code>: "<li> <p> <code>name</code> - ...".
_LEADING_CODE = re.compile(r"\s*(?:<p>\s*)?<code>(.*?)</code>", re.S)


def filter_names(documentation: str) -> list[str]:
    """The filter names listed in a ``Filters`` member's documentation, in order, without repeats.

    Only items of the outermost list count: nested lists enumerate a filter's *values*
    (``informational``, ``low``, ...), not filters. ``tag</code>:&lt;key&gt;`` entries come back as
    ``tag:<key>``.
    """
    names: list[str] = []
    depth = 0
    for token in _TOKEN.finditer(documentation):
        closing, tag = token.group(1), token.group(2).lower()
        if tag == "ul":
            depth += -1 if closing else 1
            continue
        if closing or depth != 1:
            continue
        m = _LEADING_CODE.match(documentation, token.end())
        if m is None:
            continue
        name = html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
        tail = html.unescape(documentation[m.end():m.end() + 16])
        if name == "tag" and tail.startswith(":<key>"):
            name = "tag:<key>"
        if name and " " not in name and name not in names:
            names.append(name)
    return names
