"""XML text escaping shared by the codec and the error envelope."""

import re

# Characters XML 1.0 cannot carry: a form value holding one is refused, a message quoting one
# shows it escaped.
XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def esc(text: str) -> str:
    """Escape XML text content; ``\\r`` becomes ``&#13;`` so parsers do not normalise it away."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text
