"""Closing the loop: the follow-up queue with deadlines and owners, the follow-up log, compliance,
five-whys root causes, and whether follow-up works (re-survey transitions, recovery, holdout).

Defaults follow DOMAIN.md: detractors are contacted within 24 hours, passives within 48 hours and
promoters within 7 days; every default can be changed per call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.columns import (
    check_unique_ids,
    clean_ids,
    lean_frame,
    parse_bool,
    raise_rows,
    require_frame_columns,
)
from ..sources.dates import check_timezones, local_text, to_instant, to_utc
from ..sources.errors import NPSInputError
from ..sources.privacy import known_personal_values, mask_personal
from ..sources.scores import CATEGORIES, category_labels, parse_scores
from ..stats.scoring import wilson_interval

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


# ---------------------------------------------------------------------------------- follow-up log


def validate_followup_log(
    log: pd.DataFrame,
    *,
    responses: pd.DataFrame | None = None,
    response_id: str = "response_id",
    time: str = "submitted_at",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
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
    log, file = lean_frame(log, file)
    require_frame_columns(log, [response_id], what="follow-up log", file=file)
    out = log.copy()
    ids = clean_ids(log[response_id])
    check_unique_ids(ids, log[response_id], column=response_id, file=file, what="response")
    out[response_id] = ids.to_numpy()

    zones = None
    submitted = None
    if responses is not None:
        responses, _ = lean_frame(responses)
        require_frame_columns(responses, [response_id], what="responses", file=None)
        resp_ids = clean_ids(responses[response_id])
        known = pd.Index(resp_ids.dropna())
        unknown = ~ids.isin(known).to_numpy()
        if unknown.any():
            raise_rows("refer to an unknown response id", unknown, log[response_id], column=response_id, file=file)
        pos = known.get_indexer(ids)
        resp = responses.iloc[pos].reset_index(drop=True)
        if timezone_column and timezone_column in responses.columns:
            zones = pd.Series(resp[timezone_column].to_numpy(), index=log.index)
        if time in responses.columns:
            resp_zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
            sub = to_utc(responses[time], zones=resp_zones, timezone=timezone, column=time, date_format=date_format, dayfirst=dayfirst)
            submitted = pd.Series(sub.array.take(pos), index=log.index)
    elif timezone_column and timezone_column in log.columns:
        zones = log[timezone_column]

    times: dict[str, pd.Series] = {}
    for col in LOG_TIME_COLUMNS:
        if col in log.columns:
            times[col] = to_utc(log[col], zones=zones, timezone=timezone, column=col, file=file, date_format=date_format, dayfirst=dayfirst)
            out[col] = times[col].array
    for col in LOG_BOOL_COLUMNS:
        if col in log.columns:
            out[col] = parse_bool(log[col], column=col, file=file).to_numpy()
    if "compensation_value" in log.columns:
        raw = log["compensation_value"]
        num = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
        bad = ~blank & (num.isna().to_numpy() | (num < 0).to_numpy())
        if bad.any():
            raise_rows("are not amounts >= 0", bad, raw, column="compensation_value", file=file)
        out["compensation_value"] = num.to_numpy()

    def order(later: str, earlier: str, words: str) -> None:
        if later in times and earlier in times:
            bad = (times[later] < times[earlier]).fillna(False).to_numpy(dtype=bool)
            if bad.any():
                raise_rows(f"{words} (see {earlier!r})", bad, log[later], column=later, file=file)

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
            raise_rows("are resolved without a contact time (fill in 'contacted_at')", no_contact,
                        log["resolved_at"], column="resolved_at", file=file)
    if submitted is not None:
        for col in ("contacted_at", "complaint_at", "resolved_at"):
            if col in times:
                before = (times[col] < submitted).fillna(False).to_numpy(dtype=bool)
                if before.any():
                    raise_rows(f"are before the survey response was submitted ({time!r})",
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
        keys = clean_ids(frame[column])
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
    date_format: str | None = None,
    dayfirst: bool = False,
    clock: Clock = "elapsed",
    show_personal: bool = False,
    roster: Sequence[str] = (),
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
        roster: names of staff and customers masked wherever they appear in text
            (``nps.read_roster(path)``), also when no column holds them.

    Returns:
        The responses' columns plus ``category``, ``submitted_utc``, ``deadline`` (UTC),
        ``submitted_local`` and ``deadline_local`` (text in the row's zone), ``owner``,
        ``routed_by``, ``contacted_at``, ``resolved_at``, ``taken_by`` (from the log),
        ``contact_status`` (``in time``, ``late``, ``overdue``, ``not yet due``), ``status``
        (``overdue``, ``open``, ``contacted late``, ``contacted in time``, ``resolved``),
        ``hours_to_contact``, ``late_hours``, ``overdue_hours``, ``hours_left`` and ``due``
        (deadline at or before ``as_of``). Sorted with what needs doing first on top: overdue
        and open answers by category (detractors, passives, promoters), within a category the
        longest overdue first, then the least time left; then the rest by status. ``attrs`` holds
        ``as_of``, ``deadlines``, ``clock``, ``unrouted``, ``missing_score`` and ``not_yet_submitted``.
    """
    if clock not in ("elapsed", "local"):
        raise ValueError(f"clock must be 'elapsed' or 'local', got {clock!r}")
    responses, file = lean_frame(responses, file)
    if log is not None:
        log, _ = lean_frame(log)
    require_frame_columns(responses, [response_id, score, time], what="responses", file=file)
    as_of_utc = to_instant(as_of, timezone=timezone, date_format=date_format, dayfirst=dayfirst)
    limits = parse_deadlines(deadlines)

    ids = clean_ids(responses[response_id])
    check_unique_ids(ids, responses[response_id], column=response_id, file=file, what="response")
    parsed = parse_scores(responses[score], column=score, file=file)
    zones_raw = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    submitted = to_utc(responses[time], zones=zones_raw, timezone=timezone, column=time, file=file, date_format=date_format, dayfirst=dayfirst)
    no_time = submitted.isna().to_numpy() & parsed.valid_mask
    if no_time.any():
        raise_rows("have a score but no submission time", no_time, responses[time], column=time, file=file)
    if zones_raw is not None:
        zones = check_timezones(zones_raw, column=timezone_column, file=file).fillna(timezone)
    else:
        zones = pd.Series(timezone, index=responses.index, dtype=object)

    keep = parsed.valid_mask & (submitted <= as_of_utc).to_numpy()
    not_yet = int((parsed.valid_mask & (submitted > as_of_utc).to_numpy()).sum())
    q = responses.loc[keep].copy()
    q[response_id] = ids[keep].to_numpy()
    q["category"] = category_labels(parsed.values[keep])
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
    q["submitted_local"] = local_text(sub, zone).to_numpy()
    q["deadline_local"] = local_text(q["deadline"], zone).to_numpy()
    q["owner"], q["routed_by"] = _route(q, routing)

    contacted = pd.Series(pd.NaT, index=q.index, dtype="datetime64[ns, UTC]")
    resolved = contacted.copy()
    taken_by = pd.Series(None, index=q.index, dtype=object)
    if log is not None:
        checked = validate_followup_log(
            log, responses=responses, response_id=response_id, time=time,
            timezone_column=timezone_column, timezone=timezone, date_format=date_format, dayfirst=dayfirst)
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
    # A deadline at as_of has passed: no contact at or before it is recorded, so it is overdue
    # (0 hours), consistent with ``due`` (deadline at or before as_of).
    overdue = ~has_contact & (dl <= as_of_utc).to_numpy()
    held = np.zeros(len(q), dtype=bool)
    for column, values in (holdout or {}).items():
        if column not in q.columns:
            raise NPSInputError(f"holdout: no column {column!r}; the columns are {list(map(str, q.columns))}")
        wanted = [values] if isinstance(values, (str, int, float, bool)) else list(values)
        held |= clean_ids(q[column]).isin([str(v).strip() for v in wanted]).to_numpy()
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

    # What needs doing comes first (overdue and open answers), by category priority (detractors,
    # then passives, then promoters: DOMAIN.md's deadlines), then the longest overdue, then the
    # least time left; the rest (contacted, resolved, holdout) follows by status.
    rank = pd.Categorical(q["status"], categories=list(STATUSES), ordered=True).codes
    q["_todo"] = np.where(np.isin(q["status"].to_numpy(), ["overdue", "open"]), 0, 1)
    q["_category"] = pd.Categorical(q["category"], categories=list(CATEGORIES), ordered=True).codes
    q["_rank"] = rank
    q["_urgency"] = np.where(overdue, -q["overdue_hours"], q["hours_left"])
    keys = ["_todo", "_category", "_urgency", "_rank", "submitted_utc"]
    q = q.sort_values(keys, kind="stable").drop(columns=["_todo", "_category", "_rank", "_urgency"])
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
                        known=known_personal_values(responses, log, roster=roster) if not show_personal else None)
    out.attrs.update(attrs)
    out.attrs["personal_data"] = "shown" if show_personal else "masked"
    return out


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


# ------------------------------------------------------------------------ does follow-up work?


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
    if u and queue.attrs.get("routing") is None and "routing" in queue.attrs:
        parts.append("No routing was given: one queue, no owners.")
    elif u:
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


