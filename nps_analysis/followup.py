"""Closing the loop: the follow-up queue with deadlines and owners, the follow-up log, compliance,
five-whys root causes, and whether follow-up works (re-survey transitions, recovery, holdout).

Defaults follow DOMAIN.md: detractors are contacted within 24 hours, passives within 48 hours and
promoters within 7 days; every default can be changed per call.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .intervals import newcombe_interval
from .privacy import known_personal_values, mask_personal
from .results import ResultMixin
from .scoring import (
    CATEGORIES,
    PASSIVE_FROM,
    PROMOTER_FROM,
    NPSCounts,
    parse_scores,
    wilson_interval,
)

#: Follow-up deadlines per category (DOMAIN.md, "Closing the loop").
DEFAULT_DEADLINES: dict[str, pd.Timedelta] = {
    "detractor": pd.Timedelta(hours=24),
    "passive": pd.Timedelta(hours=48),
    "promoter": pd.Timedelta(days=7),
}

#: The follow-up log's columns (DOMAIN.md: the complaint and follow-up log). Only ``response_id``
#: is required; the others are validated when present. ``customer_name``, ``address``, ``phone``
#: and ``email`` are personal data and masked in every output by default.
LOG_COLUMNS: dict[str, str] = {
    "response_id": "the survey response the entry follows up (required)",
    "customer_name": "customer's name (personal data)",
    "address": "customer's address (personal data)",
    "phone": "customer's phone number (personal data)",
    "email": "customer's e-mail address (personal data)",
    "taken_by": "the employee who took it",
    "complaint_at": "date and time of the complaint",
    "contacted_at": "date and time of the first contact with the customer",
    "concern": "the nature of the concern",
    "agreed_solution": "the solution agreed with the customer",
    "solution_done": "whether the solution was carried out at once (true/false)",
    "promised_at": "if not, when it was promised",
    "actions": "actions taken",
    "resolved_at": "date and time of the resolution",
    "satisfaction_checked_at": "date and time of the follow-up that checks the customer is satisfied",
    "satisfied": "whether the customer was satisfied with the handling (true/false)",
    "compensation": "any compensation (text)",
    "compensation_value": "its value (a number >= 0)",
    "prevention": "suggestions to prevent it next time",
}
LOG_TIME_COLUMNS: tuple[str, ...] = (
    "complaint_at", "contacted_at", "promised_at", "resolved_at", "satisfaction_checked_at",
)
LOG_BOOL_COLUMNS: tuple[str, ...] = ("solution_done", "satisfied")

#: Order in which the queue is sorted: what needs doing first comes first.
STATUSES: tuple[str, ...] = ("overdue", "open", "contacted late", "contacted in time", "resolved", "holdout")
CONTACT_STATUSES: tuple[str, ...] = ("overdue", "not yet due", "late", "in time", "holdout")

Clock = Literal["elapsed", "local"]
Routing = Mapping[str, "Mapping[Any, str] | None"] | str | None


# ------------------------------------------------------------------------------------ time handling


def _row_labels(values: pd.Series, mask: np.ndarray, file: str | None) -> list[Any]:
    """Row numbers for messages: file lines when the frame came from ``nps.load`` (its
    ``attrs["source_rows"]``), 1-based file lines (header = line 1) when a file is named, else
    0-based data rows."""
    from .io import source_rows

    positions = np.flatnonzero(mask)
    source = source_rows(values) if isinstance(values.attrs.get("source_rows"), list) else values.attrs.get("source_rows")
    if source is not None and len(source) == len(values):
        return [int(source[p]) for p in positions]
    if file is not None:
        return [int(p) + 2 for p in positions]
    return [int(p) for p in positions]


def _file_of(frame: pd.DataFrame, file: str | None) -> str | None:
    """The file a frame was read from: ``file`` if given, else the ``nps.load`` report's."""
    if file is not None:
        return file
    if frame.attrs.get("file") is not None:
        return frame.attrs["file"]
    from .io import load_report

    report = load_report(frame)
    return getattr(report, "file", None)


def _lean(frame: pd.DataFrame, file: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """A shallow copy without the metadata ``nps.load`` attaches, keeping what error messages need.

    pandas deep-copies ``attrs`` on every operation; a list of a million source rows there would
    cost seconds per call. The file name and the source rows (as one numpy array) are kept.
    """
    file = _file_of(frame, file)
    from .io import source_rows

    rows = source_rows(frame) if isinstance(frame.attrs.get("source_rows"), list) else frame.attrs.get("source_rows")
    out = frame.copy(deep=False)
    out.attrs = {}
    if rows is not None:
        out.attrs["source_rows"] = np.asarray(rows)
    if file is not None:
        out.attrs["file"] = file
    return out, file


def _raise_rows(
    message: str, mask: np.ndarray, values: pd.Series, *, column: str | None, file: str | None
) -> None:
    labels = _row_labels(values, mask, file)
    shown = values.to_numpy(dtype=object)[mask]
    rows = [(r, v.item() if isinstance(v, np.generic) else v) for r, v in zip(labels, shown, strict=True)]
    raise NPSInputError(
        f"{len(rows)} row(s) {message}: {describe_rows(rows)}",
        file=file,
        column=column,
        rows=rows[:20],
        count=len(rows),
    )


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
        _raise_rows("name no known time zone (expected IANA names like 'Europe/Oslo')", bad, zones,
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
        _raise_rows("are not ISO 8601 date-times (e.g. 2026-09-01T08:15 or 2026-09-01T08:15+02:00)",
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
            _raise_rows("are local times without a time zone", no_zone, values, column=column, file=file)
        for zone in pd.unique(row_zones[need_zone]):
            sel = need_zone & (row_zones == zone).to_numpy()
            local = naive[sel]
            localized = local.dt.tz_localize(zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT")
            gap = localized.isna().to_numpy()
            if gap.any():
                bad = np.zeros(len(values), dtype=bool)
                bad[np.flatnonzero(sel)[gap]] = True
                _raise_rows(f"are local times that do not exist in {zone} (clocks went forward)",
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


def _local_text(instants: pd.Series, zones: pd.Series) -> pd.Series:
    """Instants shown as local wall-clock text in each row's zone: ``2026-03-29 11:00 CEST``."""
    out = pd.Series(None, index=instants.index, dtype=object)
    ok = instants.notna().to_numpy()
    for zone in pd.unique(zones[ok]):
        sel = ok & (zones == zone).to_numpy()
        out[sel] = instants[sel].dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M %Z")
    return out


# -------------------------------------------------------------------------------------- deadlines


def parse_deadlines(deadlines: Mapping[str, Any] | None = None) -> dict[str, pd.Timedelta]:
    """Deadlines per category: the defaults (24 h, 48 h, 7 days) updated by ``deadlines``.

    Values are hours (``24``, ``36.5``), ``pandas.Timedelta`` or text (``"48h"``, ``"7 days"``).

    Example:
        >>> parse_deadlines({"passive": 36})["passive"]
        Timedelta('1 days 12:00:00')
    """
    out = dict(DEFAULT_DEADLINES)
    for category, value in (deadlines or {}).items():
        if category not in CATEGORIES:
            raise ValueError(f"deadlines: unknown category {category!r}; the categories are {list(CATEGORIES)}")
        if isinstance(value, bool):
            raise ValueError(f"deadlines[{category!r}] must be hours or a duration, got {value!r}")
        try:
            td = pd.Timedelta(hours=float(value)) if isinstance(value, (int, float)) else pd.Timedelta(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"deadlines[{category!r}] is not a duration: {value!r}") from exc
        if td is pd.NaT or td <= pd.Timedelta(0):
            raise ValueError(f"deadlines[{category!r}] must be positive, got {value!r}")
        out[category] = td
    return out


def _category(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    with np.errstate(invalid="ignore"):
        out[values < PASSIVE_FROM] = CATEGORIES[0]
        out[(values >= PASSIVE_FROM) & (values < PROMOTER_FROM)] = CATEGORIES[1]
        out[values >= PROMOTER_FROM] = CATEGORIES[2]
    return out


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str, file: str | None) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NPSInputError(
            f"{what}: missing column(s) {missing}; the columns are {list(map(str, frame.columns))}",
            file=file,
        )


def _ids(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None).map(
        lambda v: (str(v.item() if isinstance(v, np.generic) else v).strip() or None) if v is not None else None
    )


def _check_ids(ids: pd.Series, raw: pd.Series, *, column: str, file: str | None, what: str) -> None:
    empty = ids.isna().to_numpy()
    if empty.any():
        _raise_rows(f"have no {what} id", empty, raw, column=column, file=file)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        _raise_rows(f"repeat a {what} id (each must be unique)", dup, raw, column=column, file=file)


# ---------------------------------------------------------------------------------- follow-up log


def _parse_bool(values: pd.Series, *, column: str, file: str | None) -> pd.Series:
    truthy = {"true", "yes", "y", "1", "t", "ja"}
    falsy = {"false", "no", "n", "0", "f", "nei"}
    text = values.astype(object).map(lambda v: str(v).strip().lower() if pd.notna(v) else "")
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(truthy).to_numpy()] = True
    out[text.isin(falsy).to_numpy()] = False
    bad = ~(text.isin(truthy) | text.isin(falsy) | (text == "")).to_numpy()
    if bad.any():
        _raise_rows("are not true/false (yes/no, 1/0)", bad, values, column=column, file=file)
    return out


def validate_followup_log(
    log: pd.DataFrame,
    *,
    responses: pd.DataFrame | None = None,
    response_id: str = "response_id",
    time: str = "submitted_at",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    file: str | None = None,
) -> pd.DataFrame:
    """Check a follow-up log and return it with its times as UTC instants.

    The log holds the fields of a complaint and follow-up log (DOMAIN.md; :data:`LOG_COLUMNS`): one
    row per followed-up response, keyed by ``response_id``. Checks, each raising
    :class:`NPSInputError` that names the column, rows and values:

    * ``response_id`` present, non-empty, unique, and (with ``responses``) a known response;
    * times are ISO 8601; naive times are local to the response's zone (the responses'
      ``timezone_column``), else ``timezone``;
    * the order of events: contact, resolution and promise not before the complaint; resolution
      and the satisfaction check not before the contact; a resolution only after a contact; the
      satisfaction check not before the resolution; contact not before the response was
      submitted;
    * ``solution_done`` and ``satisfied`` are true/false; ``compensation_value`` a number >= 0.

    Extra columns are kept as they are.
    """
    log, file = _lean(log, file)
    _require_columns(log, [response_id], what="follow-up log", file=file)
    out = log.copy()
    ids = _ids(log[response_id])
    _check_ids(ids, log[response_id], column=response_id, file=file, what="response")
    out[response_id] = ids.to_numpy()

    zones = None
    submitted = None
    if responses is not None:
        responses, _ = _lean(responses)
        _require_columns(responses, [response_id], what="responses", file=None)
        resp_ids = _ids(responses[response_id])
        known = pd.Index(resp_ids.dropna())
        unknown = ~ids.isin(known).to_numpy()
        if unknown.any():
            _raise_rows("refer to an unknown response id", unknown, log[response_id], column=response_id, file=file)
        pos = known.get_indexer(ids)
        resp = responses.iloc[pos].reset_index(drop=True)
        if timezone_column and timezone_column in responses.columns:
            zones = pd.Series(resp[timezone_column].to_numpy(), index=log.index)
        if time in responses.columns:
            resp_zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
            sub = to_utc(responses[time], zones=resp_zones, timezone=timezone, column=time)
            submitted = pd.Series(sub.array.take(pos), index=log.index)
    elif timezone_column and timezone_column in log.columns:
        zones = log[timezone_column]

    times: dict[str, pd.Series] = {}
    for col in LOG_TIME_COLUMNS:
        if col in log.columns:
            times[col] = to_utc(log[col], zones=zones, timezone=timezone, column=col, file=file)
            out[col] = times[col].array
    for col in LOG_BOOL_COLUMNS:
        if col in log.columns:
            out[col] = _parse_bool(log[col], column=col, file=file).to_numpy()
    if "compensation_value" in log.columns:
        raw = log["compensation_value"]
        num = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
        bad = ~blank & (num.isna().to_numpy() | (num < 0).to_numpy())
        if bad.any():
            _raise_rows("are not amounts >= 0", bad, raw, column="compensation_value", file=file)
        out["compensation_value"] = num.to_numpy()

    def order(later: str, earlier: str, words: str) -> None:
        if later in times and earlier in times:
            bad = (times[later] < times[earlier]).fillna(False).to_numpy(dtype=bool)
            if bad.any():
                _raise_rows(f"{words} (see {earlier!r})", bad, log[later], column=later, file=file)

    order("contacted_at", "complaint_at", "have a contact before the complaint")
    order("resolved_at", "complaint_at", "have a resolution before the complaint")
    order("promised_at", "complaint_at", "have a promised date before the complaint")
    order("resolved_at", "contacted_at", "have a resolution before the first contact")
    order("satisfaction_checked_at", "resolved_at", "have a satisfaction check before the resolution")
    order("satisfaction_checked_at", "contacted_at", "have a satisfaction check before the first contact")
    if "resolved_at" in times:
        contacted = times.get("contacted_at")
        no_contact = times["resolved_at"].notna().to_numpy() & (
            np.ones(len(log), dtype=bool) if contacted is None else contacted.isna().to_numpy()
        )
        if no_contact.any():
            _raise_rows("are resolved without a contact time (fill in 'contacted_at')", no_contact,
                        log["resolved_at"], column="resolved_at", file=file)
    if submitted is not None:
        for col in ("contacted_at", "complaint_at", "resolved_at"):
            if col in times:
                before = (times[col] < submitted).fillna(False).to_numpy(dtype=bool)
                if before.any():
                    _raise_rows(f"are before the survey response was submitted ({time!r})",
                                before, log[col], column=col, file=file)
    return out


# ------------------------------------------------------------------------------------------ queue


def _route(frame: pd.DataFrame, routing: Routing) -> tuple[pd.Series, pd.Series]:
    owner = pd.Series(None, index=frame.index, dtype=object)
    routed_by = pd.Series(None, index=frame.index, dtype=object)
    if routing is None:
        return owner, routed_by
    rules: Mapping[str, Mapping[Any, str] | None] = {routing: None} if isinstance(routing, str) else routing
    for column, mapping in rules.items():
        if column not in frame.columns:
            raise NPSInputError(f"routing: no column {column!r}; the columns are {list(map(str, frame.columns))}")
        keys = _ids(frame[column])
        if mapping is None:
            found = keys
        else:
            lookup = {str(k).strip(): v for k, v in mapping.items()}
            found = keys.map(lambda k, lookup=lookup: lookup.get(k) if k is not None else None)
        take = owner.isna() & found.notna()
        owner[take] = found[take]
        routed_by[take] = column
    return owner, routed_by


def followup_queue(
    responses: pd.DataFrame,
    *,
    log: pd.DataFrame | None = None,
    as_of: Any,
    deadlines: Mapping[str, Any] | None = None,
    routing: Routing = None,
    holdout: Mapping[str, Any] | None = None,
    score: str = "score",
    response_id: str = "response_id",
    time: str = "submitted_at",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    clock: Clock = "elapsed",
    show_personal: bool = False,
    file: str | None = None,
) -> pd.DataFrame:
    """The follow-up queue as of a given time: every response's category, deadline, owner and status.

    Args:
        responses: one row per survey response with ``response_id``, the 0-10 ``score`` and the
            submission ``time``; optionally a ``timezone_column`` of IANA zone names (see
            :func:`to_utc` for how times and zones are read). Responses without a score are not
            followed up (counted in ``attrs["missing_score"]``).
        log: the follow-up log (:func:`validate_followup_log` is applied to it).
        as_of: the moment the queue describes, given explicitly (text with an offset, a tz-aware
            timestamp, or a local time in ``timezone``). Responses submitted later are left out;
            log events after ``as_of`` are ignored, so the queue of a past day can be rebuilt.
        deadlines: per category, hours or durations; defaults 24 h (detractors), 48 h (passives),
            7 days (promoters).
        routing: who owns each response. A column name (its value is the owner, e.g. ``"team"``)
            or an ordered mapping ``{column: {value: owner}}``, where the first column whose value
            is mapped wins and ``None`` as a mapping means "the value itself", e.g.
            ``{"agent": {"Kari Nilsen": "Billing desk"}, "department": None}``. Responses no rule
            routes keep ``owner`` empty and are listed by :func:`unrouted`, never dropped.
        holdout: responses deliberately not contacted (a randomised holdout that measures whether
            follow-up works), as ``{column: value or list of values}``, e.g.
            ``{"followup_arm": "holdout"}``. They get status ``holdout``, are never overdue and
            are left out of :func:`compliance`; a holdout response that was contacted anyway keeps
            its real status and is counted in ``attrs["holdout_contacted"]``.
        clock: ``"elapsed"`` (default): a deadline is the response instant plus the duration in
            real elapsed time, so 24 h is always 24 hours, also across a daylight-saving change.
            ``"local"``: the duration is added to the customer's local wall-clock time (7 days
            after 10:00 is 10:00 local time, 167 or 169 real hours across a change); a local
            deadline that falls in the skipped hour moves forward to the first valid time.
        show_personal: personal data (names, addresses, phones, e-mails, also inside comments)
            is masked unless this is ``True``.

    Returns:
        The responses' columns plus ``category``, ``submitted_utc``, ``deadline`` (UTC),
        ``submitted_local`` and ``deadline_local`` (text in the row's zone), ``owner``,
        ``routed_by``, ``contacted_at``, ``resolved_at``, ``taken_by`` (from the log),
        ``contact_status`` (``in time``, ``late``, ``overdue``, ``not yet due``), ``status``
        (``overdue``, ``open``, ``contacted late``, ``contacted in time``, ``resolved``),
        ``hours_to_contact``, ``late_hours``, ``overdue_hours``, ``hours_left`` and ``due``
        (deadline at or before ``as_of``). Sorted with what needs doing first on top: overdue
        (longest first), open (least time left first), then the rest. ``attrs`` holds
        ``as_of``, ``deadlines``, ``clock``, ``unrouted``, ``missing_score`` and ``not_yet_submitted``.
    """
    if clock not in ("elapsed", "local"):
        raise ValueError(f"clock must be 'elapsed' or 'local', got {clock!r}")
    responses, file = _lean(responses, file)
    if log is not None:
        log, _ = _lean(log)
    _require_columns(responses, [response_id, score, time], what="responses", file=file)
    as_of_utc = to_instant(as_of, timezone=timezone)
    limits = parse_deadlines(deadlines)

    ids = _ids(responses[response_id])
    _check_ids(ids, responses[response_id], column=response_id, file=file, what="response")
    parsed = parse_scores(responses[score], column=score, file=file)
    zones_raw = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    submitted = to_utc(responses[time], zones=zones_raw, timezone=timezone, column=time, file=file)
    no_time = submitted.isna().to_numpy() & parsed.valid_mask
    if no_time.any():
        _raise_rows("have a score but no submission time", no_time, responses[time], column=time, file=file)
    if zones_raw is not None:
        zones = check_timezones(zones_raw, column=timezone_column, file=file).fillna(timezone)
    else:
        zones = pd.Series(timezone, index=responses.index, dtype=object)

    keep = parsed.valid_mask & (submitted <= as_of_utc).to_numpy()
    not_yet = int((parsed.valid_mask & (submitted > as_of_utc).to_numpy()).sum())
    q = responses.loc[keep].copy()
    q[response_id] = ids[keep].to_numpy()
    q["category"] = _category(parsed.values[keep])
    sub = submitted[keep]
    zone = zones[keep]
    q["submitted_utc"] = sub.array
    duration = pd.to_timedelta(q["category"].map(limits))
    if clock == "elapsed":
        deadline = sub + duration.to_numpy()
    else:
        deadline = pd.Series(pd.NaT, index=q.index, dtype="datetime64[ns, UTC]")
        for z in pd.unique(zone):
            sel = (zone == z).to_numpy()
            wall = sub[sel].dt.tz_convert(z).dt.tz_localize(None) + duration[sel].to_numpy()
            deadline[sel] = wall.dt.tz_localize(
                z, ambiguous=np.ones(int(sel.sum()), dtype=bool), nonexistent="shift_forward"
            ).dt.tz_convert("UTC")
    q["deadline"] = deadline.array
    q["submitted_local"] = _local_text(sub, zone).to_numpy()
    q["deadline_local"] = _local_text(q["deadline"], zone).to_numpy()
    q["owner"], q["routed_by"] = _route(q, routing)

    contacted = pd.Series(pd.NaT, index=q.index, dtype="datetime64[ns, UTC]")
    resolved = contacted.copy()
    taken_by = pd.Series(None, index=q.index, dtype=object)
    if log is not None:
        checked = validate_followup_log(
            log, responses=responses, response_id=response_id, time=time,
            timezone_column=timezone_column, timezone=timezone,
        )
        entries = checked.set_index(response_id)
        pos = entries.index.get_indexer(q[response_id])
        found = pos >= 0
        for col, target in (("contacted_at", contacted), ("resolved_at", resolved)):
            if col in entries.columns:
                target[found] = entries[col].array.take(pos[found])
        if "taken_by" in entries.columns:
            taken_by[found] = entries["taken_by"].to_numpy(dtype=object)[pos[found]]
    # Events after as_of have not happened yet as far as this queue is concerned.
    contacted = contacted.where(contacted <= as_of_utc)
    resolved = resolved.where(resolved <= as_of_utc)
    q["taken_by"] = taken_by.to_numpy()
    q["contacted_at"] = contacted.array
    q["resolved_at"] = resolved.array

    dl = q["deadline"]
    has_contact = contacted.notna().to_numpy()
    in_time = has_contact & (contacted <= dl).to_numpy()
    late = has_contact & ~in_time
    overdue = ~has_contact & (dl < as_of_utc).to_numpy()
    held = np.zeros(len(q), dtype=bool)
    for column, values in (holdout or {}).items():
        if column not in q.columns:
            raise NPSInputError(f"holdout: no column {column!r}; the columns are {list(map(str, q.columns))}")
        wanted = [values] if isinstance(values, (str, int, float, bool)) else list(values)
        held |= _ids(q[column]).isin([str(v).strip() for v in wanted]).to_numpy()
    held_contacted = int((held & has_contact).sum())
    held &= ~has_contact
    overdue &= ~held
    q["holdout"] = held
    q["contact_status"] = np.select([held, in_time, late, overdue], ["holdout", "in time", "late", "overdue"], "not yet due")
    status = np.select([held, in_time, late, overdue], ["holdout", "contacted in time", "contacted late", "overdue"], "open")
    q["status"] = np.where(resolved.notna().to_numpy(), "resolved", status)
    hour = pd.Timedelta(hours=1)
    q["hours_to_contact"] = ((contacted - q["submitted_utc"]) / hour).to_numpy()
    q["late_hours"] = np.where(late, ((contacted - dl) / hour).to_numpy(), np.nan)
    q["overdue_hours"] = np.where(overdue, ((as_of_utc - dl) / hour).to_numpy(), np.nan)
    open_ = ~has_contact & ~overdue & ~held
    q["hours_left"] = np.where(open_, ((dl - as_of_utc) / hour).to_numpy(), np.nan)
    q["due"] = (dl <= as_of_utc).to_numpy() & ~held

    rank = pd.Categorical(q["status"], categories=list(STATUSES), ordered=True).codes
    q["_rank"] = rank
    q["_urgency"] = np.where(overdue, -q["overdue_hours"], q["hours_left"])
    q = q.sort_values(["_rank", "_urgency", "submitted_utc"], kind="stable").drop(columns=["_rank", "_urgency"])
    q = q.reset_index(drop=True)
    attrs = {
        "as_of": as_of_utc.isoformat(),
        "deadlines": {k: v.isoformat() for k, v in limits.items()},
        "deadline_hours": {k: v / hour for k, v in limits.items()},
        "clock": clock,
        "response_id": response_id,
        "unrouted": int(q["owner"].isna().sum()),
        "routing": routing if routing is None or isinstance(routing, str) else {k: (dict(v) if v else None) for k, v in routing.items()},
        "missing_score": parsed.missing,
        "not_yet_submitted": not_yet,
        "holdout": int(held.sum()),
        "holdout_contacted": held_contacted,
    }
    out = mask_personal(q, show_personal=show_personal,
                        known=known_personal_values(responses, log) if not show_personal else None)
    out.attrs.update(attrs)
    out.attrs["personal_data"] = "shown" if show_personal else "masked"
    return out


def export_queue(
    queue: pd.DataFrame, output_dir: str | Path, *, stem: str = "followup_queue", show_personal: bool = False
) -> Path:
    """Write the queue as ``<stem>.csv`` (times in UTC, ISO 8601), personal data masked again
    unless ``show_personal``. Returns the path."""
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = queue if show_personal else mask_personal(queue)
    path = out_dir / f"{stem}.csv"
    tmp = out_dir / f".{stem}.csv.tmp"
    table.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%SZ")
    tmp.replace(path)
    return path


def unrouted(queue: pd.DataFrame) -> pd.DataFrame:
    """The responses of a queue that no routing rule assigned to an owner (never silently dropped)."""
    return queue[queue["owner"].isna()]


def queue_summary(queue: pd.DataFrame, *, by: Sequence[str] | str | None = "owner") -> pd.DataFrame:
    """How many responses are in each status (and category), per owner or another column.

    Columns: the ``by`` columns (missing owners shown as ``(unrouted)``), one count column per
    status, ``total``, and ``max_overdue_hours``.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    frame = queue.copy()
    for col in by:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "(unrouted)" if col == "owner" else "(missing)")
    if by:
        grouped = frame.groupby(by, sort=True, dropna=False)
        table = grouped["status"].value_counts().unstack(fill_value=0)
        max_over = grouped["overdue_hours"].max()
    else:
        table = frame["status"].value_counts().to_frame().T
        max_over = pd.Series([frame["overdue_hours"].max()], index=table.index)
    for s in STATUSES:
        if s not in table.columns:
            table[s] = 0
    table = table[list(STATUSES)]
    table["total"] = table.sum(axis=1)
    table["max_overdue_hours"] = max_over.reindex(table.index).to_numpy()
    table.columns.name = None
    return table.reset_index(drop=not by)


# ------------------------------------------------------------------------------------- compliance


def median_interval(
    values: Sequence[float] | np.ndarray, *, confidence_level: float = 0.95
) -> tuple[float, float, float, float]:
    """The sample median with a distribution-free confidence interval from order statistics.

    Source: the binomial (sign-test) interval for the median, Conover (1999), *Practical
    Nonparametric Statistics*, 3rd ed., section 3.2; also Hahn & Meeker (1991), *Statistical
    Intervals*, section 5.2. With ``B ~ Binomial(n, 1/2)``, the interval is ``[x_(l), x_(n+1-l)]``
    (sorted values, 1-based), with ``l`` the largest integer such that ``P(B <= l - 1) <= alpha/2``;
    its coverage ``1 - 2 P(B <= l - 1)`` is at least the confidence level for any continuous
    distribution. When ``l = 0`` (``n <= 5`` at 95%) the bounds are infinite.

    ``+inf`` values are allowed (e.g. not contacted yet) and sort last.

    Returns:
        ``(median, lower, upper, achieved_confidence)``.

    Example:
        >>> median_interval(range(1, 11))   # n = 10: l = 2, P(B <= 1) = 11/1024
        (5.5, 2.0, 9.0, 0.978515625)
    """
    from scipy.stats import binom

    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return (math.nan, math.nan, math.nan, math.nan)
    alpha = 1 - confidence_level
    cdf = binom.cdf(np.arange(n + 1), n, 0.5)
    l = int(np.sum(cdf <= alpha / 2 + 1e-12))  # noqa: E741 - the textbook's name for the rank
    median = float(np.median(x))
    if l == 0:
        return (median, -math.inf, math.inf, 1.0)
    achieved = float(1 - 2 * cdf[l - 1])
    return (median, float(x[l - 1]), float(x[n - l]), achieved)


def compliance(
    queue: pd.DataFrame,
    *,
    by: Sequence[str] | str | None = ("owner", "category"),
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Follow-up compliance per group: the share contacted within the deadline and the time to contact.

    Only responses whose deadline has passed by ``as_of`` (``due``) count: for them the outcome
    is known. (Counting early contacts of responses not yet due would bias the share upwards.)

    Columns: the ``by`` groups; ``responses`` (all in the queue), ``due``, ``in_time``,
    ``late``, ``overdue`` (due and still not contacted); ``share_in_time`` (% of due) with a Wilson
    (1927) interval ``ci_lower``/``ci_upper`` (``nps.wilson_interval``); ``median_hours_to_contact``
    over the due responses with the distribution-free order-statistic interval of
    :func:`median_interval` (``median_ci_lower``/``median_ci_upper``). Responses not contacted by
    ``as_of`` count as later than any contact (``+inf``); a median that exceeds the shortest
    waiting time of such a response is then only an upper bound, marked ``median_exact = False``
    (the true times are unknown beyond ``as_of``), and an infinite value (fewer than half contacted)
    is shown as missing.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    frame = queue.copy()
    for col in by:
        if col not in frame.columns:
            raise NPSInputError(f"compliance: no column {col!r} in the queue")
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "(unrouted)" if col == "owner" else "(missing)")
    as_of = pd.Timestamp(queue.attrs["as_of"]) if "as_of" in queue.attrs else None
    rows = []
    groups = frame.groupby(by, sort=True, dropna=False) if by else [((), frame)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        due = g[g["due"].to_numpy(dtype=bool)]
        n_due = len(due)
        in_time = int((due["contact_status"] == "in time").sum())
        late = int((due["contact_status"] == "late").sum())
        overdue = int((due["contact_status"] == "overdue").sum())
        lo, hi = wilson_interval(in_time, n_due, confidence_level)
        hours = due["hours_to_contact"].to_numpy(dtype=float)
        waiting = np.isnan(hours)
        med, mlo, mhi, achieved = median_interval(np.where(waiting, np.inf, hours), confidence_level=confidence_level)
        exact = True
        if waiting.any():
            # Not yet contacted: the true time is only known to exceed the wait so far.
            shortest_wait = (
                float(((as_of - due.loc[waiting, "submitted_utc"]) / pd.Timedelta(hours=1)).min())
                if as_of is not None else -math.inf
            )
            exact = bool(np.isfinite(mhi) and mhi <= shortest_wait)
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "responses": len(g),
                "due": n_due,
                "in_time": in_time,
                "late": late,
                "overdue": overdue,
                "share_in_time": 100.0 * in_time / n_due if n_due else math.nan,
                "ci_lower": 100.0 * lo if n_due else math.nan,
                "ci_upper": 100.0 * hi if n_due else math.nan,
                "median_hours_to_contact": med if np.isfinite(med) else math.nan,
                "median_ci_lower": mlo if np.isfinite(mlo) else math.nan,
                "median_ci_upper": mhi if np.isfinite(mhi) else math.nan,
                "median_confidence": achieved,
                "median_exact": exact,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["confidence_level"] = confidence_level
    out.attrs["as_of"] = queue.attrs.get("as_of")
    out.attrs["method"] = "share: Wilson score interval; median: order-statistic (binomial) interval"
    return out


# -------------------------------------------------------------------------------- five whys


_WHY_COLUMN = re.compile(r"^why_?(\d+)$", flags=re.IGNORECASE)


def _why_columns(frame: pd.DataFrame) -> list[str]:
    found = sorted(
        ((int(m.group(1)), c) for c in frame.columns if (m := _WHY_COLUMN.match(str(c)))),
    )
    return [c for _, c in found]


def validate_root_causes(
    chains: pd.DataFrame,
    *,
    responses: pd.DataFrame | None = None,
    response_id: str = "response_id",
    theme: str = "theme",
    time: str = "recorded_at",
    timezone: str = "UTC",
    file: str | None = None,
) -> pd.DataFrame:
    """Check five-whys chains and add ``root_cause`` (when absent: the last answered why) and ``chain``.

    A chain is one row: recorded against a survey response (``response_id``) or a theme
    (``theme``), with its answers in ``why_1``, ``why_2``, ... (any number; five is the habit) and
    optionally ``root_cause``, ``team``, ``recorded_at``, ``action``. Raises
    :class:`NPSInputError` for: no why columns; a chain with no answer or with a gap (``why_3``
    answered, ``why_2`` empty); a row with neither a response nor a theme; an unknown response id
    (with ``responses``); an unparsable ``recorded_at``.
    """
    chains, file = _lean(chains, file)
    whys = _why_columns(chains)
    if not whys:
        raise NPSInputError(
            f"five-whys chains need columns why_1, why_2, ...; the columns are {list(map(str, chains.columns))}",
            file=file,
        )
    out = chains.copy()
    answered = np.column_stack(
        [(chains[c].notna() & (chains[c].astype(str).str.strip() != "")).to_numpy() for c in whys]
    )
    none = ~answered.any(axis=1)
    if none.any():
        _raise_rows("answer no why", none, chains[whys[0]], column=whys[0], file=file)
    # A gap: an answered why after an empty one.
    gap = (np.diff(answered.astype(np.int8), axis=1) > 0).any(axis=1)
    if gap.any():
        first_gap = [whys[int(np.argmax(~row))] for row in answered[gap]]
        _raise_rows(f"skip a why (first empty: {first_gap[0]!r}) before a later answer", gap,
                    chains[whys[0]], column=first_gap[0], file=file)
    has_resp = chains[response_id].notna().to_numpy() if response_id in chains.columns else np.zeros(len(chains), bool)
    has_theme = chains[theme].notna().to_numpy() if theme in chains.columns else np.zeros(len(chains), bool)
    orphan = ~has_resp & ~has_theme
    if orphan.any():
        col = response_id if response_id in chains.columns else theme
        values = chains[col] if col in chains.columns else pd.Series([None] * len(chains), index=chains.index)
        _raise_rows(f"name neither a response ({response_id!r}) nor a theme ({theme!r})", orphan, values,
                    column=col, file=file)
    if response_id in chains.columns:
        ids = _ids(chains[response_id])
        out[response_id] = ids.to_numpy()
        if responses is not None:
            known = set(_ids(responses[response_id]).dropna())
            unknown = ids.notna().to_numpy() & ~ids.isin(known).to_numpy()
            if unknown.any():
                _raise_rows("refer to an unknown response id", unknown, chains[response_id],
                            column=response_id, file=file)
    if time in chains.columns:
        out[time] = to_utc(chains[time], timezone=timezone, column=time, file=file).array
    last = answered.shape[1] - 1 - np.argmax(answered[:, ::-1], axis=1)
    texts = np.column_stack([chains[c].astype(object).to_numpy() for c in whys])
    last_why = texts[np.arange(len(chains)), last]
    if "root_cause" in chains.columns:
        given = chains["root_cause"].notna() & (chains["root_cause"].astype(str).str.strip() != "")
        out["root_cause"] = np.where(given.to_numpy(), chains["root_cause"].astype(object).to_numpy(), last_why)
    else:
        out["root_cause"] = last_why
    out["root_cause"] = out["root_cause"].map(lambda v: re.sub(r"\s+", " ", str(v)).strip())
    out["depth"] = answered.sum(axis=1)
    out["chain"] = [
        " -> ".join(str(t).strip() for t, a in zip(row, ok, strict=True) if a)
        for row, ok in zip(texts, answered, strict=True)
    ]
    return out


def root_causes(
    chains: pd.DataFrame,
    *,
    responses: pd.DataFrame | None = None,
    by: Sequence[str] | str | None = ("team",),
    freq: str | None = "M",
    top: int = 3,
    response_id: str = "response_id",
    time: str = "recorded_at",
    timezone: str = "UTC",
    show_personal: bool = False,
) -> pd.DataFrame:
    """The most frequent root causes of five-whys chains by period and team.

    Root causes are grouped case- and space-insensitively and shown in their most frequent
    spelling. A chain without a team takes the team of its response when ``responses`` has one.

    Returns:
        Per group (``period`` when ``freq`` is given, then ``by``): up to ``top`` root causes,
        ranked, with ``chains`` (how many chains end in it), ``share`` (% of the group's chains),
        ``group_chains`` and one ``example`` chain (personal data masked by default).
    """
    checked = validate_root_causes(chains, responses=responses, response_id=response_id, time=time, timezone=timezone)
    by = [by] if isinstance(by, str) else list(by or [])
    frame = checked.copy()
    if responses is not None and response_id in frame.columns:
        resp = responses.copy()
        resp[response_id] = _ids(resp[response_id])
        for col in by:
            if col not in resp.columns:
                continue
            mapped = frame[response_id].map(resp.set_index(response_id)[col])
            frame[col] = frame[col].where(frame[col].notna(), mapped) if col in frame.columns else mapped
    for col in by:
        if col not in frame.columns:
            raise NPSInputError(f"root causes: no column {col!r} in the chains (or their responses)")
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "(missing)")
    keys = list(by)
    if freq:
        if time not in frame.columns:
            raise NPSInputError(f"root causes by period need a {time!r} column")
        local = pd.to_datetime(frame[time], utc=True).dt.tz_convert(timezone).dt.tz_localize(None)
        frame["period"] = local.dt.to_period(freq).dt.start_time
        keys = ["period", *keys]
    frame["_key"] = frame["root_cause"].str.casefold()
    spelled = frame.groupby("_key")["root_cause"].agg(lambda s: s.value_counts().index[0])
    grouped = frame.groupby([*keys, "_key"], dropna=False, sort=False)
    table = grouped.agg(chains=("chain", "size"), example=("chain", "first")).reset_index()
    table["root_cause"] = table["_key"].map(spelled)
    totals = frame.groupby(keys, dropna=False).size().rename("group_chains") if keys else None
    if keys:
        table = table.merge(totals.reset_index(), on=keys, how="left")
    else:
        table["group_chains"] = len(frame)
    table["share"] = 100.0 * table["chains"] / table["group_chains"]
    table = table.sort_values([*keys, "chains", "root_cause"], ascending=[True] * len(keys) + [False, True])
    table["rank"] = table.groupby(keys, dropna=False).cumcount() + 1 if keys else np.arange(1, len(table) + 1)
    table = table[table["rank"] <= top]
    table = table[[*keys, "rank", "root_cause", "chains", "share", "group_chains", "example"]].reset_index(drop=True)
    return mask_personal(table, show_personal=show_personal,
                         known=known_personal_values(responses) if not show_personal else None,
                         text_columns=["root_cause", "example"])


# ------------------------------------------------------------------------ does follow-up work?


def resurvey_pairs(
    responses: pd.DataFrame,
    *,
    customer: str = "customer_id",
    score: str = "score",
    response_id: str = "response_id",
    time: str = "submitted_at",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    min_gap: Any = "1D",
    max_gap: Any = "365D",
) -> pd.DataFrame:
    """Pairs of consecutive answers by the same customer (before -> after), for re-survey analyses.

    Each customer's scored responses are ordered in time and every response is paired with the
    customer's next one when the gap is within ``[min_gap, max_gap]``. A customer surveyed three
    times gives two pairs (they are not independent; most re-survey designs ask twice).

    Returns:
        ``customer``, ``before_id``, ``before_time``, ``before_score``, ``before_category``,
        ``after_id``, ``after_time``, ``after_score``, ``after_category``, ``gap_days``.
    """
    responses, _ = _lean(responses)
    _require_columns(responses, [customer, score, time, response_id], what="responses", file=None)
    parsed = parse_scores(responses[score], column=score)
    zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    t = to_utc(responses[time], zones=zones, timezone=timezone, column=time)
    frame = pd.DataFrame(
        {
            "customer": _ids(responses[customer]).to_numpy(),
            "id": _ids(responses[response_id]).to_numpy(),
            "time": t.array,
            "score": parsed.values,
        }
    )
    frame = frame[frame["score"].notna() & frame["time"].notna() & frame["customer"].notna()]
    frame = frame.sort_values(["customer", "time"], kind="stable")
    nxt = frame.groupby("customer", sort=False).shift(-1)
    gap = nxt["time"] - frame["time"]
    ok = nxt["id"].notna() & (gap >= pd.Timedelta(min_gap)) & (gap <= pd.Timedelta(max_gap))
    pairs = pd.DataFrame(
        {
            customer: frame["customer"][ok].to_numpy(),
            "before_id": frame["id"][ok].to_numpy(),
            "before_time": frame["time"][ok].array,
            "before_score": frame["score"][ok].to_numpy(),
            "before_category": _category(frame["score"][ok].to_numpy()),
            "after_id": nxt["id"][ok].to_numpy(),
            "after_time": nxt["time"][ok].array,
            "after_score": nxt["score"][ok].to_numpy(dtype=float),
            "after_category": _category(nxt["score"][ok].to_numpy(dtype=float)),
            "gap_days": (gap[ok] / pd.Timedelta(days=1)).to_numpy(),
        }
    )
    return pairs.reset_index(drop=True)


@dataclass(frozen=True)
class TransitionMatrix(ResultMixin):
    """Category before -> category after for re-surveyed customers, with detractor recovery.

    ``counts[i][j]``: pairs in category ``i`` before (detractor, passive, promoter) and ``j`` after.
    ``recovery_rate`` is the % of detractors before who are no longer detractors after, with a
    Wilson interval; ``promoted_rate`` the % of them who became promoters.
    """

    counts: tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]
    n_pairs: int
    detractors_before: int
    recovered: int
    recovery_rate: float
    ci_lower: float
    ci_upper: float
    promoted: int
    promoted_rate: float
    nps_before: float
    nps_after: float
    confidence_level: float

    def table(self, *, shares: bool = False) -> pd.DataFrame:
        """The matrix as a DataFrame (rows: before, columns: after); ``shares`` gives row %."""
        m = pd.DataFrame(self.counts, index=pd.Index(CATEGORIES, name="before"),
                         columns=pd.Index(CATEGORIES, name="after"))
        if shares:
            m = 100.0 * m.div(m.sum(axis=1).where(m.sum(axis=1) > 0), axis=0)
        return m

    def _repr_html_(self) -> str:
        return super()._repr_html_() + self.table().to_html()


def transition_matrix(
    data: pd.DataFrame, *, confidence_level: float = 0.95, **pair_options: Any
) -> TransitionMatrix:
    """The before -> after category transition matrix and the recovery rate of detractors.

    Args:
        data: re-survey pairs from :func:`resurvey_pairs`, or responses (then paired with
            ``pair_options`` passed to :func:`resurvey_pairs`).

    The recovery rate has a Wilson (1927) interval. Read it with :func:`followup_effect`'s warning
    in mind: detractors picked for a low score regress towards the mean when asked again.
    """
    pairs = data if {"before_category", "after_category"} <= set(data.columns) else resurvey_pairs(data, **pair_options)
    b = pd.Categorical(pairs["before_category"], categories=list(CATEGORIES)).codes
    a = pd.Categorical(pairs["after_category"], categories=list(CATEGORIES)).codes
    ok = (a >= 0) & (b >= 0)
    m = np.bincount(b[ok] * 3 + a[ok], minlength=9).reshape(3, 3)
    det = int(m[0].sum())
    recovered = int(m[0, 1] + m[0, 2])
    lo, hi = wilson_interval(recovered, det, confidence_level)
    before = NPSCounts(*m.sum(axis=1).tolist())
    after = NPSCounts(*m.sum(axis=0).tolist())
    return TransitionMatrix(
        counts=tuple(tuple(int(v) for v in row) for row in m),  # type: ignore[arg-type]
        n_pairs=int(m.sum()),
        detractors_before=det,
        recovered=recovered,
        recovery_rate=100.0 * recovered / det if det else math.nan,
        ci_lower=100.0 * lo if det else math.nan,
        ci_upper=100.0 * hi if det else math.nan,
        promoted=int(m[0, 2]),
        promoted_rate=100.0 * m[0, 2] / det if det else math.nan,
        nps_before=before.nps if before.n else math.nan,
        nps_after=after.nps if after.n else math.nan,
        confidence_level=confidence_level,
    )


@dataclass(frozen=True)
class FollowupEffect(ResultMixin):
    """Re-surveyed customers of one category, contacted before the re-survey against not contacted.

    Rates and the difference are in % / percentage points. The difference is descriptive: read
    ``warning`` (regression to the mean and selection). ``nps_after_*`` are the re-survey NPS.
    """

    category: str
    contacted: int
    contacted_recovered: int
    contacted_rate: float
    contacted_ci_lower: float
    contacted_ci_upper: float
    not_contacted: int
    not_contacted_recovered: int
    not_contacted_rate: float
    not_contacted_ci_lower: float
    not_contacted_ci_upper: float
    difference: float
    ci_lower: float
    ci_upper: float
    nps_before_contacted: float
    nps_after_contacted: float
    nps_before_not_contacted: float
    nps_after_not_contacted: float
    method: str
    confidence_level: float
    warning: str


def _contacted_between(pairs: pd.DataFrame, log: pd.DataFrame | None, response_id: str) -> np.ndarray:
    if log is None or "contacted_at" not in log.columns:
        return np.zeros(len(pairs), dtype=bool)
    entries = log.assign(**{response_id: _ids(log[response_id])}).set_index(response_id)
    contact = pd.to_datetime(entries["contacted_at"], utc=True)
    when = pd.Series(pairs["before_id"].map(contact).to_numpy(), dtype="datetime64[ns, UTC]")
    after = pd.Series(pairs["after_time"].to_numpy(), dtype="datetime64[ns, UTC]")
    return (when.notna() & (when <= after)).to_numpy()


def followup_effect(
    responses: pd.DataFrame,
    *,
    log: pd.DataFrame | None,
    category: str = "detractor",
    confidence_level: float = 0.95,
    response_id: str = "response_id",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    **pair_options: Any,
) -> FollowupEffect:
    """Recovery of re-surveyed customers who were contacted after their answer against those who were not.

    "Recovered" means no longer a detractor at the re-survey (for ``category="passive"`` or
    ``"promoter"``: a higher category, resp. still a promoter). Contacted means a contact in the
    follow-up log between the first answer and the re-survey. Each group's rate has a Wilson
    interval; the difference (contacted minus not contacted) Newcombe's (1998) hybrid score
    interval (:func:`newcombe_interval`).

    This comparison is *not* an effect of follow-up. Regression to the mean lifts detractors who
    are asked again whether or not anybody called, and who gets called is not random. The result
    carries that warning, with the numbers, in ``warning``; a randomised holdout answers the
    question properly.
    """
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {list(CATEGORIES)}, got {category!r}")
    pairs = resurvey_pairs(responses, response_id=response_id, timezone_column=timezone_column,
                           timezone=timezone, **pair_options)
    if log is not None:
        log = validate_followup_log(log, responses=responses, response_id=response_id,
                                    timezone_column=timezone_column, timezone=timezone)
    pairs = pairs[pairs["before_category"] == category]
    contacted = _contacted_between(pairs, log, response_id)
    level = CATEGORIES.index(category)
    after_level = pd.Categorical(pairs["after_category"], categories=list(CATEGORIES)).codes
    success = after_level > level if category != "promoter" else after_level == level

    def group(mask: np.ndarray) -> tuple[int, int, float, float, float, float, float]:
        n = int(mask.sum())
        x = int(success[mask].sum())
        lo, hi = wilson_interval(x, n, confidence_level)
        before = NPSCounts.from_scores(pairs["before_score"][mask].astype(int).to_numpy())
        after = NPSCounts.from_scores(pairs["after_score"][mask].astype(int).to_numpy())
        rate = 100.0 * x / n if n else math.nan
        return (n, x, rate, 100.0 * lo if n else math.nan, 100.0 * hi if n else math.nan,
                before.nps if n else math.nan, after.nps if n else math.nan)

    n1, x1, r1, l1, u1, b1, a1 = group(contacted)
    n0, x0, r0, l0, u0, b0, a0 = group(~contacted)
    dlo, dhi = newcombe_interval(x1, n1, x0, n0, confidence_level=confidence_level)
    diff = r1 - r0 if n1 and n0 else math.nan
    what = {"detractor": "no longer detractors", "passive": "promoters",
            "promoter": "still promoters"}[category]
    holdout_note = (
        " Where contact was withheld at random from a holdout group, compare the groups as "
        "assigned (holdout comparison) instead: that estimate is free of both biases."
    )
    if n0:
        rtm = (
            f"Regression to the mean: customers picked because they answered as {category}s tend to "
            f"answer differently when asked again, with or without a call. Of the {n0} {category}s "
            f"who were not contacted, {r0:.0f}% were {what} at the re-survey (NPS {b0:+.0f} -> "
            f"{a0:+.0f}) with no follow-up at all, so a before-after change of contacted customers "
            "alone says nothing about follow-up."
        )
    else:
        rtm = (
            "Regression to the mean: customers picked for their answer tend to answer differently "
            "when asked again, with or without a call; with no re-surveyed customers left "
            "uncontacted there is nothing to compare against."
        )
    selection = (
        f" Selection: who was contacted was not random (reachable customers, fixable problems, "
        f"teams with time), so the difference of {diff:+.0f} points between contacted and not "
        f"contacted ({x1}/{n1} vs {x0}/{n0}) mixes the effect of follow-up with who was chosen."
        if n1 and n0 else " Selection: who was contacted was not random."
    )
    return FollowupEffect(
        category=category,
        contacted=n1, contacted_recovered=x1, contacted_rate=r1,
        contacted_ci_lower=l1, contacted_ci_upper=u1,
        not_contacted=n0, not_contacted_recovered=x0, not_contacted_rate=r0,
        not_contacted_ci_lower=l0, not_contacted_ci_upper=u0,
        difference=diff,
        ci_lower=100.0 * dlo if n1 and n0 else math.nan,
        ci_upper=100.0 * dhi if n1 and n0 else math.nan,
        nps_before_contacted=b1, nps_after_contacted=a1,
        nps_before_not_contacted=b0, nps_after_not_contacted=a0,
        method="Wilson per group; Newcombe (1998) hybrid score interval for the difference",
        confidence_level=confidence_level,
        warning=rtm + selection + holdout_note,
    )


@dataclass(frozen=True)
class HoldoutComparison(ResultMixin):
    """Randomised holdout: re-survey NPS of customers assigned to follow-up against the holdout.

    Customers are compared as assigned (intention to treat), whether or not the contact happened,
    so neither regression to the mean (both arms regress alike) nor selection biases it. The
    survey only sees customers who answer again: ``resurvey_rate_*`` and their difference
    (Newcombe interval) check that re-survey response is balanced between the arms.

    Attributes:
        comparison: :func:`nps_analysis.compare` of the re-survey scores, contact arm as treatment.
        recovery_*: % of the arm's re-surveyed customers who left ``category`` (for detractors:
            no longer detractors), with the Newcombe (1998) interval of the difference.
        contacted_share / holdout_contacted: how many of each arm were actually contacted before
            the re-survey (non-compliance dilutes the intention-to-treat effect).
        decision: :func:`nps_analysis.decide` on the re-surveys when a ``margin`` was given.
        note: the checks in words.
    """

    category: str
    contact_arm: str
    holdout_arm: str
    assigned_contact: int
    assigned_holdout: int
    resurveyed_contact: int
    resurveyed_holdout: int
    resurvey_rate_contact: float
    resurvey_rate_holdout: float
    resurvey_rate_difference: float
    resurvey_ci_lower: float
    resurvey_ci_upper: float
    comparison: Any
    recovery_contact: float
    recovery_holdout: float
    recovery_difference: float
    recovery_ci_lower: float
    recovery_ci_upper: float
    contacted_share: float
    holdout_contacted: int
    confidence_level: float
    decision: Any
    note: str

    def summary(self) -> str:
        """The comparison in one paragraph, written from the numbers."""
        c = self.comparison
        level = int(round(100 * self.confidence_level))
        text = (
            f"Randomised holdout, {self.category}s compared as assigned: at the re-survey the follow-up arm "
            f"scored NPS {c.treatment.nps:+.0f} (n = {int(c.treatment.n)}) and the holdout {c.control.nps:+.0f} "
            f"(n = {int(c.control.n)}), a difference of {c.difference:+.1f} points ({level}% CI "
            f"{c.ci_lower:+.1f} to {c.ci_upper:+.1f}, p = {c.pvalue:.3g}). "
            f"{self.recovery_contact:.0f}% against {self.recovery_holdout:.0f}% were no longer {self.category}s "
            f"({self.recovery_difference:+.0f} points, {level}% CI {self.recovery_ci_lower:+.0f} to "
            f"{self.recovery_ci_upper:+.0f})."
        )
        if self.decision is not None:
            text += f" Decision rule: {self.decision.decision}."
        return text + " " + self.note


def holdout_comparison(
    responses: pd.DataFrame,
    *,
    log: pd.DataFrame | None = None,
    arm: str = "followup_arm",
    contact: Any = "contact",
    holdout: Any = "holdout",
    category: str = "detractor",
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    margin: float | None = None,
    response_id: str = "response_id",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    **pair_options: Any,
) -> HoldoutComparison:
    """Does follow-up work? The proper answer where contact was withheld at random from a holdout.

    The answers of ``category`` (default detractors) carry their random assignment in ``arm``
    (``contact`` or ``holdout``; other values, e.g. empty for answers that were never
    randomised, are left out). Their next answers (:func:`resurvey_pairs`) are compared by arm with
    :func:`nps_analysis.compare` (``method``; the contact arm is the treatment), which also runs
    the rank and ordinal tests on the 0-10 answers. With ``margin`` (NPS points of harm tolerated,
    e.g. when a cheaper follow-up replaces calls) :func:`nps_analysis.decide` gives the
    roll-back / keep / continue decision on the re-surveys, looking week by week.

    Checks reported in ``note``: the re-survey response rate by arm (an imbalance means the arms
    compared are no longer alike), contacts in the holdout (contamination) and the share of the
    contact arm actually contacted (with a ``log``).
    """
    from .compare import compare

    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {list(CATEGORIES)}, got {category!r}")
    responses, _ = _lean(responses)
    _require_columns(responses, [arm, response_id], what="responses", file=None)
    ids = _ids(responses[response_id])
    labels = _ids(responses[arm])
    parsed = parse_scores(responses["score" if "score" not in pair_options else pair_options["score"]])
    cats = _category(parsed.values)
    in_cat = cats == category
    is_contact = (labels == str(contact)).to_numpy() & in_cat
    is_hold = (labels == str(holdout)).to_numpy() & in_cat
    if not is_contact.any() or not is_hold.any():
        raise NPSInputError(
            f"holdout comparison needs {category}s in both arms of {arm!r} ({contact!r}: {int(is_contact.sum())}, "
            f"{holdout!r}: {int(is_hold.sum())})", column=arm)
    pairs = resurvey_pairs(responses, response_id=response_id, timezone_column=timezone_column,
                           timezone=timezone, **pair_options)
    arm_of = pd.Series(labels.to_numpy(), index=ids.to_numpy())
    pairs = pairs[pairs["before_id"].isin(ids[is_contact | is_hold])].copy()
    pairs["arm"] = pairs["before_id"].map(arm_of).to_numpy()
    treat = pairs[pairs["arm"] == str(contact)]
    ctrl = pairs[pairs["arm"] == str(holdout)]
    if treat.empty or ctrl.empty:
        raise NPSInputError(f"no re-surveyed {category}s in the {'contact' if treat.empty else 'holdout'} arm yet")
    comparison = compare(treat["after_score"].astype(int).to_numpy(), ctrl["after_score"].astype(int).to_numpy(),
                         method=method, confidence_level=confidence_level)
    n1, n0 = int(is_contact.sum()), int(is_hold.sum())
    r1, r0 = len(treat), len(ctrl)
    rlo, rhi = newcombe_interval(r1, n1, r0, n0, confidence_level=confidence_level)
    level = CATEGORIES.index(category)

    def recovered(frame: pd.DataFrame) -> int:
        after = pd.Categorical(frame["after_category"], categories=list(CATEGORIES)).codes
        return int((after > level).sum() if category != "promoter" else (after == level).sum())

    x1, x0 = recovered(treat), recovered(ctrl)
    dlo, dhi = newcombe_interval(x1, r1, x0, r0, confidence_level=confidence_level)
    contacted_share = math.nan
    holdout_contacted = 0
    if log is not None:
        checked = validate_followup_log(log, responses=responses, response_id=response_id,
                                        timezone_column=timezone_column, timezone=timezone)
        contacted_share = 100.0 * float(_contacted_between(treat, checked, response_id).mean())
        holdout_contacted = int(_contacted_between(ctrl, checked, response_id).sum())
    decision = None
    if margin is not None:
        from .decision import decide

        frame = pd.DataFrame({"score": pairs["after_score"].astype(int).to_numpy(), "arm": pairs["arm"].to_numpy(),
                              "time": pd.to_datetime(pairs["after_time"], utc=True).to_numpy()})
        decision = decide(frame, score="score", group="arm", time="time", treatment=str(contact),
                          control=str(holdout), margin=margin, look="W")
    notes = []
    if rlo > 0 or rhi < 0:
        notes.append(
            f"Warning: re-survey response differs between the arms ({100 * r1 / n1:.0f}% vs {100 * r0 / n0:.0f}%, "
            f"{int(round(100 * confidence_level))}% CI of the difference {100 * rlo:+.0f} to {100 * rhi:+.0f} points): "
            "the customers who answered again may no longer be comparable."
        )
    else:
        notes.append(f"Re-survey response is balanced between the arms ({100 * r1 / n1:.0f}% vs {100 * r0 / n0:.0f}%).")
    if holdout_contacted:
        notes.append(f"{holdout_contacted} holdout customers were contacted anyway: the effect is diluted.")
    if not math.isnan(contacted_share):
        notes.append(f"{contacted_share:.0f}% of the follow-up arm was actually contacted before the re-survey "
                     "(the comparison is by assignment, so it estimates the effect of the follow-up policy).")
    return HoldoutComparison(
        category=category, contact_arm=str(contact), holdout_arm=str(holdout),
        assigned_contact=n1, assigned_holdout=n0, resurveyed_contact=r1, resurveyed_holdout=r0,
        resurvey_rate_contact=100.0 * r1 / n1, resurvey_rate_holdout=100.0 * r0 / n0,
        resurvey_rate_difference=100.0 * (r1 / n1 - r0 / n0),
        resurvey_ci_lower=100.0 * rlo, resurvey_ci_upper=100.0 * rhi,
        comparison=comparison,
        recovery_contact=100.0 * x1 / r1, recovery_holdout=100.0 * x0 / r0,
        recovery_difference=100.0 * (x1 / r1 - x0 / r0),
        recovery_ci_lower=100.0 * dlo, recovery_ci_upper=100.0 * dhi,
        contacted_share=contacted_share, holdout_contacted=holdout_contacted,
        confidence_level=confidence_level, decision=decision, note=" ".join(notes),
    )


# ---------------------------------------------------------------------------- written conclusions


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def describe_queue(queue: pd.DataFrame) -> str:
    """One paragraph on the queue, generated from its numbers (for notebooks and reports)."""
    counts = queue["status"].value_counts()
    n = len(queue)
    overdue = int(counts.get("overdue", 0))
    parts = [f"As of {queue.attrs.get('as_of', 'the given time')}, {_plural(n, 'response')} in the queue:"]
    parts.append(", ".join(f"{int(counts.get(s, 0))} {s}" for s in STATUSES) + ".")
    if overdue:
        worst = queue.loc[queue["status"] == "overdue"]
        by_cat = worst["category"].value_counts()
        parts.append(
            f"{_plural(overdue, 'follow-up')} overdue ({', '.join(_plural(v, k) for k, v in by_cat.items())}), "
            f"up to {worst['overdue_hours'].max():.0f} hours past the deadline."
        )
    else:
        parts.append("No follow-up is overdue.")
    u = int(queue["owner"].isna().sum())
    if u:
        parts.append(f"{_plural(u, 'response')} without an owner: check the routing (listed, not dropped).")
    return " ".join(parts)


def describe_compliance(table: pd.DataFrame) -> str:
    """The weakest and strongest group of a :func:`compliance` table in words."""
    rated = table[table["due"] > 0]
    if rated.empty:
        return "No follow-up deadline has passed yet, so compliance cannot be judged."
    key_cols = [c for c in table.columns if c not in _COMPLIANCE_VALUE_COLUMNS]
    level = int(round(100 * table.attrs.get("confidence_level", 0.95)))

    def name(row: pd.Series) -> str:
        return ", ".join(str(row[c]) for c in key_cols) if key_cols else "all"

    worst = rated.sort_values("share_in_time").iloc[0]
    best = rated.sort_values("share_in_time").iloc[-1]
    total_due = int(rated["due"].sum())
    total_in = int(rated["in_time"].sum())
    text = (
        f"Overall {total_in} of {total_due} due follow-ups ({100 * total_in / total_due:.0f}%) were made "
        f"within the deadline. Lowest: {name(worst)} with {worst['share_in_time']:.0f}% "
        f"({level}% CI {worst['ci_lower']:.0f} to {worst['ci_upper']:.0f}) of {int(worst['due'])}; highest: "
        f"{name(best)} with {best['share_in_time']:.0f}% ({best['ci_lower']:.0f} to {best['ci_upper']:.0f}) "
        f"of {int(best['due'])}."
    )
    if len(rated) > 1 and worst["ci_upper"] < best["ci_lower"]:
        text += " Their intervals do not overlap."
    elif len(rated) > 1:
        text += " Their intervals overlap, so the gap may be chance."
    return text


_COMPLIANCE_VALUE_COLUMNS = {
    "responses", "due", "in_time", "late", "overdue", "share_in_time", "ci_lower", "ci_upper",
    "median_hours_to_contact", "median_ci_lower", "median_ci_upper", "median_confidence", "median_exact",
}


# --------------------------------------------------------------------------------- command line


def add_followup_parser(subparsers: Any) -> Any:
    """Register ``nps-analysis followup FILE --score COL --as-of T [--log LOG] [--route-by COL]``."""
    from .cli import _add_input_options

    p = subparsers.add_parser(
        "followup",
        help="follow-up queue as of a moment: deadlines, owners, overdue; compliance per owner",
        description="Print the queue summary and compliance; write the queue (personal data masked) with --output.",
    )
    _add_input_options(p)
    p.add_argument("--log", metavar="FILE", help="the follow-up log")
    p.add_argument("--as-of", required=True, help="the moment the queue describes, with its time zone, or 'now'")
    p.add_argument("--deadline", action="append", default=[], metavar="CATEGORY=HOURS",
                   help="e.g. detractor=12 (repeatable; defaults 24, 48 and 168 hours)")
    p.add_argument("--route-by", metavar="COL", help="column whose value is the owner")
    p.add_argument("--holdout", metavar="COL=VALUE", help="answers deliberately not contacted")
    p.add_argument("--clock", choices=["elapsed", "local"], default="elapsed")
    p.add_argument("--timezone", default="UTC", help="zone of times without offset when there is no timezone column")
    p.add_argument("--output", metavar="DIR", help="write followup_queue.csv there")
    p.add_argument("--fail-on-overdue", action="store_true", help="exit with status 3 when a follow-up is overdue")
    p.set_defaults(handler=cmd_followup)
    return p


def cmd_followup(args: Any) -> int:
    """Handler of ``nps-analysis followup``: summary and compliance on stdout; 3 with --fail-on-overdue."""
    import sys

    from .cli import _load
    from .io import load

    frame = _load(args, [])
    log = load(args.log) if args.log else None
    deadlines: dict[str, str] = {}
    for item in args.deadline:
        category, sep, hours = item.partition("=")
        if not sep:
            raise ValueError(f"--deadline takes CATEGORY=HOURS, got {item!r}")
        deadlines[category.strip()] = float(hours) if hours.strip().replace(".", "", 1).isdigit() else hours.strip()
    holdout = None
    if args.holdout:
        column, sep, value = args.holdout.partition("=")
        if not sep:
            raise ValueError(f"--holdout takes COL=VALUE, got {args.holdout!r}")
        holdout = {column.strip(): value.strip()}
    queue = followup_queue(frame, log=log, as_of=args.as_of, deadlines=deadlines, routing=args.route_by,
                           holdout=holdout, score=args.score, clock=args.clock, timezone=args.timezone)
    sys.stdout.write(describe_queue(queue) + "\n\n")
    sys.stdout.write(queue_summary(queue).to_string(index=False) + "\n\n")
    sys.stdout.write(compliance(queue, by="owner").round(1).to_string(index=False) + "\n")
    if args.output:
        sys.stdout.write(f"{export_queue(queue, args.output)}\n")
    return 3 if args.fail_on_overdue and (queue["status"] == "overdue").any() else 0
