"""Masking of personal data (names, addresses, phone numbers, e-mail addresses) in reports and exports.

Every table the closed-loop and tracking functions return, and every file they write, goes through
:func:`mask_personal` unless the caller passes ``show_personal=True`` explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from .pii import NameMatcher, mask_free_text, trie_pattern

#: What a masked value of each kind of personal column becomes.
MASKS: dict[str, str] = {
    "name": "[name]",
    "email": "[email]",
    "phone": "[phone]",
    "address": "[address]",
}

# Column names are split into lower-case words; a column is personal when one of its words is a
# personal-data word below, unless a word says the column is about staff or the organisation (the
# employee who took a complaint, the agent, the team are needed in every report).
_KIND_WORDS: dict[str, frozenset[str]] = {
    "email": frozenset({"email", "mail", "emailaddress"}),
    "phone": frozenset({"phone", "telephone", "tel", "mobile", "cell", "msisdn", "phonenumber"}),
    "address": frozenset({"address", "street", "postcode", "zip", "zipcode", "postal", "addr"}),
    "name": frozenset({"name", "surname", "firstname", "lastname", "fullname"}),
}
_STAFF_WORDS = frozenset(
    {
        "agent", "employee", "staff", "team", "owner", "department", "dept", "location", "site",
        "company", "product", "plan", "account", "taken", "by", "manager", "segment", "region",
        "store", "branch", "file", "column", "theme", "rule",
    }
)
# Free-text columns: first and last names are masked word by word here, not only whole names.
_TEXT_WORDS = frozenset(
    {
        "comment", "comments", "text", "concern", "solution", "actions", "action", "note", "notes",
        "message", "prevention", "feedback", "verbatim", "remark", "remarks", "why", "cause",
        "reason", "description", "compensation", "details",
    }
)



def words_of(column: Any) -> list[str]:
    """The lower-case words of a column name (``"Customer E-mail"`` -> ``["customer", "email"]``)."""
    return _words(column)


def _words(column: Any) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(column).lower().replace("e-mail", "email")) if w]


def personal_kind(column: Any) -> str | None:
    """The kind of personal data a column holds, judged from its name: ``name``, ``email``,
    ``phone``, ``address`` or ``None``.

    ``customer_name``, ``E-mail``, ``phone_number``, ``street address`` are personal; ``agent_name``,
    ``team``, ``taken_by`` (staff and organisation) are not.

    Example:
        >>> [personal_kind(c) for c in ["customer_name", "E-mail", "agent_name", "score"]]
        ['name', 'email', None, None]
    """
    words = _words(column)
    joined = "".join(words)
    if _STAFF_WORDS.intersection(words):
        return None
    for kind in ("email", "phone", "address", "name"):
        if _KIND_WORDS[kind].intersection(words) or joined in _KIND_WORDS[kind]:
            return kind
    return None


def personal_columns(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: kind}`` for the columns of ``frame`` whose names mark them as personal data."""
    out = {}
    for col in frame.columns:
        kind = personal_kind(col)
        if kind is not None:
            out[col] = kind
    return out


def is_text_column(column: Any) -> bool:
    """Whether a column's name marks it as free text (comments, concerns, actions, five whys)."""
    return bool(_TEXT_WORDS.intersection(_words(column)))


def known_personal_values(*frames: pd.DataFrame | None, roster: Iterable[str] = ()) -> dict[str, list[str]]:
    """The names and addresses found in the personal columns of ``frames``.

    Passed on as ``known=`` to :func:`mask_personal` so that a customer's name is also masked where
    it appears in free text or in a table that does not carry the name column itself.
    """
    names: set[str] = set()
    addresses: set[str] = set()
    for frame in frames:
        if frame is None:
            continue
        for col, kind in personal_columns(frame).items():
            if kind not in ("name", "address"):
                continue
            values = frame[col].dropna().astype(str).str.strip()
            values = values[values != ""].unique().tolist()
            (names if kind == "name" else addresses).update(values)
    names.update(str(r).strip() for r in roster if str(r).strip())
    return {"name": sorted(names), "address": sorted(addresses)}


class _Masker:
    """The masking patterns for one set of known names and addresses, compiled once."""

    def __init__(self, names: Iterable[str], addresses: Iterable[str]) -> None:
        # Names and text are compared NFKC-normalised and case-folded (sources/pii.py): an NFD
        # "José", "JOSÉ" and "josé" are one name.
        names = [n for n in names if isinstance(n, str) and n.strip()]
        self.address = NameMatcher(a for a in addresses if isinstance(a, str))
        self.name = NameMatcher(names)
        self.word = NameMatcher(names, words=True)

    def text(self, value: str, *, words: bool) -> str:
        """``value`` with addresses, e-mails (also spelled out or full-width), names and phone
        numbers (libphonenumber; money and dates left alone) masked; unchanged if none is found."""
        return mask_free_text(value, names=self.word if words else self.name, addresses=self.address)

    def series(self, values: pd.Series, *, words: bool) -> pd.Series:
        """Mask every string of a Series; each distinct value is masked once."""
        obj = values.astype(object)
        is_str = obj.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if not is_str.any():
            return values
        uniques = pd.unique(obj[is_str])
        masked = {u: self.text(u, words=words) for u in uniques}
        out = obj.copy()
        out[is_str] = obj[is_str].map(masked).to_numpy(dtype=object)
        return out


def mask_text(
    text: pd.Series | Sequence[Any],
    *,
    names: Iterable[str] = (),
    addresses: Iterable[str] = (),
    name_words: bool = True,
    roster: Iterable[str] = (),
) -> pd.Series:
    """Mask e-mail addresses, phone numbers and the given names and addresses inside free text.

    Args:
        text: the strings (missing values stay missing; non-strings are left as they are).
        names: full names to mask (whole-word, case-insensitive). With ``name_words`` each word of
            a name with three or more letters is masked on its own too, so "Ingrid called" is
            masked when "Ingrid Dahl" is a known name. This errs on the side of privacy: an
            ordinary word that equals a customer's first or last name is masked as well.
        addresses: addresses to mask.
        roster: further names of staff and customers (e.g. read with :func:`read_roster`), masked
            like ``names`` wherever they appear.

    Names match whatever their Unicode normalisation and case; e-mails are found also when
    written ``name dot x at example dot com``, ``name [at] example [dot] com`` or with a
    full-width ``＠``; phone numbers by libphonenumber (``+1 555 - 010 - 4477``), never amounts of
    money (``£1000000``) or dates. See SECURITY.md for what is not caught.

    Example:
        >>> mask_text(["Call Ingrid Dahl on +47 412 34 567 or ingrid@example.com"],
        ...           names=["Ingrid Dahl"]).tolist()
        ['Call [name] on [phone] or [email]']
    """
    series = text if isinstance(text, pd.Series) else pd.Series(list(text), dtype=object)
    return _Masker([*names, *roster], addresses).series(series, words=name_words)


def mask_personal(
    frame: pd.DataFrame,
    *,
    show_personal: bool = False,
    personal: Mapping[str, str] | Sequence[str] | None = None,
    text_columns: Sequence[str] | None = None,
    known: Mapping[str, Iterable[str]] | None = None,
    roster: Iterable[str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with personal data masked (the default for every report and export).

    * Columns whose names mark them as personal data (:func:`personal_columns`: customer name,
      e-mail, phone, address) are replaced by ``[name]``, ``[email]``, ``[phone]``, ``[address]``;
      missing values stay missing.
    * In every other text column, e-mail addresses, phone numbers and the known names and
      addresses (from this frame's personal columns and ``known``) are masked where they appear.
      In free-text columns (:func:`is_text_column`, or ``text_columns``) the single words of known
      names are masked too.
    * Identifiers such as ``customer_id`` and ``response_id`` are pseudonymous keys and are kept;
      so are staff and organisation columns (agent, team, the employee who took a complaint).

    Args:
        show_personal: ``True`` returns the frame unchanged. Only pass it where a person needs the
            data (e.g. the agent who calls a detractor back).
        personal: extra personal columns, as ``{column: kind}`` or a list (kind ``"name"``).
        text_columns: free-text columns (default: judged from the column names).
        known: ``{"name": [...], "address": [...]}`` values to mask in text, e.g. from
            :func:`known_personal_values` of the raw responses.
        roster: names of staff and customers to mask wherever they appear in text, also when no
            column of any table holds them (:func:`read_roster` reads a file of them).
    """
    if show_personal:
        return frame
    kinds = personal_columns(frame)
    if personal is not None:
        extra = dict(personal) if isinstance(personal, Mapping) else {c: "name" for c in personal}
        for col, kind in extra.items():
            if kind not in MASKS:
                raise ValueError(f"personal data kind must be one of {sorted(MASKS)}, got {kind!r}")
            if col in frame.columns:
                kinds[col] = kind
    names: set[str] = set()
    addresses: set[str] = set()
    for col, kind in kinds.items():
        if kind in ("name", "address"):
            (names if kind == "name" else addresses).update(frame[col].dropna().astype(str).str.strip())
    if roster:
        names.update(str(v) for v in roster)
    if known:
        names.update(str(v) for v in known.get("name", ()))
        addresses.update(str(v) for v in known.get("address", ()))
    masker = _Masker(names, addresses)
    attrs = dict(frame.attrs)
    out = frame.copy()
    out.attrs = {}
    for col, kind in kinds.items():
        values = out[col]
        present = values.notna() & (values.astype(str).str.strip() != "")
        out[col] = values.astype(object).where(~present, MASKS[kind])
    texts = set(text_columns) if text_columns is not None else {c for c in out.columns if is_text_column(c)}
    for col in out.columns:
        if col in kinds:
            continue
        if not (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            continue
        out[col] = masker.series(out[col], words=col in texts)
    out.attrs = attrs
    out.attrs["personal_data"] = "masked"
    return out


def personal_data_finder(values: Iterable[str]) -> Callable[[str], list[str]]:
    """A function ``text -> [values found]`` for many names, e-mails, phones and addresses, compiled
    once (the tests scan every output of a notebook run with one finder).

    Matching is case-insensitive. Phone numbers are also found with their separators removed, so
    ``+47 412 34 567`` is found as ``4741234567`` (as a whole run of digits).
    """
    values = sorted({str(v).strip() for v in values if str(v).strip()})
    lowered = {v.lower(): v for v in values}
    body = trie_pattern(v.lower() for v in values)
    pattern = re.compile(body) if body is not None else None
    phones = {
        re.sub(r"\D", "", v): v
        for v in values
        if re.fullmatch(r"[\d\s().+-]+", v) and len(re.sub(r"\D", "", v)) >= 7
    }

    def find(text: str) -> list[str]:
        hits: set[str] = set()
        if pattern is not None:
            found = set(pattern.findall(text.lower()))
            hits.update(lowered[m] for m in found if m in lowered)
            # A shorter value inside a longer match (e.g. "Ann Lee" inside "Ann Leeds") counts too.
            for match in found - set(lowered):
                hits.update(v for low, v in lowered.items() if low in match)
        if phones:
            joined = re.sub(r"(?<=\d)[ ().-]{1,2}(?=\d)", "", text)
            hits.update(phones[d] for d in set(re.findall(r"\d+", joined)).intersection(phones))
        return sorted(hits)

    return find


def find_personal_data(text: str, values: Iterable[str]) -> list[str]:
    """The values (names, e-mails, phone numbers, addresses) that occur in ``text``
    (see :func:`personal_data_finder`)."""
    return personal_data_finder(values)(text)


def mask_message(text: str, *, names: Iterable[str] = (), addresses: Iterable[str] = ()) -> str:
    """One message (an error, a log line) with e-mail addresses, phone numbers and the given names
    and addresses masked, as :func:`mask_text` masks free text."""
    if not isinstance(text, str) or not text:
        return text
    return str(mask_text([text], names=names, addresses=addresses).iloc[0])
