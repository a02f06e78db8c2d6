"""How many SMS segments a text takes, and in which encoding (GSM 03.38 or UCS-2).

A text made only of the GSM 7-bit alphabet fits 160 characters in one segment (153 per segment
when split, the rest carrying the join header); one character outside it makes the whole text
UCS-2, 70 in one segment and 67 per part. Each segment is billed, so we count them exactly:
an escape-table character takes two septets and is never split from its escape, and an emoji
(two UTF-16 units) is never split between segments.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7, UCS2 = "GSM-7", "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
PART = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class Segments:
    encoding: str
    count: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)

    @property
    def single(self) -> bool:
        return self.count <= 1


def encoding_of(text: str) -> str:
    """GSM-7 if every character is in the GSM alphabet (with its escape table), else UCS-2."""
    return GSM7 if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text) else UCS2


def _units(char: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if char in GSM_EXTENDED else 1
    return 2 if ord(char) > 0xFFFF else 1


def count(text: str) -> Segments:
    """The encoding and number of segments `text` needs (an empty text still costs one)."""
    encoding = encoding_of(text)
    sizes = [_units(c, encoding) for c in text]
    total = sum(sizes)
    if total <= SINGLE[encoding]:
        return Segments(encoding, 1, total)
    parts, used = 1, 0
    for size in sizes:
        if used + size > PART[encoding]:  # a character never straddles two parts
            parts, used = parts + 1, 0
        used += size
    return Segments(encoding, parts, total)

