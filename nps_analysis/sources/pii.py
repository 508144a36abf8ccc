"""Finding personal data in free text: names (normalised), e-mails (also spelled out), phone numbers.

Used by the masking in :mod:`nps_analysis.privacy`. Every scan is linear in the text's length: no
regular expression here has nested quantifiers, and e-mails are found by expanding around ``@``.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: Regions tried for phone numbers written without a ``+country`` prefix (phonenumbers' codes).
DEFAULT_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "NO", "SE", "AU", "IN")
#: What a masked value of each kind becomes (the same words as ``privacy.MASKS``).
MASK = {"name": "[name]", "email": "[email]", "phone": "[phone]", "address": "[address]"}

# A run of digits with phone separators between them (spaces, dots, brackets, hyphens and dashes):
# a single character class under one star, so the scan is linear.
_PHONE_CANDIDATE = re.compile(r"\+?\(?\d[\d \t().\-\u2010-\u2015]*\d")
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
# Money: a currency sign or code right before (or after) the digits is never a phone number.
_CURRENCY_BEFORE = re.compile(r"(?:[$£€¥₹₩₽¢]|\b(?:GBP|USD|EUR|NOK|SEK|DKK|CHF|JPY|AUD|CAD|INR|kr|Rs))\s?$", re.I)
_CURRENCY_AFTER = re.compile(r"^\s?(?:[$£€¥₹%]|(?:GBP|USD|EUR|NOK|SEK|DKK|CHF|kr|pounds?|dollars?|euros?)\b)", re.I)
_TOKEN = re.compile(r"\S+")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._+-%")
_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_AT_WORDS = frozenset({"at", "@", "(at)", "[at]", "{at}", "<at>", "(@)", "[@]"})
_DOT_WORDS = frozenset({"dot", ".", "(dot)", "[dot]", "{dot}", "<dot>", "punkt", "point"})
_INLINE_AT = re.compile(r"\s?[\[({<](?:at|@)[\])}>]\s?", re.I)
_INLINE_DOT = re.compile(r"\s?[\[({<]dot[\])}>]\s?", re.I)
_WORD = re.compile(r"[\w+%-]+")
# Only texts with the word "at" or a bracketed at get the (slower) word-by-word e-mail scan.
_SPELLED_HINT = re.compile(r"(?<!\w)at(?!\w)|[\[({<](?:at|@)[\])}>]", re.I)
_TRAILING = ".,;:!?)]}\"'"


@dataclass(frozen=True)
class Found:
    """One piece of personal data in a text: its kind and where it is (``text[start:end]``)."""

    kind: str
    start: int
    end: int


def normalise(text: str) -> str:
    """NFKC: composed accents (an NFD ``José`` becomes the NFC one), full-width ``＠`` and digits
    become ASCII, ligatures are split; what a reader sees is unchanged."""
    return unicodedata.normalize("NFKC", text)


class _Identity:
    """``where[i] == i`` without building a list (folding kept every length)."""

    def __getitem__(self, i: int) -> int:
        return i


def fold(text: str) -> tuple[str, Any]:
    """``text`` case-folded for matching, with the position in ``text`` of every folded character
    (case folding can change lengths: ``ß`` -> ``ss``)."""
    folded = text.casefold()
    if len(folded) == len(text):  # the usual case: one folded character per character
        return folded, _Identity()
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = ch.casefold()
        out.append(f)
        where.extend([i] * len(f))
    where.append(len(text))
    return "".join(out), where


def _key(value: str) -> str:
    return normalise(str(value)).casefold().strip()


class NameMatcher:
    """Whole-word, case- and normalisation-insensitive matching of many names at once.

    Names and text are both NFKC-normalised and case-folded, so ``JOSÉ``, the NFD ``José`` and
    ``josé`` all match ``José``. The names are compiled into one trie-shaped regular expression
    (shared prefixes, longest match first; deterministic, hence linear).
    """

    def __init__(self, names: Iterable[str], *, words: bool = False, min_word: int = 3) -> None:
        keys = {_key(n) for n in names if isinstance(n, str) and n.strip()}
        if words:
            keys |= {w for k in list(keys) for w in re.split(r"[\s,]+", k) if len(w) >= min_word and not w.isdigit()}
        self.keys = frozenset(k for k in keys if k)
        body = trie_pattern(self.keys)
        self.pattern = None if body is None else re.compile(rf"(?<!\w)(?:{body})(?!\w)")

    def __bool__(self) -> bool:
        return self.pattern is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` in ``text`` (already NFKC-normalised) of every name found."""
        if self.pattern is None:
            return []
        folded, where = fold(text)
        return [(where[m.start()], where[m.end() - 1] + 1) for m in self.pattern.finditer(folded)]


def trie_pattern(values: Iterable[str]) -> str | None:
    """A regex body matching any of many literal strings, built as a trie (None for no strings).

    A plain alternation of a thousand names makes the regex engine try each in turn; the trie
    shares prefixes, and at every node a longer match is tried before a shorter one, so
    "Anna Maria Berg" is matched whole rather than as "Anna Maria" plus a remainder. Strings are
    used as given (callers normalise them first).
    """
    trie: dict[str, Any] = {}
    for v in values:
        if not v:
            continue
        node = trie
        for ch in v:
            node = node.setdefault(ch, {})
        node[""] = {}
    if not trie:
        return None

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return build(trie)


# ------------------------------------------------------------------------------------- e-mails


def _plain_email_at(text: str, at: int) -> tuple[int, int] | None:
    """The e-mail address around the ``@`` at ``text[at]``: local part up to 64 characters to the
    left, domain up to 255 to the right with a dot and a 2+ letter top-level domain."""
    start = at
    while start > 0 and at - start < 64 and text[start - 1].lower() in _LOCAL_CHARS:
        start -= 1
    end = at + 1
    while end < len(text) and end - at < 256 and (text[end].lower() in _DOMAIN_CHARS or text[end].isalnum()):
        end += 1
    while end > at + 1 and text[end - 1] in ".-":
        end -= 1
    local, domain = text[start:at].strip("."), text[at + 1 : end]
    if not local or "." not in domain:
        return None
    tld = domain.rsplit(".", 1)[1]
    if len(tld) < 2 or not tld.isalpha():
        return None
    return start + (len(text[start:at]) - len(text[start:at].lstrip("."))), end


def find_emails(text: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses in ``text`` (NFKC-normalised, so ``＠`` is ``@``):

    ``ann@example.com``; ``ann [at] example [dot] com`` and ``ann(at)example.com``;
    ``name dot x at example dot com`` (spelled out: the words ``at`` and ``dot``). A plain
    ``ann at example.com`` (no spelled-out dot, no brackets) is *not* taken for an address, so that
    "look at example.com" stays readable.
    """
    spans: list[tuple[int, int]] = []
    pos = text.find("@")
    while pos != -1:
        found = _plain_email_at(text, pos)
        if found:
            spans.append(found)
            pos = text.find("@", found[1])
        else:
            pos = text.find("@", pos + 1)
    if _SPELLED_HINT.search(text):
        spans.extend(_spelled_emails(text))
    return _merge(spans)


_SPACES = " \t\n\r\x0b\x0c"
# What follows the "at" of a spelled-out address: a domain word with a dot, or a word, a spelled
# dot and a word. One alternation, no quantified group: linear.
_DOMAIN_AHEAD = re.compile(
    r"\s{1,20}[\w+%-]{1,120}(?:\.[\w-]|\s{1,20}(?:dot|\(dot\)|\[dot\]|\{dot\}|<dot>|punkt|point)\s)", re.I
)


def _last_space(segment: str) -> int:
    """Index of the last whitespace character in ``segment`` (-1 if none); C-speed string search."""
    return max(segment.rfind(c) for c in _SPACES)


def _first_space(segment: str) -> int:
    """Index of the first whitespace character in ``segment`` (``len`` if none)."""
    found = [i for i in (segment.find(c) for c in _SPACES) if i != -1]
    return min(found) if found else len(segment)


def _token_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The whitespace-delimited word holding ``text[start:end]`` (at most 120 characters each way)."""
    lo = max(0, start - 120)
    left = lo + _last_space(text[lo:start]) + 1
    right = end + _first_space(text[end : end + 120])
    return left, right


def _prev_word(text: str, pos: int) -> tuple[int, int] | None:
    """``(start, end)`` of the word ending before ``pos`` (whitespace skipped), or None."""
    lo = max(0, pos - 140)
    body = text[lo:pos].rstrip(_SPACES)
    if not body:
        return None
    return lo + _last_space(body) + 1, lo + len(body)


def _next_word(text: str, pos: int) -> tuple[int, int] | None:
    """``(start, end)`` of the word starting after ``pos`` (whitespace skipped), or None."""
    seg = text[pos : pos + 140]
    body = seg.lstrip(_SPACES)
    if not body:
        return None
    start = pos + len(seg) - len(body)
    return start, start + _first_space(body)


def _is_dot(word: str) -> bool:
    return word.lower() in _DOT_WORDS


def _is_label(word: str) -> bool:
    return bool(_WORD.fullmatch(word.replace(".", "")))


def _spelled_emails(text: str) -> list[tuple[int, int]]:
    """Spelled-out addresses. Each "at" (or bracketed at) is judged from the few words around it,
    read directly from the text, so the scan stays linear however long the text is."""
    spans: list[tuple[int, int]] = []
    for hit in _SPELLED_HINT.finditer(text):
        if hit.group(0).lower() == "at" and not _DOMAIN_AHEAD.match(text, hit.end()):
            continue  # cheap rejection: no "word.tld" or "word dot word" follows this "at"
        word_start, word_end = _token_around(text, hit.start(), hit.end())
        word = text[word_start:word_end]
        if word.lower() not in _AT_WORDS:
            # an inline bracket form inside one word: "ann[at]example[dot]com"
            if word.lower() != "at" and hit.group(0).lower() != "at":
                token = word.rstrip(_TRAILING)
                rewritten = _INLINE_DOT.sub(".", _INLINE_AT.sub("@", token))
                at = rewritten.find("@")
                if at > 0 and _plain_email_at(rewritten, at):
                    spans.append((word_start, word_start + len(token)))
            continue
        spelled = word.lower() != "at"
        # Domain first (cheap to reject): word (dot word)* with a dot somewhere, at most 6 labels.
        domain = _next_word(text, word_end)
        if domain is None:
            continue
        label = text[domain[0] : domain[1]].rstrip(_TRAILING)
        if not _is_label(label):
            continue
        last, last_label, labels = (domain[0], domain[0] + len(label)), label, 1
        for _ in range(6):
            dot = _next_word(text, last[1])
            if dot is None or not _is_dot(text[dot[0] : dot[1]]):
                break
            after = _next_word(text, dot[1])
            if after is None:
                break
            label = text[after[0] : after[1]].rstrip(_TRAILING)
            if not _WORD.fullmatch(label):
                break
            last, last_label, labels = (after[0], after[0] + len(label)), label, labels + 1
        tld = last_label.rsplit(".", 1)[-1]
        if not (labels > 1 or "." in last_label) or not (2 <= len(tld) <= 24 and tld.isalpha()):
            continue
        spelled = spelled or labels > 1
        # Local part: word (dot word)*, at most 6 words back.
        local = _prev_word(text, word_start)
        if local is None or not _is_label(text[local[0] : local[1]]):
            continue
        dotted = "." in text[local[0] : local[1]]
        first = local
        for _ in range(6):
            dot = _prev_word(text, first[0])
            if dot is None or not _is_dot(text[dot[0] : dot[1]]):
                break
            before = _prev_word(text, dot[0])
            if before is None or not _is_label(text[before[0] : before[1]]):
                break
            first, spelled = before, True
        if spelled or dotted:
            spans.append((first[0], last[1]))
    return spans


# -------------------------------------------------------------------------------------- phones


def find_phones(text: str, *, regions: Sequence[str] = DEFAULT_REGIONS) -> list[tuple[int, int]]:
    """Spans of phone numbers in ``text``, judged by Google's libphonenumber (``phonenumbers``).

    A candidate is a run of 7 to 15 digits with phone separators (``+1 555 - 010 - 4477``,
    ``(020) 7946 0018``); it is a phone number when libphonenumber finds a *possible* number in it
    (without ``+``: in any of ``regions``; with ``+`` every such run counts). Dates and times, and amounts of
    money (a currency sign or code before or after: ``£1000000``, ``1000000 EUR``) are not.
    """
    import phonenumbers
    from phonenumbers import Leniency

    spans: list[tuple[int, int]] = []
    for m in _PHONE_CANDIDATE.finditer(text):
        start, end = m.start(), m.end()
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            continue  # part of a word or an identifier (R2D2-4477..., ab1234567)
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue
        candidate = m.group(0)
        digits = _digits(candidate)
        if digits >= 7 and not candidate.startswith("+") and _DATE_LIKE.search(candidate):  # "2026-11-17 12": a date and an hour
            digits = _digits(_DATE_LIKE.sub("", candidate))
        if digits < 7:
            continue
        groups = re.findall(r"\d+", candidate)
        if sum(len(g) == 1 for g in groups) > 1:
            continue  # "10 9 8 7 6 5 4": a list of small numbers (scores), not a phone number
        if _CURRENCY_BEFORE.search(text[max(0, start - 5) : start]) or _CURRENCY_AFTER.match(text[end : end + 9]):
            continue
        if digits <= 15:
            if _possible_phone(candidate.strip(), tuple(regions)):
                spans.append((start, end))
        elif candidate.startswith("+") and len(candidate) <= 80:
            spans.append((start, end))  # "+" and more digits than a phone: masked whole
        elif len(candidate) <= 80:  # several numbers in one run: let libphonenumber split it
            # A phone inside the run: mask the whole run, so no part of a number is left readable.
            if any(
                next(iter(phonenumbers.PhoneNumberMatcher(candidate, region, leniency=Leniency.POSSIBLE)), None)
                for region in regions
            ):
                spans.append((start, end))
        # a longer run of digits is a table of numbers, not a phone number
    return _merge(spans)


@functools.lru_cache(maxsize=4096)
def _possible_phone(candidate: str, regions: tuple[str, ...]) -> bool:
    """Whether ``candidate`` is taken for a phone number: with ``+`` always, else when
    libphonenumber reads it as a possible number of any of ``regions``."""
    import phonenumbers

    if candidate.startswith("+"):
        # An international prefix and 7+ digits in phone grouping: masked even when the number is
        # not a valid one in its country (a typo'd phone is still personal data).
        return True
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return True
    return False


# --------------------------------------------------------------------------------------- masking


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _digits(text: str) -> int:
    """How many ASCII digits ``text`` holds (NFKC made other digits ASCII)."""
    return len(text) - len(text.translate(_NO_DIGITS))


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def find_personal(
    text: str,
    *,
    names: NameMatcher | Iterable[str] = (),
    addresses: NameMatcher | Iterable[str] = (),
    regions: Sequence[str] = DEFAULT_REGIONS,
) -> list[Found]:
    """Every piece of personal data in ``text`` (which should be :func:`normalise`-d), left to right.

    Order of precedence where finds overlap: address, e-mail, name, phone.
    """
    names = names if isinstance(names, NameMatcher) else NameMatcher(names)
    addresses = addresses if isinstance(addresses, NameMatcher) else NameMatcher(addresses)
    found: list[Found] = []
    starts: list[int] = []  # the finds so far, sorted and disjoint: an overlap test is a bisection
    ends: list[int] = []

    def add(kind: str, spans: Iterable[tuple[int, int]]) -> None:
        for s, e in spans:
            i = bisect.bisect_right(starts, s)
            if (i > 0 and ends[i - 1] > s) or (i < len(starts) and starts[i] < e):
                continue
            starts.insert(i, s)
            ends.insert(i, e)
            found.append(Found(kind, s, e))

    add("address", addresses.spans(text))
    if "@" in text or "at" in text.lower():
        add("email", find_emails(text))
    add("name", names.spans(text))
    if _digits(text) >= 7:
        add("phone", find_phones(text, regions=regions))
    return sorted(found, key=lambda f: f.start)


def mask_free_text(
    text: str,
    *,
    names: NameMatcher | Iterable[str] = (),
    addresses: NameMatcher | Iterable[str] = (),
    roster: Iterable[str] = (),
    name_words: bool = True,
    regions: Sequence[str] = DEFAULT_REGIONS,
) -> str:
    """``text`` with e-mails, phone numbers, the given names and addresses, and the names of the
    ``roster`` (staff and customers, matched also word by word) replaced by ``[email]``, ``[phone]``,
    ``[name]``, ``[address]``. Text in which nothing is found is returned exactly as given;
    otherwise the result is NFKC-normalised.

    Example:
        >>> mask_free_text("Ring JOSE\u0301 on +1 555 - 010 - 4477 or jose dot x at example dot com; refund £1000000",
        ...                names=["José Ruiz"])
        'Ring [name] on [phone] or [email]; refund £1000000'
    """
    if not isinstance(text, str) or not text:
        return text
    if not isinstance(names, NameMatcher):
        names = NameMatcher([*names, *roster], words=name_words)
    norm = normalise(text)
    found = find_personal(norm, names=names, addresses=addresses, regions=regions)
    if not found:
        return text
    parts, last = [], 0
    for f in found:
        parts.append(norm[last : f.start])
        parts.append(MASK[f.kind])
        last = f.end
    parts.append(norm[last:])
    return "".join(parts)
