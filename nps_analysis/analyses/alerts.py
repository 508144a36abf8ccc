"""Comment themes and alerts: keyword themes per period and team, and the alert list for the front line.

Answers that need a person now (detractors, keywords, personal data masked) and the trend alerts
managers get; comment themes are keyword counts with suppression of small cells.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..sources.columns import clean_ids, lean_frame, require_frame_columns
from ..sources.dates import to_instant, to_utc
from ..sources.errors import NPSInputError
from ..sources.privacy import known_personal_values, mask_personal, mask_text
from ..sources.scores import PASSIVE_FROM, category_labels, parse_scores
from .formatting import p_text
from .theme_counts import keyword_pattern, theme_counts, themes_from_counts
from .tracking import (
    Correction,
    day_counts,
    last_complete_period,
    nps_by_period_from_days,
    pandas_rows,
    period_changes,
    period_freq,
)

#: Comment themes and their keywords (``*`` at the end of a keyword matches any ending).
DEFAULT_THEMES: dict[str, list[str]] = {
    "waiting time": ["wait*", "slow", "delay*", "queue*", "called me back", "call back", "took ages"],
    "staff attitude": ["rude", "unhelpful", "did not listen", "impolite", "arrogant"],
    "friendly staff": ["friendly", "helpful", "kind", "polite", "solved it"],
    "price": ["price*", "expensive", "cost*", "cheap*", "fee*"],
    "billing": ["bill*", "invoice*", "charge*", "refund*"],
    "product quality": ["crash*", "broke*", "broken", "bug*", "defect*", "works as promised"],
    "speed": ["quick*", "fast", "no waiting"],
    "broken promise": ["promised", "never got"],
}
#: Words in a comment that should reach a person at once.
DEFAULT_ALERT_KEYWORDS: list[str] = ["cancel*", "lawyer*", "legal", "sue", "ombudsman", "never again", "complain*"]


def load_themes(path: str | Path) -> dict[str, list[str]]:
    """Read a theme dictionary ``{theme: [keywords]}`` from a YAML or JSON file."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise NPSInputError("theme dictionary not found", file=str(p))
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in data.items()
    ):
        raise NPSInputError("a theme dictionary maps each theme to a list of keywords", file=str(p))
    return data


def comment_themes(
    responses: Any,
    *,
    text: str = "comment",
    themes: Mapping[str, Sequence[str]] | None = None,
    by: Sequence[str] | str | None = ("category",),
    freq: str | None = None,
    score: str = "score",
    time: str = "submitted_at",
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    timezone_column: str | None = "timezone",
    min_n: int = 10,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """How often each theme is mentioned in comments, per category (and period, segment).

    A comment mentions a theme when it contains one of the theme's keywords
    (:func:`keyword_pattern`); a comment can mention several themes. ``category`` (detractor,
    passive, promoter) is derived from ``score`` when it is in ``by`` and not a column.

    ``responses`` is a pandas frame (matched in Python) or a ``sources.tables.Table`` / engine
    table (DuckDB, Polars, PyArrow, Spark): then each engine matches the same patterns with its own
    regular expressions (:func:`nps_analysis.analyses.theme_counts.engine_keyword_regex`) and only
    the counts per period, group and theme come back (:func:`theme_counts`). No sample is drawn:
    the keyword rule has no negation, so the engine's match is the kit's match.

    Returns:
        Long table: the groups (``period`` first when ``freq`` is given), ``theme``, ``comments``
        (non-empty comments in the group), ``mentions``, ``share`` (% of comments) with a Wilson
        interval; groups with fewer than ``min_n`` comments have ``mentions``, ``share`` and its
        interval suppressed (``suppressed``), and complementary groups too (the smallest other
        group of the same period, or of the table), so that totals cannot reveal them
        (:func:`complementary_suppression`). ``attrs["themes"]`` holds the dictionary used.
    """
    themes = dict(themes or DEFAULT_THEMES)
    by = [by] if isinstance(by, str) else list(by or [])
    counted = theme_counts(responses, text=text, themes=themes, by=by, freq=freq, score=score, time=time,
                           timezone=timezone, date_format=date_format, dayfirst=dayfirst,
                           timezone_column=timezone_column)
    return themes_from_counts(counted, by=(["period"] if freq else []) + by, themes=themes, min_n=min_n,
                              confidence_level=confidence_level)


ALERT_COLUMNS: tuple[str, ...] = (
    "alert_id", "rule", "severity", "as_of", "response_id", "customer_id", "segment", "category",
    "score", "submitted_at", "message",
)


def _alert_id(*parts: Any) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12]


def alert_list(
    responses: Any,
    *,
    as_of: Any,
    window: Any = "7D",
    key_accounts: Mapping[str, Any] | None = None,
    keywords: Sequence[str] | None = None,
    drop_by: Sequence[str] | str | None = None,
    freq: str = "W",
    min_n: int = 30,
    alpha: float = 0.05,
    correction: Correction = "holm",
    score: str = "score",
    time: str = "submitted_at",
    text: str = "comment",
    response_id: str = "response_id",
    customer: str = "customer_id",
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    timezone_column: str | None = "timezone",
    show_personal: bool = False,
    roster: Sequence[str] = (),
    drop_window: int = 1,
    drop_days: pd.DataFrame | None = None,
    limit: int = 10_000,
) -> pd.DataFrame:
    """Alerts for a scheduler to pass on (the kit sends nothing itself).

    Rules, each optional:

    * ``key_account_detractor`` (severity high): a detractor whose ``key_accounts`` column holds
      one of the given values, e.g. ``{"account_tier": ["key"]}``.
    * ``keyword`` (high for detractors, else medium): a comment containing one of ``keywords``
      (default :data:`DEFAULT_ALERT_KEYWORDS`; ``[]`` turns the rule off).
    * ``nps_drop`` (high): a segment of ``drop_by`` whose NPS in the last complete period before
      ``as_of`` fell significantly against the period before (:func:`period_changes`, with
      ``correction`` across the segments; cells with ``n < min_n`` are not tested). With
      ``drop_window`` > 1 each cell pools that many trailing periods (see :func:`nps_by_period`).

    Answer-level rules look at answers submitted in ``(as_of - window, as_of]``.

    ``responses`` may be a pandas frame, a ``sources.tables.Table`` or an engine table (DuckDB,
    Polars, PyArrow, Spark). On an engine only the rows a person reads come back: the engine
    filters the answers of the window (local times padded by a day, so every time zone is covered) that are
    a key-account detractor or whose comment matches a keyword
    (:func:`nps_analysis.analyses.theme_counts.engine_keyword_regex`), at most ``limit`` of them
    (more raise :class:`NPSInputError`: raise ``limit`` or narrow the rules, never a silent cut);
    the rules above then run on those rows exactly as on a frame. The drop rule works on day-level
    counts either way (:func:`nps_analysis.analyses.tracking.day_counts`, or ``drop_days`` when
    the caller already has them for ``drop_by``, unweighted). On an engine, personal names are
    masked from the fetched rows' own name columns and ``roster`` (not the whole table's), and
    ``attrs["fetched_rows"]`` says how many rows the engine returned (``None`` for a frame).

    Returns:
        One row per alert with :data:`ALERT_COLUMNS`; comments quoted in messages have personal
        data masked unless ``show_personal`` (and the names of ``roster``, staff and customers,
        wherever they appear). ``attrs`` describe the rules and the family of the drop test.
        Write it with :func:`write_alerts`.
    """
    as_of_utc = to_instant(as_of, timezone=timezone, date_format=date_format, dayfirst=dayfirst)
    since = as_of_utc - pd.Timedelta(window)
    responses = pandas_rows(responses)
    dates = {"timezone": timezone, "date_format": date_format, "dayfirst": dayfirst, "timezone_column": timezone_column}
    if drop_by and drop_days is None:
        drop_days = day_counts(responses, score=score, time=time, by=[drop_by] if isinstance(drop_by, str) else drop_by,
                               **dates)
    fetched = None  # rows an engine returned for the answer-level rules (None: the rows were in memory)
    if not isinstance(responses, pd.DataFrame):
        responses = fetch_alert_rows(responses, since=since, as_of=as_of_utc, key_accounts=key_accounts,
                                     keywords=DEFAULT_ALERT_KEYWORDS if keywords is None else list(keywords),
                                     score=score, time=time, text=text, response_id=response_id, customer=customer,
                                     timezone_column=timezone_column, limit=limit)
        if response_id not in responses.columns:
            # Engines keep no row numbers: without an id column an answer is named by its time.
            responses[response_id] = "answer at " + responses[time].astype(str)
        fetched = len(responses)
    responses, _ = lean_frame(responses)
    require_frame_columns(responses, [score, time], what="responses", file=None)
    zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    instants = to_utc(responses[time], zones=zones, timezone=timezone, column=time, date_format=date_format, dayfirst=dayfirst)
    parsed = parse_scores(responses[score], column=score)
    category = category_labels(parsed.values)
    recent = ((instants > since) & (instants <= as_of_utc)).to_numpy() & parsed.valid_mask
    rid = clean_ids(responses[response_id]) if response_id in responses.columns else pd.Series(responses.index.astype(str), index=responses.index)
    cid = clean_ids(responses[customer]) if customer in responses.columns else pd.Series(None, index=responses.index, dtype=object)
    known = known_personal_values(responses, roster=roster) if not show_personal else None
    comment = (
        responses[text].astype(object).where(responses[text].notna(), "").astype(str)
        if text in responses.columns else pd.Series("", index=responses.index)
    )
    shown = comment if show_personal else mask_text(comment, names=(known or {}).get("name", ()),
                                                    addresses=(known or {}).get("address", ()))
    stamp = as_of_utc.isoformat()
    alerts: list[dict[str, Any]] = []

    def answer_alert(rule: str, severity: str, i: int, message: str, segment: str = "") -> None:
        alerts.append(
            {
                "alert_id": _alert_id(rule, rid.iloc[i], segment),
                "rule": rule,
                "severity": severity,
                "as_of": stamp,
                "response_id": rid.iloc[i],
                "customer_id": cid.iloc[i],
                "segment": segment,
                "category": category[i],
                "score": float(parsed.values[i]),
                "submitted_at": instants.iloc[i].isoformat(),
                "message": message,
            }
        )

    for column, values in (key_accounts or {}).items():
        if column not in responses.columns:
            raise NPSInputError(f"key_accounts: no column {column!r}; the columns are {list(map(str, responses.columns))}")
        wanted = [values] if isinstance(values, (str, int, float)) else list(values)
        hit = recent & (category == "detractor") & clean_ids(responses[column]).isin([str(v).strip() for v in wanted]).to_numpy()
        for i in np.flatnonzero(hit):
            quote = f": \"{shown.iloc[i]}\"" if shown.iloc[i] else ""
            answer_alert("key_account_detractor", "high", int(i),
                         f"Detractor ({int(parsed.values[i])}) from a key account ({column} = "
                         f"{responses[column].iloc[i]}){quote}", f"{column}={responses[column].iloc[i]}")
    words = DEFAULT_ALERT_KEYWORDS if keywords is None else list(keywords)
    if words:
        pattern = keyword_pattern(words)
        found = comment.str.extract(f"({pattern.pattern})", flags=re.IGNORECASE)[0]
        hit = recent & found.notna().to_numpy()
        for i in np.flatnonzero(hit):
            answer_alert("keyword", "high" if category[i] == "detractor" else "medium", int(i),
                         f"Comment mentions '{found.iloc[i]}' (score {int(parsed.values[i])}): \"{shown.iloc[i]}\"")
    family = ""
    if drop_by:
        drop_by = [drop_by] if isinstance(drop_by, str) else list(drop_by)
        target = last_complete_period(as_of_utc, freq=freq, timezone=timezone)
        # Answers up to the day of as_of (the days after target's end are not shown: end=target).
        last_day = as_of_utc.tz_convert(timezone).tz_localize(None).normalize()
        days = drop_days[drop_days["day"].notna() & (drop_days["day"] <= last_day)]
        table = nps_by_period_from_days(days, by=drop_by, freq=freq, min_n=min_n, end=target, window=drop_window,
                                        timezone=timezone, time=time, score=score)
        if len(table) and (pd.to_datetime(table["period"]) == target).any():
            changes = period_changes(table, period=target, alpha=alpha, correction=correction)
            family = changes.attrs["family"]
            label = "week of" if period_freq(freq) == "W-SUN" else "period from"
            for _, row in changes[changes["significant"] & (changes["difference"] < 0)].iterrows():
                segment = ", ".join(f"{c}={row[c]}" for c in drop_by)
                alerts.append(
                    {
                        "alert_id": _alert_id("nps_drop", segment, row["period"]),
                        "rule": "nps_drop",
                        "severity": "high",
                        "as_of": stamp,
                        "response_id": None,
                        "customer_id": None,
                        "segment": segment,
                        "category": None,
                        "score": None,
                        "submitted_at": None,
                        "message": (
                            f"NPS of {segment} fell from {row['previous_nps']:+.0f} ({label} "
                            f"{row['previous_period'].date()}, n = {int(row['previous_n'])}) to {row['nps']:+.0f} "
                            f"({label} {row['period'].date()}, n = {int(row['n'])}): {row['difference']:+.0f} "
                            f"points, 95% CI {row['ci_lower']:+.0f} to {row['ci_upper']:+.0f}, adjusted "
                            f"{p_text(row['pvalue_adjusted'])}"
                        ),
                    }
                )
    out = pd.DataFrame(alerts, columns=list(ALERT_COLUMNS))
    severity_rank = out["severity"].map({"high": 0, "medium": 1, "low": 2})
    out = out.assign(_s=severity_rank).sort_values(["_s", "rule", "submitted_at"], kind="stable").drop(columns="_s")
    out = out.reset_index(drop=True)
    out.attrs.update(
        as_of=stamp,
        window=str(pd.Timedelta(window)),
        rules={
            "key_account_detractor": {k: list(v) if not isinstance(v, str) else [v] for k, v in (key_accounts or {}).items()},
            "keyword": words,
            "nps_drop": {"by": list(drop_by or []), "freq": freq, "min_n": min_n, "alpha": alpha,
                         "correction": correction, "family": family},
        },
        personal_data="shown" if show_personal else "masked",
        fetched_rows=fetched,
    )
    if not show_personal:
        out = mask_personal(out, known=known)
    return out


def fetch_alert_rows(
    data: Any,
    *,
    since: pd.Timestamp,
    as_of: pd.Timestamp,
    key_accounts: Mapping[str, Any] | None,
    keywords: Sequence[str],
    score: str = "score",
    time: str = "submitted_at",
    text: str = "comment",
    response_id: str = "response_id",
    customer: str = "customer_id",
    timezone_column: str | None = "timezone",
    limit: int = 10_000,
) -> pd.DataFrame:
    """The rows an answer-level alert can come from, filtered by the engine holding ``data``.

    A row is fetched when its time lies in ``(since, as_of]`` (time-zone-aware timestamps), or for
    local times within a day more on each side (every zone is within 14 hours of UTC): naive
    timestamps, dates, ISO text by its date part (other text is not filtered by time); and it is
    a detractor with a ``key_accounts`` value, or its comment
    matches one of ``keywords`` with an answer. The filter is a superset of the alert rows: the
    exact rules run on these rows in pandas (:func:`alert_list`). Returns a pandas frame of the
    columns an alert shows (and the personal columns, so names are masked), at most ``limit``
    rows; more raise :class:`NPSInputError`.
    """
    from ..sources.engines import level_expr, narwhals_module
    from ..sources.privacy import personal_columns
    from .theme_counts import engine_keyword_regex

    nw = narwhals_module()
    from ..sources.tables import fetch_rows, native

    frame = nw.from_native(native(data))
    schema = frame.collect_schema()
    names = list(schema.names())
    for column in (key_accounts or {}):
        if column not in names:
            raise NPSInputError(f"key_accounts: no column {column!r}; the columns are {names}")
    absent = [c for c in (score, time) if c not in names]
    if absent:
        raise NPSInputError(f"responses: missing column(s) {absent}; the columns are {names}")
    level = level_expr(score, schema[score])
    answered = (level >= 0)
    rules = []
    for column, values in (key_accounts or {}).items():
        wanted = [values] if isinstance(values, (str, int, float)) else list(values)
        rule = answered & (level < PASSIVE_FROM)
        if schema[column] == nw.String:  # other types: every detractor, the exact rule runs in pandas
            rule = rule & nw.col(column).str.strip_chars().is_in([str(v).strip() for v in wanted])
        rules.append(rule)
    if keywords and text in names:
        regex = engine_keyword_regex(keywords, engine=str(frame.implementation).lower().removeprefix("implementation."))
        rules.append(answered & nw.col(text).cast(nw.String).str.contains(regex).fill_null(False))
    keep = [c for c in dict.fromkeys([score, time, text, response_id, customer, timezone_column,
                                      *(key_accounts or {})]) if c and c in names]
    personal = [c for c, kind in personal_columns(pd.DataFrame(columns=names)).items() if kind in ("name", "address")]
    keep += [c for c in personal if c not in keep]
    if not rules:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in keep})
    where = rules[0]
    for rule in rules[1:]:
        where = where | rule
    dtype, at = schema[time], nw.col(time)
    if dtype == nw.Unknown and str(frame.implementation).lower().endswith("duckdb"):
        # DuckDB's nanosecond instants (TIMESTAMPTZ_NS) have no narwhals type: compared as the
        # connection zone's wall clock, which the day of padding covers.
        dtype = nw.Datetime("us")
        at = at.cast(dtype)
    # Instants compare exactly; local times (naive, dates, text) are within 14 hours of UTC, so a day
    # either side holds every answer of the window whatever its zone.
    pad = pd.Timedelta(days=1)
    lo, hi = (since - pad).to_pydatetime(), (as_of + pad).to_pydatetime()
    if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
        where = where & (at > since.to_pydatetime()) & (at <= as_of.to_pydatetime())
    elif isinstance(dtype, nw.Datetime):
        where = where & (at > lo.replace(tzinfo=None)) & (at <= hi.replace(tzinfo=None))
    elif dtype == nw.Date:
        where = where & (at >= lo.date()) & (at <= hi.date())
    elif dtype == nw.String:
        # ISO text sorts as time: its date part is compared as text. Anything else is kept (a
        # superset) and read by the kit's parser with the rows it comes with.
        text = at.str.strip_chars()
        day = text.str.slice(0, 10)
        iso = text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
        where = where & (~iso.fill_null(True) | ((day >= lo.date().isoformat()) & (day <= hi.date().isoformat())))
    return fetch_rows(data, keep, where=where, limit=limit)


def describe_alerts(alerts: pd.DataFrame) -> str:
    """How many alerts of each rule and severity, in one sentence."""
    if alerts.empty:
        return f"No alerts as of {alerts.attrs.get('as_of', 'now')}."
    parts = [f"{n} {rule.replace('_', ' ')}" for rule, n in alerts["rule"].value_counts().items()]
    high = int((alerts["severity"] == "high").sum())
    return f"{len(alerts)} alert(s) as of {alerts.attrs.get('as_of')}: " + ", ".join(parts) + f"; {high} of high severity."
