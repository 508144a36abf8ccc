"""Text encodings of exports: UTF-8, UTF-16, and the Latin-1 / Windows-1252 of older systems.

:func:`decode_export` decodes the bytes of a CSV and says what it did (which encoding, how many
characters could not be decoded); a file mixing UTF-8 and Latin-1 lines is decoded line by line.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from .errors import NPSInputError

UTF8 = "utf-8"
LEGACY = "cp1252"
MIXED = "utf-8 + cp1252 (mixed lines)"
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from an export and how.

    Attributes:
        text: the decoded text (a UTF-8 byte-order mark removed).
        encoding: ``"utf-8"``, ``"utf-16"``, ``"cp1252"`` (Windows-1252, a superset of Latin-1's
            printable characters), :data:`MIXED`, or the encoding the caller forced.
        undecodable: characters that could not be decoded (shown as U+FFFD).
        legacy_lines: lines that were not UTF-8 and were decoded as Windows-1252.
        first_legacy_line: the first of them (1-based), or None.
        forced: whether the caller named the encoding.
    """

    text: str
    encoding: str
    undecodable: int = 0
    legacy_lines: int = 0
    first_legacy_line: int | None = None
    forced: bool = False

    @property
    def is_utf8(self) -> bool:
        return self.encoding in (UTF8, "utf-8-sig", "utf-16")

    def note(self) -> str:
        """One line for the load report, or ``""`` for plain UTF-8/UTF-16."""
        if self.is_utf8 and not self.undecodable:
            return ""
        if self.forced:
            text = f"decoded as {self.encoding} (--encoding)"
        elif self.encoding == MIXED:
            text = (
                f"not valid UTF-8: {self.legacy_lines} line(s) (first: line "
                f"{self.first_legacy_line}) decoded as Windows-1252/Latin-1, the others as UTF-8"
            )
        else:
            text = "not valid UTF-8: decoded as Windows-1252/Latin-1"
        text += f"; {self.undecodable} character(s) could not be decoded"
        if not self.forced:
            text += " (--encoding / encoding= forces one)"
        return text


def _legacy(line: bytes) -> tuple[str, int]:
    """A line as Windows-1252; its five undefined bytes become U+FFFD and are counted."""
    text = line.decode(LEGACY, errors="replace")
    return text, text.count(REPLACEMENT)


def decode_export(
    raw: bytes, encoding: str | None = None, *, file: str | None = None
) -> DecodedText:
    """Decode an export's bytes, saying which encoding was used.

    ``encoding`` given: that one, strictly (an error names the line and byte that do not decode).
    Otherwise a UTF-16 byte-order mark means UTF-16; valid UTF-8 (with or without a BOM) is
    UTF-8; and text that is not is decoded line by line: lines that are valid UTF-8 stay UTF-8,
    the others are read as Windows-1252 (so ``Zürich`` written both ways is one label).
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise NPSInputError(
                f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1)", file=file
            ) from None
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise NPSInputError(
                f"cannot decode as {encoding}: byte {raw[exc.start : exc.start + 1]!r} on line {line}",
                file=file,
            ) from None
        return DecodedText(text.removeprefix("\ufeff"), encoding, forced=True)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return DecodedText(
            raw.decode("utf-16", errors="replace"),
            "utf-16",
            undecodable=raw.decode("utf-16", errors="replace").count(REPLACEMENT),
        )
    try:
        return DecodedText(raw.decode("utf-8-sig"), UTF8)
    except UnicodeDecodeError:
        pass
    body = raw.removeprefix(codecs.BOM_UTF8)
    parts: list[str] = []
    legacy = 0
    utf8_non_ascii = 0
    first: int | None = None
    bad = 0
    for number, line in enumerate(body.splitlines(keepends=True), start=1):
        try:
            text = line.decode(UTF8)
            if not text.isascii():
                utf8_non_ascii += 1
        except UnicodeDecodeError:
            text, n_bad = _legacy(line)
            bad += n_bad
            legacy += 1
            first = number if first is None else first
        parts.append(text)
    kind = MIXED if utf8_non_ascii else LEGACY
    return DecodedText(
        "".join(parts), kind, undecodable=bad, legacy_lines=legacy, first_legacy_line=first
    )


__all__ = ["LEGACY", "MIXED", "UTF8", "DecodedText", "decode_export"]
