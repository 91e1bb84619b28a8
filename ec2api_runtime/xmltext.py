"""XML text escaping shared by the codec and the error envelope."""


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
