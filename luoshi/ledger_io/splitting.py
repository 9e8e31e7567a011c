"""Splitting one ledger cell that holds several numbered measures into separate measures:
"1.…；2.…", "1、…2、…", "（1）…（2）…", "(1)…", "①…②…"."""

import re

_MARKERS = [
    r"(?:(?<=^)|(?<=[\s；;。\n]))\d{1,2}[.．、]\s*(?!\d)",
    r"[（(]\d{1,2}[）)]\s*",
    r"[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]\s*",
    r"(?:(?<=^)|(?<=[\s；;。\n]))[一二三四五六七八九十]{1,2}是\s*",
]


_COMPILED = [re.compile(m) for m in _MARKERS]
_ANY = re.compile("|".join(f"(?:{m})" for m in _MARKERS))


def split_measures(text: str) -> list[str]:
    """The measures in `text`; a text without numbering is one measure."""
    text = (text or "").strip()
    if not text:
        return []
    if not _ANY.match(text):
        return [text]  # a list is numbered from its first character: most cells fail at once
    for marker in _COMPILED:
        starts = list(marker.finditer(text))
        if len(starts) < 2 or starts[0].start() != 0:
            continue
        parts = []
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            part = text[m.end() : end].strip().rstrip("；;").strip()
            if part:
                parts.append(part)
        if len(parts) >= 2:
            return parts
    return [text]
