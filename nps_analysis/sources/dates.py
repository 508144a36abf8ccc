"""Dates and times: UTC instants from aware timestamps or local times with a time zone, one rule
for every function that reads times.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

import numpy as np
import pandas as pd

from .columns import raise_rows


def check_timezones(zones: pd.Series, *, column: str | None = None, file: str | None = None) -> pd.Series:
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
        raise_rows("name no known time zone (expected IANA names like 'Europe/Oslo')", bad, zones,
                    column=column, file=file)
    return names


def _parse_text_times(
    values: pd.Series, *, column: str | None, file: str | None
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Parse ISO 8601 text into UTC instants (texts with ``Z`` or an offset), naive local times
    (the others) and the mask of texts with an offset."""
    obj = values.astype(object)
    # datetime objects (from Excel or Python) become ISO text, so one parser handles everything.
    obj = obj.map(lambda v: v.isoformat() if hasattr(v, "isoformat") and not isinstance(v, str) else v)
    missing = obj.isna().to_numpy() | (obj.astype(str).str.strip() == "").to_numpy()
    text = obj.where(~missing, "").astype(str).str.strip()
    has_offset = text.str.contains(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", regex=True).to_numpy() & ~missing
    aware = pd.to_datetime(text.where(has_offset, None), utc=True, format="ISO8601", errors="coerce")
    naive = pd.to_datetime(text.where(~has_offset & ~missing, None), format="ISO8601", errors="coerce")
    bad = ~missing & np.where(has_offset, aware.isna().to_numpy(), naive.isna().to_numpy())
    if bad.any():
        raise_rows("are not ISO 8601 date-times (e.g. 2026-09-01T08:15 or 2026-09-01T08:15+02:00)",
                    bad, values, column=column, file=file)
    return aware, naive, has_offset


def to_utc(
    values: pd.Series,
    *,
    zones: pd.Series | None = None,
    timezone: str = "UTC",
    column: str | None = None,
    file: str | None = None,
) -> pd.Series:
    """Instants in UTC from timestamps that are time-zone aware or local times with a zone.

    The rule (documented in docs/closed_loop.md):

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
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        aware = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
        naive = values
        has_offset = np.zeros(len(values), dtype=bool)
    else:
        aware, naive, has_offset = _parse_text_times(values, column=column, file=file)
    out = aware.copy()
    need_zone = ~has_offset & naive.notna().to_numpy()
    if need_zone.any():
        if zones is None:
            row_zones = pd.Series(timezone, index=values.index, dtype=object)
        else:
            row_zones = check_timezones(zones, column=column, file=file)
        no_zone = need_zone & row_zones.isna().to_numpy()
        if no_zone.any():
            raise_rows("are local times without a time zone", no_zone, values, column=column, file=file)
        for zone in pd.unique(row_zones[need_zone]):
            sel = need_zone & (row_zones == zone).to_numpy()
            local = naive[sel]
            localized = local.dt.tz_localize(zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT")
            gap = localized.isna().to_numpy()
            if gap.any():
                bad = np.zeros(len(values), dtype=bool)
                bad[np.flatnonzero(sel)[gap]] = True
                raise_rows(f"are local times that do not exist in {zone} (clocks went forward)",
                            bad, values, column=column, file=file)
            out[sel] = localized.dt.tz_convert("UTC")
    return out.astype("datetime64[ns, UTC]")


def to_instant(value: Any, *, timezone: str = "UTC", name: str = "as_of") -> pd.Timestamp:
    """One instant in UTC: a tz-aware timestamp, ISO text with an offset, or a local time in ``timezone``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{name} must be given explicitly (e.g. '2026-10-26T09:00:00+01:00' or 'now')")
    if isinstance(value, str) and value.strip().lower() == "now":
        # The moment of the call, in UTC (scheduled reports record the resolved value).
        return pd.Timestamp.now(tz="UTC")
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
