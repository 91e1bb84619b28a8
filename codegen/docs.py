"""Facts the model states only in its documentation: the filter names each Describe accepts."""

from __future__ import annotations

import html
import re

# Each documented filter is a list item starting with its name in <code>: "<li> <p> <code>name</code> - ...".
_FILTER_ITEM = re.compile(r"<li>\s*(?:<p>\s*)?<code>(.*?)</code>", re.S)


def filter_names(documentation: str) -> list[str]:
    """The filter names listed in a ``Filters`` member's documentation, in order, without repeats.

    ``tag</code>:&lt;key&gt;`` style entries come back as ``tag:<key>``.
    """
    names: list[str] = []
    for m in _FILTER_ITEM.finditer(documentation):
        name = html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
        # "tag:<key>" is written as <code>tag</code>:&lt;key&gt; in some places.
        tail = documentation[m.end():m.end() + 16]
        if name == "tag" and html.unescape(tail).startswith(":<key>"):
            name = "tag:<key>"
        if name and " " not in name and name not in names:
            names.append(name)
    return names
