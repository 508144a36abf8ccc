"""The kit's one date parser: ISO and unambiguous dates parse, ambiguous day/month is an error.

Every function that reads times (decide, tracking, follow-up, cohorts) goes through :func:`to_utc`
or :func:`parse_times`, so one export gives the same instants everywhere and nothing is guessed.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows

# A date written with numbers and a separator: 21/03/2018, 3.4.18, 2018/03/21, then anything.
_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})(?P<rest>(?:[ T,].*)?)$"
)
# A clock time with optional seconds, fraction and AM/PM; what follows is a zone or offset.
_CLOCK = re.compile(
    r"^[ T,]*(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
    r"\s*(?P<zone>.*)$"
)
# Offsets spelled the ISO way or as survey tools write them (GMT+1, UTC+02:00).
_OFFSET = re.compile(
    r"^(?:Z|UTC|GMT|(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)$", re.I
)
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class _Split:
    """Texts classified by how their day and month are written."""

    iso: np.ndarray  # text pandas' ISO 8601 parser should read as it is
    day_first: np.ndarray  # numeric dates whose first number is > 12: only day-first fits
    month_first: np.ndarray  # numeric dates whose second number is > 12: only month-first fits
    ambiguous: np.ndarray  # both numbers <= 12 (and not equal): 03/04/2018
    same: np.ndarray  # 05/05/2018: both orders give the same date
    other: np.ndarray  # month names and other spellings: dateutil reads them without guessing


def _row_labels(
    values: pd.Series, positions: np.ndarray, file: str | None, rows: Sequence[Any] | None
) -> list[Any]:
    """Row numbers for messages: the caller's, ``nps.load``'s source rows, file lines, or 0-based."""
    if rows is not None:
        labels = np.asarray(rows, dtype=object)
        return [
            labels[p].item() if isinstance(labels[p], np.generic) else labels[p] for p in positions
        ]
    runs = values.attrs.get("source_rows")
    if isinstance(runs, np.ndarray) and len(runs) == len(values):
        return [int(runs[p]) for p in positions]
    if isinstance(runs, list) and runs:
        source = np.concatenate([np.arange(a, b) for a, b in runs])
        if len(source) == len(values):
            return [int(source[p]) for p in positions]
    if file is not None:
        return [int(p) + 2 for p in positions]
    return [int(p) for p in positions]


def _raise_rows(
    message: str,
    mask: np.ndarray,
    values: pd.Series,
    *,
    column: str | None,
    file: str | None,
    rows: Sequence[Any] | None,
    hint: str = "",
    noun: str = "row(s)",
) -> None:
    positions = np.flatnonzero(mask)
    labels = _row_labels(values, positions, file, rows)
    shown = values.to_numpy(dtype=object)[positions]
    pairs = [
        (r, v.item() if isinstance(v, np.generic) else v)
        for r, v in zip(labels, shown, strict=True)
    ]
    raise NPSInputError(
        f"{len(pairs)} {noun} {message}: {describe_rows(pairs)}{hint}",
        file=file,
        column=column,
        rows=pairs[:20],
        count=len(pairs),
    )


def _as_text(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Values as stripped text (datetime objects as ISO text) and the mask of missing ones."""
    obj = values.astype(object)
    if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
        # datetime objects (from Excel or Python) become ISO text, so one parser handles everything.
        obj = obj.map(lambda v: v.isoformat() if hasattr(v, "isoformat") and not isinstance(v, str) else v)
    na = obj.isna().to_numpy()
    text = obj.where(~na, "").astype(str).str.strip()
    missing = na | (text == "").to_numpy()
    return text, missing


def _split(text: pd.Series, missing: np.ndarray) -> tuple[_Split, pd.DataFrame]:
    parts = text.str.extract(_NUMERIC_DATE)
    numeric = parts["a"].notna().to_numpy() & ~missing
    a = pd.to_numeric(parts["a"], errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(parts["b"], errors="coerce").to_numpy(dtype=float)
    year_first = numeric & (parts["a"].str.len() == 4).to_numpy()
    with np.errstate(invalid="ignore"):
        dm = numeric & ~year_first
        day_first = dm & (a > 12) & (b <= 12)
        month_first = dm & (b > 12) & (a <= 12)
        # 05/05/2018 reads the same either way; 13/13/2018 fits neither and fails below.
        ambiguous = dm & (a <= 12) & (b <= 12) & (a != b)
    same = dm & ~day_first & ~month_first & ~ambiguous
    iso_like = ~missing & ~numeric & text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}").to_numpy()
    other = ~missing & ~numeric & ~iso_like
    split = _Split(
        iso=iso_like,
        day_first=day_first,
        month_first=month_first,
        ambiguous=ambiguous,
        same=same,
        other=other,
    )
    return split, parts


def _clock(rest: str) -> tuple[str, str] | None:
    """``(HH:MM:SS[.f], offset)`` from what follows a numeric date, or None when unreadable."""
    rest = rest.strip(" T,")
    if not rest:
        return "00:00:00", ""
    m = _CLOCK.match(rest)
    if m is None:
        return None
    hour, minute = int(m["h"]), int(m["m"])
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"][0].lower() == "p" else 0)
    clock = f"{hour:02d}:{minute:02d}:{m['s'] or '00'}{m['f'] or ''}"
    zone = m["zone"].strip()
    if not zone:
        return clock, ""
    z = _OFFSET.match(zone)
    if z is None:
        return None
    if not z["sign"]:
        return clock, "+00:00"
    return clock, f"{z['sign']}{int(z['oh']):02d}:{z['om'] or '00'}"


def _numeric_to_iso(parts: pd.DataFrame, mask: np.ndarray, *, day_first: bool) -> pd.Series:
    """Numeric dates rewritten as ISO text (``None`` where the pieces make no date)."""
    out = pd.Series(None, index=parts.index, dtype=object)
    for i in np.flatnonzero(mask):
        a, b, c, rest = (
            parts["a"].iat[i],
            parts["b"].iat[i],
            parts["c"].iat[i],
            parts["rest"].iat[i],
        )
        if len(a) == 4:
            year, month, day = a, b, c
        else:
            year = c if len(c) == 4 else (f"20{c}" if len(c) == 2 else None)
            day, month = (a, b) if day_first else (b, a)
        clock = _clock(rest if isinstance(rest, str) else "")
        if year is None or clock is None or len(day) > 2:
            continue
        out.iat[i] = f"{year}-{int(month):02d}-{int(day):02d}T{clock[0]}{clock[1]}"
    return out


def _format_hint(examples: pd.Series) -> str:
    """A ``date_format`` that reads the ambiguous examples day-first, e.g. ``%d/%m/%Y %H:%M``."""
    text = str(examples.iloc[0])
    m = _NUMERIC_DATE.match(text)
    if m is None:
        return "%d/%m/%Y"
    year = "%Y" if len(m["c"]) == 4 else "%y"
    fmt = f"%d{m['sep']}%m{m['sep']}{year}"
    clock = _CLOCK.match((m["rest"] or "").strip(" T,")) if m["rest"] else None
    if clock is not None:
        sep = "T" if "T" in m["rest"][:2] else " "
        fmt += f"{sep}%H:%M" + (":%S" if clock["s"] else "")
        if clock["ampm"]:
            fmt = fmt.replace("%H", "%I") + " %p"
    return fmt


def parse_times(
    values: pd.Series,
    *,
    date_format: str | None = None,
    dayfirst: bool = False,
    column: str | None = None,
    file: str | None = None,
    rows: Sequence[Any] | None = None,
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Parse date-times without guessing: ``(aware UTC instants, naive wall-clock times, has_offset)``.

    The rules, in order:

    1. ``date_format`` (``strftime`` codes, e.g. ``"%d/%m/%Y %H:%M"``) given: every value must match
       it; values with ``%z`` become instants.
    2. ISO 8601 (``2018-03-21``, ``2018-03-21T14:05``, ``...+01:00``, ``...Z``) and year-first
       numeric dates (``2018/03/21``) parse as written.
    3. Numeric dates with the year last (``21/03/2018 14:05``, ``3.4.18``, ``3/21/2018 2:05 PM``):
       a first number above 12 can only be a day, a second number above 12 only a day. When both are
       12 or below (``03/04/2018``) the value is ambiguous: an :class:`NPSInputError` shows examples
       and asks for ``date_format`` or ``dayfirst=True`` (CLI ``--date-format``, ``--dayfirst``)
       unless ``dayfirst=True`` was given. A column that proves one order (``21/03``) and holds
       values that only fit the other (``03/21``) is an error too. Nothing is silently guessed.
    4. Anything else (``21 March 2018``, ``Mar 21, 2018``) is read by dateutil, which needs no
       guess when the month is a name; what it cannot read is an error naming rows and values.

    Missing values (NaN, None, blank text) stay missing. An offset (``Z``, ``+02:00``, ``GMT+1``)
    makes a value an instant; the others are wall-clock times for :func:`to_utc` to place in a zone.
    """
    text, missing = _as_text(values)
    aware = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    naive = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if date_format:
        has_offset = ~missing & bool(re.search(r"%[zZ]", date_format))
        try:
            parsed_aware = pd.to_datetime(
                text.where(has_offset, None), format=date_format, utc=True, errors="coerce"
            )
            parsed_naive = pd.to_datetime(
                text.where(~has_offset & ~missing, None), format=date_format, errors="coerce"
            )
        except ValueError as exc:
            raise NPSInputError(
                f"date_format {date_format!r} is not a strftime format: {exc}",
                file=file,
                column=column,
            ) from None
        parsed_aware, parsed_naive = _in_range(parsed_aware), _in_range(parsed_naive)
        bad = ~missing & np.where(
            has_offset, parsed_aware.isna().to_numpy(), parsed_naive.isna().to_numpy()
        )
        if bad.any():
            _raise_rows(
                f"do not match date_format {date_format!r}",
                bad,
                values,
                column=column,
                file=file,
                rows=rows,
            )
        return (
            parsed_aware.astype("datetime64[ns, UTC]"),
            parsed_naive.astype("datetime64[ns]"),
            has_offset,
        )

    # Fast path for the common case, ISO text only (a million timestamps): no regex pass.
    iso_start = (text.str[:4].str.isdigit() & (text.str[4:5] == "-")).to_numpy()
    if (iso_start | missing).all():
        has_offset = text.str.contains(_HAS_OFFSET, regex=True).to_numpy() & ~missing
        aware = pd.to_datetime(text.where(has_offset, None), utc=True, format="ISO8601", errors="coerce")
        naive = pd.to_datetime(text.where(~has_offset & ~missing, None), format="ISO8601", errors="coerce")
        aware, naive = _in_range(aware), _in_range(naive)
        bad = ~missing & np.where(has_offset, aware.isna().to_numpy(), naive.isna().to_numpy())
        if not bad.any():
            return aware.astype("datetime64[ns, UTC]"), naive.astype("datetime64[ns]"), has_offset
    split, parts = _split(text, missing)

    def example(mask: np.ndarray) -> str:
        first = np.flatnonzero(mask)[:1]
        return describe_rows(
            list(zip(_row_labels(values, first, file, rows), [text.iat[first[0]]], strict=True))
        )

    if split.ambiguous.any() and not dayfirst:
        proven = ""
        if split.day_first.any():
            proven = f"; other values are day-first ({example(split.day_first)})"
        elif split.month_first.any():
            proven = f"; other values are month-first ({example(split.month_first)})"
        fmt = _format_hint(text[split.ambiguous])
        _raise_rows(
            "have an ambiguous day and month (03/04/2018 is 3 April or 4 March)",
            split.ambiguous,
            values,
            column=column,
            file=file,
            rows=rows,
            hint=(
                f"{proven}; say which: date_format={fmt!r} (--date-format '{fmt}') or "
                "dayfirst=True (--dayfirst); the kit never guesses"
            ),
        )
    if dayfirst:
        if split.month_first.any():
            _raise_rows(
                "are not day-first dates (the month would be above 12) although dayfirst=True",
                split.month_first,
                values,
                column=column,
                file=file,
                rows=rows,
            )
    elif split.day_first.any() and split.month_first.any():
        _raise_rows(
            f"only fit month-first while other rows only fit day-first "
            f"({example(split.day_first)}): give date_format",
            split.month_first,
            values,
            column=column,
            file=file,
            rows=rows,
        )
    iso = text.where(split.iso, None)
    numeric = split.day_first | split.month_first | split.ambiguous | split.same
    day_first_rows = split.day_first | split.same | (split.ambiguous & dayfirst)
    rewritten = _numeric_to_iso(parts, day_first_rows, day_first=True)
    rewritten = rewritten.where(
        day_first_rows, _numeric_to_iso(parts, numeric & ~day_first_rows, day_first=False)
    )
    iso = iso.where(~numeric, rewritten)
    # Year-first numeric dates (2018/03/21) take the same road as ISO text.
    year_first = (parts["a"].str.len() == 4).to_numpy() & ~missing & ~numeric & ~split.iso
    if year_first.any():
        iso = iso.where(~year_first, _numeric_to_iso(parts, year_first, day_first=False))
    iso_rows = split.iso | numeric | year_first
    other = split.other & ~year_first
    if other.any():
        # dateutil reads month names without a guess; numeric day/month never reach it.
        def _read(v: str) -> str | None:
            try:
                return pd.Timestamp(pd.to_datetime(v, format="mixed")).isoformat()
            except (ValueError, TypeError, OverflowError):
                return None

        uniques = pd.unique(text[other])
        lookup = {u: _read(u) for u in uniques}
        iso = iso.where(~other, text.map(lookup))
        iso_rows = iso_rows | other
    iso = iso.where(iso_rows, None)
    has_offset = (
        iso.fillna("").astype(str).str.contains(_HAS_OFFSET, regex=True).to_numpy() & iso_rows
    )
    aware = pd.to_datetime(iso.where(has_offset, None), utc=True, format="ISO8601", errors="coerce")
    naive = pd.to_datetime(
        iso.where(~has_offset & iso_rows, None), format="ISO8601", errors="coerce"
    )
    aware, naive = _in_range(aware), _in_range(naive)
    bad = ~missing & np.where(has_offset, aware.isna().to_numpy(), naive.isna().to_numpy())
    if bad.any():
        _raise_rows(
            "are not dates or times",
            bad,
            values,
            column=column,
            file=file,
            rows=rows,
            noun="value(s)",
            hint=(
                " (expected ISO 8601 such as 2026-09-01T08:15 or "
                "2026-09-01T08:15+02:00, or a format given with date_format)"
            ),
        )
    return aware.astype("datetime64[ns, UTC]"), naive.astype("datetime64[ns]"), has_offset


def _in_range(times: pd.Series) -> pd.Series:
    """Times outside pandas' nanosecond range (1678-2261) set to NaT, so they count as unreadable.

    pandas parses year 1 or 9999 in a wider unit, but the kit's instants are nanoseconds; such a
    time is no survey answer's time, and it is refused like any other unreadable value.
    """
    lo, hi = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")
    if getattr(times.dt, "tz", None) is not None:
        lo, hi = lo.tz_localize("UTC"), hi.tz_localize("UTC")
    out = times.notna() & ((times < lo) | (times > hi))
    return times.where(~out) if out.any() else times


def check_timezones(
    zones: pd.Series, *, column: str | None = None, file: str | None = None
) -> pd.Series:
    """Check that every non-missing value is an IANA time zone name (``Europe/Oslo``, ``UTC``)."""
    names = zones.astype(object).where(zones.notna(), None)
    names = names.map(lambda v: v.strip() if isinstance(v, str) else v)
    bad = np.zeros(len(names), dtype=bool)
    for name in pd.unique(names.dropna()):
        try:
            zoneinfo.ZoneInfo(str(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            bad |= (names == name).to_numpy()
    if bad.any():
        _raise_rows(
            "name no known time zone (expected IANA names like 'Europe/Oslo')",
            bad,
            zones,
            column=column,
            file=file,
            rows=None,
        )
    return names


def to_utc(
    values: pd.Series,
    *,
    zones: pd.Series | None = None,
    timezone: str = "UTC",
    column: str | None = None,
    file: str | None = None,
    date_format: str | None = None,
    dayfirst: bool = False,
    rows: Sequence[Any] | None = None,
) -> pd.Series:
    """Instants in UTC from timestamps that are time-zone aware or local times with a zone.

    Text is read by :func:`parse_times` (``date_format``, ``dayfirst``: no silent guess). Then:

    1. A time-zone-aware value (a tz-aware column, or text with ``Z`` or an offset such as
       ``+02:00``) is that instant.
    2. A naive value is a local wall-clock time in the zone of its row (``zones``, IANA names),
       or in ``timezone`` when no zone column is given.
    3. A local time that occurs twice (the hour repeated when clocks go back) is read as the first
       occurrence (still daylight-saving time); a local time that never occurs (skipped when clocks
       go forward) is an error.

    Missing values stay missing (``NaT``); unparsable values, unknown zones and naive values
    without a zone raise :class:`NPSInputError` naming the column, rows and values.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        aware = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
        naive = values
        has_offset = np.zeros(len(values), dtype=bool)
    else:
        aware, naive, has_offset = parse_times(
            values, date_format=date_format, dayfirst=dayfirst, column=column, file=file, rows=rows
        )
    out = aware.copy()
    need_zone = ~has_offset & naive.notna().to_numpy()
    if need_zone.any():
        if zones is None:
            row_zones = pd.Series(timezone, index=values.index, dtype=object)
        else:
            row_zones = check_timezones(zones, column=column, file=file)
        no_zone = need_zone & row_zones.isna().to_numpy()
        if no_zone.any():
            _raise_rows(
                "are local times without a time zone",
                no_zone,
                values,
                column=column,
                file=file,
                rows=rows,
            )
        for zone in pd.unique(row_zones[need_zone]):
            sel = need_zone & (row_zones == zone).to_numpy()
            local = naive[sel]
            localized = local.dt.tz_localize(
                zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT"
            )
            gap = localized.isna().to_numpy()
            if gap.any():
                bad = np.zeros(len(values), dtype=bool)
                bad[np.flatnonzero(sel)[gap]] = True
                _raise_rows(
                    f"are local times that do not exist in {zone} (clocks went forward)",
                    bad,
                    values,
                    column=column,
                    file=file,
                    rows=rows,
                )
            out[sel] = localized.dt.tz_convert("UTC")
    return out.astype("datetime64[ns, UTC]")


def to_instant(
    value: Any,
    *,
    timezone: str = "UTC",
    name: str = "as_of",
    date_format: str | None = None,
    dayfirst: bool = False,
) -> pd.Timestamp:
    """One instant in UTC: a tz-aware timestamp, text with an offset, or a local time in ``timezone``.

    Text goes through :func:`parse_times` (so ``"03/04/2026"`` is refused without ``dayfirst`` or
    ``date_format``); ``"now"`` is the moment of the call. ``date_format`` describes the data's
    time column, so a value written in ISO 8601 (as report parameters are) is read as ISO when it
    does not match the format.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(
            f"{name} must be given explicitly (e.g. '2026-10-26T09:00:00+01:00' or 'now')"
        )
    if isinstance(value, str) and value.strip().lower() == "now":
        # The moment of the call, in UTC (scheduled reports record the resolved value).
        return pd.Timestamp.now(tz="UTC")
    if isinstance(value, str):
        try:
            stamp = to_utc(
                pd.Series([value]),
                timezone=timezone,
                date_format=date_format,
                dayfirst=dayfirst,
                column=name,
            )
        except NPSInputError as exc:
            if date_format is None:
                raise ValueError(f"{name} is not a date-time: {exc}") from None
            try:
                stamp = to_utc(pd.Series([value]), timezone=timezone, dayfirst=dayfirst, column=name)
            except NPSInputError:
                raise ValueError(f"{name} is not a date-time: {exc}") from None
        return pd.Timestamp(stamp.iat[0])
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} is not a date-time: {value!r}") from exc
    if ts is pd.NaT:
        raise ValueError(f"{name} is not a date-time: {value!r}")
    if ts.tzinfo is None:
        ts = ts.tz_localize(timezone, ambiguous=True, nonexistent="raise")
    return ts.tz_convert("UTC")


def local_text(instants: pd.Series, zones: pd.Series) -> pd.Series:
    """Instants shown as local wall-clock text in each row's zone: ``2026-03-29 11:00 CEST``."""
    out = pd.Series(None, index=instants.index, dtype=object)
    ok = instants.notna().to_numpy()
    for zone in pd.unique(zones[ok]):
        sel = ok & (zones == zone).to_numpy()
        out[sel] = instants[sel].dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M %Z")
    return out


__all__ = ["check_timezones", "local_text", "parse_times", "to_instant", "to_utc"]
