"""The one formatter every table a person sees goes through (notebooks, reports, PDF, digest).

Human headers with units, integers as integers, one or two decimals by kind, p-values as ``0.044``
or ``< 0.001``, intervals as ``1.1 to 14.6``, missing as an em dash, no index, the verdict first.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: What a missing value looks like in every table.
MISSING = "\u2014"

#: The kinds a column can be formatted as (``kind_hints`` values).
KINDS = (
    "count", "points", "scale", "ratio", "share", "percent", "hours", "days", "p", "bool", "datetime",
    "date", "text", "interval",
)

# Column names (lower-case, snake_case) that name a kind outright. Checked before the suffix rules.
_EXACT_KIND: dict[str, str] = {
    "n": "count", "count": "count", "responses": "count", "detractors": "count", "passives": "count",
    "promoters": "count", "looks": "count", "rows": "count", "answers": "count", "comments": "count",
    "nps": "points", "difference": "points", "effect": "points", "gap_points": "points", "mde": "points",
    "margin": "points", "nps_treatment": "points", "nps_control": "points", "detectable_effect": "points",
    "pvalue": "p", "p": "p", "pvalue_adjusted": "p", "p_adjusted": "p", "qvalue": "p",
    "significant": "bool", "small": "bool", "suppressed": "bool",
    "gap": "scale", "mean": "scale", "effect_size": "scale", "se": "scale", "odds_ratio": "ratio",
    "overdue_hours": "hours", "hours_left": "hours", "hours_to_contact": "hours",
    "share": "share", "rate": "share", "power_at_mde": "share", "target_power": "share",
    "variance_reduction": "share", "recovery_rate": "share", "confidence_level": "share",
    "alpha": "p", "treatment_value": "points", "control_value": "points", "importance": "scale",
    "rank": "count",
}
_SUFFIX_KIND: tuple[tuple[str, str], ...] = (
    ("_pvalue", "p"), ("_p", "p"), ("_hours", "hours"), ("_days", "days"), ("_count", "count"),
    ("_share", "share"), ("_rate", "share"), ("_percent", "percent"), ("_pct", "percent"),
    ("_nps", "points"), ("_points", "points"), ("_difference", "points"), ("_mean", "scale"), ("_se", "scale"),
    ("_odds_ratio", "ratio"), ("_ratio", "ratio"), ("_at", "datetime"), ("_local", "datetime"),
    ("_utc", "datetime"), ("_date", "date"),
)
_PREFIX_KIND: tuple[tuple[str, str], ...] = (
    ("n_", "count"), ("nps_", "points"), ("mean_", "scale"), ("top_box", "share"), ("share_", "share"),
    ("pvalue_", "p"),
)
#: Columns that carry a verdict, in order of preference (the first present is the verdict column).
VERDICT_COLUMNS = (
    "verdict", "decision", "outcome", "label", "band", "status", "severity", "significant", "flag",
)
# Header words an analyst reads more easily than the snake_case field names.
_HEADER_WORDS: dict[str, str] = {
    "nps": "NPS", "pvalue": "p", "ci": "interval", "se": "SE", "csat": "CSAT", "id": "ID",
    "srm": "SRM", "utc": "UTC", "cuped": "CUPED", "mde": "planned effect",
}
_HEADERS: dict[str, str] = {
    "n": "n", "pvalue": "p", "pvalue_adjusted": "p adjusted", "p_adjusted": "p adjusted",
    "effect_size": "effect size", "mde": "planned effect", "power_at_mde": "power for the planned effect",
    "detectable_effect": "detectable effect", "target_power": "at power",
    "n_treatment": "n treatment", "n_control": "n control", "response_id": "response",
}
_UNITS = {"points": "points", "hours": "hours", "days": "days"}
_GOOD = {"keep", "ok", "met", "on time", "done", "contacted", "asset", "reverse gap", "equivalent", "no"}
_BAD = {
    "roll_back", "roll back", "rollback", "failed", "killed", "overdue", "high", "gap", "harm",
    "likely losing customers", "mismatch", "worse", "drop", "alert",
}


@dataclass(frozen=True)
class Table:
    """A formatted table: every cell is text, headers are human; renders as HTML in a notebook.

    Attributes:
        frame: the formatted cells (strings), no index; the verdict column first.
        verdict: the header of the verdict column, or ``None``.
        caption: a line shown above the table (e.g. the family that was corrected).
        classes: per-cell CSS classes (same shape as ``frame``) used to highlight verdicts.
        numeric: headers of columns that hold numbers (right-aligned).
    """

    frame: pd.DataFrame
    verdict: str | None = None
    caption: str | None = None
    classes: tuple[tuple[str, ...], ...] = ()
    numeric: tuple[str, ...] = ()

    def to_html(self) -> str:
        """The table as HTML the report sanitiser keeps (classes, no inline styles or scripts)."""
        return table_html(self)

    def _repr_html_(self) -> str:
        return NOTEBOOK_CSS + self.to_html()

    def __len__(self) -> int:
        return len(self.frame)

    def __str__(self) -> str:
        return self.frame.to_string(index=False)


# ------------------------------------------------------------------------------ number formatting


def _missing(x: Any) -> bool:
    if x is None or x is pd.NaT:
        return True
    if isinstance(x, (float, np.floating)):
        return not math.isfinite(float(x))
    try:
        return bool(pd.isna(x)) if np.ndim(x) == 0 else False
    except (TypeError, ValueError):
        return False


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def format_number(x: Any, decimals: int = 1, *, sign: bool = False, thousands: bool = True) -> str:
    """A number with a fixed number of decimals (``-0.0`` is written ``0.0``); missing -> em dash.

    Example:
        >>> format_number(1626.616667, 1), format_number(-0.04, 1), format_number(7.94, 1, sign=True)
        ('1,626.6', '0.0', '+7.9')
    """
    if _missing(x) or not _is_number(x):
        return MISSING if _missing(x) else str(x)
    value = round(float(x), decimals)
    if value == 0:
        value = 0.0  # no "-0.0"
    spec = f"{'+' if sign and value != 0 else ''}{',' if thousands else ''}.{decimals}f"
    return format(value, spec)


def format_count(x: Any) -> str:
    """An integer count (``36.0`` -> ``36``, ``12000`` -> ``12,000``); non-whole values keep one decimal."""
    if _missing(x) or not _is_number(x):
        return MISSING if _missing(x) else str(x)
    value = float(x)
    if value.is_integer():
        return f"{int(value):,}"
    return format_number(value, 1)


def format_p(p: Any) -> str:
    """A p-value for reading: ``< 0.001``, three decimals below 0.1 (``0.044``), two above (``0.37``).

    Never more than three decimals; a p-value that rounds to 1 is ``1.00``. Missing -> em dash.

    Example:
        >>> [format_p(v) for v in (0.0004, 0.0441, 0.372, 0.99996, None)]
        ['< 0.001', '0.044', '0.37', '1.00', '\u2014']
    """
    if _missing(p) or not _is_number(p):
        return MISSING
    p = float(p)
    if p < 0.001:
        return "< 0.001"
    if p < 0.0995:
        return f"{p:.3f}"
    return f"{min(p, 1.0):.2f}"


def format_interval(lo: Any, hi: Any, decimals: int = 1) -> str:
    """An interval as ``1.1 to 14.6``; an em dash when either end is missing."""
    if _missing(lo) or _missing(hi) or not (_is_number(lo) and _is_number(hi)):
        return MISSING
    return f"{format_number(lo, decimals)} to {format_number(hi, decimals)}"


def format_share(x: Any, decimals: int = 0) -> str:
    """A proportion (0..1) as a percentage: ``0.452`` -> ``45%``."""
    if _missing(x) or not _is_number(x):
        return MISSING
    return f"{format_number(100 * float(x), decimals)}%"


def format_datetime(x: Any) -> str:
    """A timestamp as ``2026-11-17 12:00`` (plus ``UTC`` when it is in UTC); a date as ``2026-11-17``."""
    if _missing(x):
        return MISSING
    if isinstance(x, str):
        try:
            x = pd.Timestamp(x)
        except (ValueError, TypeError):
            return x
    if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
        return x.isoformat()
    ts = pd.Timestamp(x)
    if ts.hour == ts.minute == ts.second == 0 and ts.tzinfo is None:
        return ts.strftime("%Y-%m-%d")
    text = ts.strftime("%Y-%m-%d %H:%M")
    if ts.tzinfo is not None:
        name = ts.tzname() or ""
        text += f" {name}" if name else ts.strftime(" %z")
    return text


def format_value(x: Any, kind: str) -> str:
    """One cell of a column of ``kind`` (see :data:`KINDS`)."""
    if _missing(x):
        return MISSING
    if kind == "p":
        return format_p(x) if _is_number(x) else _text(x)
    if kind == "bool":
        if isinstance(x, (bool, np.bool_)):
            return "yes" if x else "no"
        return str(x)
    if kind in ("datetime", "date"):
        return format_datetime(x)
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if not _is_number(x):
        return _text(x)
    if kind == "count":
        return format_count(x)
    if kind == "points":
        return format_number(x, 1)
    if kind in ("hours", "days"):
        return format_number(x, 1)
    if kind in ("scale", "ratio"):
        return format_number(x, 2)
    if kind == "share":
        return format_share(x)
    if kind == "percent":
        return f"{format_number(x, 0)}%"
    return format_number(x, 2) if not float(x).is_integer() else format_count(x)


def _text(x: Any) -> str:
    """Text of a non-number cell: lists joined, dicts as ``key: value`` pairs, never a repr."""
    if isinstance(x, str):
        return x
    if isinstance(x, Mapping):
        return "; ".join(f"{humanize(k)}: {_text(v)}" for k, v in x.items())
    if isinstance(x, (list, tuple, set, frozenset, np.ndarray)):
        return ", ".join(_text(v) for v in x)
    if hasattr(x, "as_posix"):  # a path: its name is what a reader can use
        return str(x.name)
    if _is_number(x):
        return format_number(x, 2) if not float(x).is_integer() else format_count(x)
    if _missing(x):
        return MISSING
    return str(x)


# ----------------------------------------------------------------------------- kinds and headers


def _key(column: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(column).strip().lower()).strip("_")


def column_kind(column: Any, values: pd.Series | None = None) -> str:
    """The kind of a column from its name, then from its values (see :data:`KINDS`)."""
    key = _key(column)
    if "%" in str(column):  # "response rate %": the values are percentages already
        return "percent"
    if key in _EXACT_KIND:
        return _EXACT_KIND[key]
    if key.startswith("p_adjusted") or key.startswith("p_value") or key in ("p_value",):
        return "p"
    for suffix, kind in _SUFFIX_KIND:
        if key.endswith(suffix):
            return kind
    for prefix, kind in _PREFIX_KIND:
        if key.startswith(prefix):
            return kind
    words = key.split("_")
    if "hours" in words:
        return "hours"
    if "days" in words:
        return "days"
    if values is None:
        return "text"
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    if pd.api.types.is_float_dtype(values):
        finite = values[np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))]
        if len(finite) and (finite == finite.round()).all():
            return "count"
        return "number"
    return "text"


def humanize(column: Any) -> str:
    """A header an analyst reads: ``n_treatment`` -> ``n treatment``, ``nps_control`` -> ``NPS control``."""
    text = str(column)
    key = _key(text)
    if key in _HEADERS:
        return _HEADERS[key]
    if not re.search(r"[_]", text) and text != text.lower():
        return text  # already written for people ("CUPED difference")
    words = [w for w in re.split(r"[_\s]+", text.strip()) if w]
    return " ".join(_HEADER_WORDS.get(w.lower(), w) for w in words)


def _header(column: Any, kind: str, explicit: Mapping[str, str]) -> str:
    if str(column) in explicit:
        return explicit[str(column)]
    head = humanize(column)
    unit = _UNITS.get(kind)
    if unit and unit not in head.lower():
        head = f"{head} ({unit})"
    return head


# ----------------------------------------------------------------------------------- the table


def _interval_pairs(columns: Sequence[Any]) -> list[tuple[Any, Any, str]]:
    """``(lower column, upper column, stem)`` for every ``X_ci_lower``/``X_ci_upper`` pair."""
    pairs = []
    names = {str(c): c for c in columns}
    for name, col in names.items():
        m = re.fullmatch(r"(.*?)_?(ci_)?lower", name)
        if not m or "lower" not in name:
            continue
        upper_name = name[: len(name) - len("lower")] + "upper"
        if upper_name in names:
            stem = re.sub(r"(^|_)ci$", "", name[: len(name) - len("lower")].rstrip("_"))
            pairs.append((col, names[upper_name], stem))
    return pairs


# The estimate an unnamed ``ci_lower``/``ci_upper`` pair belongs to, in order of preference.
_ESTIMATES = ("difference", "nps", "gap", "effect", "estimate", "importance", "mean", "rate", "share")


def _verdict_class(value: str, kind: str = "text") -> str:
    low = value.strip().lower().replace("_", " ")
    if not low or low == MISSING:
        return ""
    if kind == "bool" or low in ("significant", "not significant", "yes", "no"):
        # "significant" draws the eye; it is not good or bad in itself
        return "nps-v-flag" if low in ("yes", "significant") else ""
    if low in {b.replace("_", " ") for b in _BAD} or low.startswith(("roll", "harm", "gap ", "overdue")):
        return "nps-v-bad"
    if low in _GOOD or low.startswith(("keep", "no clear", "no gap", "non-inferior", "no harm", "contacted in")):
        return "nps-v-good"
    return "nps-v-neutral"


def format_table(
    frame: pd.DataFrame | Table | Any,
    *,
    kind_hints: Mapping[str, str] | None = None,
    verdict: str | None | bool = None,
    headers: Mapping[str, str] | None = None,
    confidence_level: float | None = None,
    caption: str | None = None,
    drop_empty: bool = True,
    max_rows: int | None = None,
) -> Table:
    """Turn a result table into a readable :class:`Table`.

    * ``ci_lower``/``ci_upper`` (and ``X_ci_lower``/``X_ci_upper``) become one column
      ``95% interval`` written ``1.1 to 14.6``, in the kind of the estimate they bound;
    * counts are integers, NPS points and hours one decimal, scale means, gaps, SEs and ratios two,
      shares percentages, p-values ``0.044`` / ``< 0.001``, booleans ``yes``/``no``, timestamps
      ``2026-11-17 12:00 UTC``; missing values an em dash;
    * headers are words with units (``difference (points)``, ``overdue (hours)``);
    * the index is dropped (a named or non-default index becomes ordinary columns first);
    * the verdict column (``verdict``, ``decision``, ``label``, ``significant``, ...) comes first
      and its cells are highlighted; columns that are entirely empty are dropped.

    Args:
        frame: a DataFrame, a result object with ``to_frame()``, or a formatted :class:`Table`.
        kind_hints: ``{column: kind}`` overriding the kind judged from names and values.
        verdict: the verdict column; ``None`` picks the first of :data:`VERDICT_COLUMNS`;
            ``False`` means none.
        headers: ``{column: header}`` overriding the human header.
        confidence_level: the level named in the interval header (default ``attrs`` or none).
        caption: a line shown above the table.
        drop_empty: drop columns whose every value is missing or empty text.
        max_rows: show at most this many rows (a last row says how many were left out).
    """
    if isinstance(frame, Table):
        return frame
    if not isinstance(frame, pd.DataFrame):
        if hasattr(frame, "to_frame"):
            frame = frame.to_frame()
        elif isinstance(frame, pd.Series):
            frame = frame.to_frame()
        else:
            raise TypeError(f"format_table needs a DataFrame or a result with to_frame(), got {type(frame).__name__}")
    hints = {str(k): v for k, v in (kind_hints or {}).items()}
    bad = {k: v for k, v in hints.items() if v not in KINDS}
    if bad:
        raise ValueError(f"unknown kind(s) {bad}; use one of {', '.join(KINDS)}")
    explicit = {str(k): v for k, v in (headers or {}).items()}
    data = frame.copy()
    level = confidence_level or frame.attrs.get("confidence_level")
    if isinstance(data.columns, pd.MultiIndex):
        data.columns = [" ".join(str(p) for p in c if str(p)) for c in data.columns]
    if not isinstance(data.index, pd.RangeIndex) or any(n is not None for n in data.index.names):
        data = data.reset_index()
        data = data.loc[:, [c for c in data.columns if str(c) != "index"]]
    data.columns = [str(c) for c in data.columns]
    total_rows = len(data)
    if max_rows is not None and total_rows > max_rows:
        data = data.iloc[:max_rows]

    cells: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    done: set[str] = set()
    pairs = {lo: (hi, stem) for lo, hi, stem in _interval_pairs(list(data.columns))}
    for col in data.columns:
        if col in done:
            continue
        if col in pairs:
            hi, stem = pairs[col]
            estimate = stem or next((c for c in _ESTIMATES if c in data.columns), "")
            stem_kind = hints.get(estimate) or column_kind(estimate, data[estimate] if estimate in data.columns else None)
            if stem_kind in ("text", "count", "number"):
                # An estimate the names do not tell: a gap on a 1-5 scale gets two decimals,
                # anything else (points, percentages, hours) one.
                stem_kind = "scale" if estimate in ("gap", "mean", "estimate", "importance") else "points"
            decimals = {"points": 1, "hours": 1, "days": 1, "share": 1}.get(stem_kind, 2)
            lo_vals, hi_vals = data[col].tolist(), data[hi].tolist()
            if stem_kind == "share" and (_over_one(data[col]) or _over_one(data[hi])):
                text = [  # a share already in percent (31.9, not 0.319)
                    MISSING if _missing(a) or _missing(b) else f"{format_number(a, 0)}% to {format_number(b, 0)}%"
                    for a, b in zip(lo_vals, hi_vals, strict=True)
                ]
            elif stem_kind == "share":
                text = [
                    MISSING if _missing(a) or _missing(b) else f"{format_number(100 * a, 0)}% to {format_number(100 * b, 0)}%"
                    for a, b in zip(lo_vals, hi_vals, strict=True)
                ]
            else:
                text = [format_interval(a, b, decimals) for a, b in zip(lo_vals, hi_vals, strict=True)]
            base = f"{100 * level:g}% interval" if level else "interval"
            name = base if not stem else f"{humanize(stem)} {base}"
            name = explicit.get(col, name)
            cells[name] = text
            kinds[name] = "interval"
            done.update({col, hi})
            continue
        kind = hints.get(col) or column_kind(col, data[col])
        if kind == "share" and col not in hints and _over_one(data[col]):
            kind = "percent"  # a "share" already in percent (41.3, not 0.413)
        name = _header(col, kind, explicit)
        while name in cells:
            name += " "
        cells[name] = [format_value(v, kind) for v in data[col].tolist()]
        kinds[name] = kind
        done.add(col)

    out = pd.DataFrame(cells, index=pd.RangeIndex(len(data)))
    if drop_empty and len(out):
        empty = [c for c in out.columns if all(v in (MISSING, "") for v in out[c])]
        out = out.drop(columns=empty)
    if max_rows is not None and total_rows > max_rows:
        more = pd.DataFrame([{c: "" for c in out.columns}])
        more.iloc[0, 0] = f"… {total_rows - max_rows} more rows"
        out = pd.concat([out, more], ignore_index=True)

    verdict_header = _pick_verdict(frame, out, verdict, explicit, kinds)
    if verdict_header is not None:
        out = out[[verdict_header] + [c for c in out.columns if c != verdict_header]]
    classes = []
    for _, row in out.iterrows():
        classes.append(
            tuple(_verdict_class(str(v), kinds.get(c, "text")) if c == verdict_header else "" for c, v in row.items())
        )
    numeric = tuple(
        c for c in out.columns if kinds.get(c) in ("count", "points", "scale", "ratio", "share", "percent",
                                                      "hours", "days", "p", "number", "interval")
    )
    caption = caption if caption is not None else frame.attrs.get("caption")
    return Table(out, verdict=verdict_header, caption=caption, classes=tuple(classes), numeric=numeric)


def _over_one(values: pd.Series) -> bool:
    """Whether a numeric column holds a value beyond 1 in size (percentages, not proportions)."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = numbers[np.isfinite(numbers)]
    return bool(len(finite)) and float(np.abs(finite).max()) > 1.0


def _pick_verdict(
    original: pd.DataFrame, out: pd.DataFrame, verdict: str | None | bool, explicit: Mapping[str, str],
    kinds: Mapping[str, str],
) -> str | None:
    if verdict is False:
        return None
    by_key = {}
    for col in original.reset_index().columns if not isinstance(original.index, pd.RangeIndex) else original.columns:
        kind = kinds.get(_header(col, column_kind(col, None), explicit))
        head = _header(col, kind or "text", explicit)
        by_key[_key(col)] = head
    if isinstance(verdict, str):
        head = by_key.get(_key(verdict), verdict)
        if head not in out.columns:
            raise KeyError(f"verdict column {verdict!r} is not in the table (columns: {list(out.columns)})")
        return head
    for name in VERDICT_COLUMNS:
        head = by_key.get(name)
        if head is not None and head in out.columns:
            return head
    return None


# ------------------------------------------------------------------------------------------ HTML

#: CSS for formatted tables. Reports get the same rules from the report template (the sanitiser
#: removes ``<style>`` from outputs); in JupyterLab this block styles the table.
TABLE_CSS = """
table.nps-table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; max-width: 100%; }
table.nps-table caption { caption-side: top; text-align: left; color: #555; padding: 2px 0 6px; }
table.nps-table th { background: #f3f4f6; text-align: left; font-weight: 600; vertical-align: bottom;
  padding: 4px 8px; border-bottom: 1px solid #c9ccd1; }
table.nps-table td { padding: 3px 8px; border-bottom: 1px solid #eceef1; vertical-align: top;
  overflow-wrap: break-word; }
table.nps-table th { white-space: normal; }
table.nps-table td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.nps-table th.num { text-align: right; }
table.nps-table td.verdict, table.nps-table th.verdict { font-weight: 600; white-space: nowrap; }
table.nps-table td.nps-v-bad { background: #fdecea; color: #8a1c12; }
table.nps-table td.nps-v-good { background: #edf7ed; color: #1e4620; }
table.nps-table td.nps-v-neutral { background: #f5f5f5; }
table.nps-table td.nps-v-flag { background: #fff4d6; color: #5c3d00; }
"""
NOTEBOOK_CSS = f"<style>{TABLE_CSS}</style>"


def table_html(table: Table) -> str:
    """HTML of a formatted table: ``<table class="nps-table">`` with classes only (the report
    sanitiser keeps ``class``), every cell escaped. A table without rows is one line saying so."""
    frame = table.frame
    if frame.empty:
        lead = f"{table.caption.rstrip('. ')}: none." if table.caption else "No rows."
        return f'<p class="nps-empty">{html.escape(lead)}</p>'

    numeric = set(table.numeric)
    head_cells = []
    for col in frame.columns:
        cls = ["num"] if col in numeric else []
        if col == table.verdict:
            cls.append("verdict")
        attr = f' class="{" ".join(cls)}"' if cls else ""
        head_cells.append(f'<th scope="col"{attr}>{html.escape(str(col).strip())}</th>')
    rows = []
    for i, (_, row) in enumerate(frame.iterrows()):
        tds = []
        for j, (col, value) in enumerate(row.items()):
            cls = ["num"] if col in numeric else []
            if col == table.verdict:
                cls.append("verdict")
            if table.classes and table.classes[i][j]:
                cls.append(table.classes[i][j])
            attr = f' class="{" ".join(cls)}"' if cls else ""
            tds.append(f"<td{attr}>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    # A two-column "label | value" table needs no header row when its headers are blank.
    head = "" if all(not str(c).strip() for c in frame.columns) else f'<thead><tr>{"".join(head_cells)}</tr></thead>'
    return f'<table class="nps-table">{caption}{head}<tbody>{"".join(rows)}</tbody></table>'



def show(frame: Any, **options: Any) -> Any:
    """:func:`format_table` for the last line of a notebook cell: ``show(gap.table())``.

    Anything that is not a table (a note, ``None``) is returned as it is, so a cell can end in
    ``nps.show(x)`` whatever ``x`` turned out to be."""
    if isinstance(frame, (pd.DataFrame, pd.Series, Table)) or hasattr(frame, "to_frame"):
        return format_table(frame, **options)
    return frame


# ---------------------------------------------------------------------------- one result, vertical


def class_caption(name: str) -> str | None:
    """``NPSInterval`` -> ``NPS interval``, ``SampleRatioResult`` -> ``Sample ratio``."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name.replace("Result", "")).split()
    if not words:
        return None
    text = " ".join(w if w.isupper() else w.lower() for w in words)
    return text[0].upper() + text[1:]


def format_record(
    values: Mapping[str, Any] | Any,
    *,
    kind_hints: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    caption: str | None = None,
) -> Table:
    """A single result (a mapping or a result object) as a two-column table ``quantity | value``.

    Nested tables and lists of records are left out (they have their own tables);
    ``ci_lower``/``ci_upper`` become one interval row.
    """
    if not isinstance(values, Mapping):
        if hasattr(values, "to_dict"):
            if caption is None:
                caption = class_caption(type(values).__name__)
            values = values.to_dict()
        else:
            raise TypeError(f"format_record needs a mapping or a result with to_dict(), got {type(values).__name__}")
    flat = {
        str(k): v
        for k, v in values.items()
        if not (isinstance(v, (list, tuple)) and v and isinstance(v[0], (Mapping, list, tuple)))
        and not (isinstance(v, Mapping) and v and any(isinstance(x, (Mapping, list)) for x in v.values()))
    }
    one_row = pd.DataFrame([flat])
    formatted = format_table(one_row, kind_hints=kind_hints, headers=headers, verdict=False, drop_empty=True)
    row = formatted.frame.iloc[0] if len(formatted.frame) else pd.Series(dtype=object)
    vertical = pd.DataFrame({"quantity": [str(c).strip() for c in row.index], "value": list(row.values)})
    return Table(vertical, verdict=None, caption=caption)


def table_for_result(frame: pd.DataFrame, **options: Any) -> str:
    """``ResultMixin.table_renderer``: a result's table through :func:`format_table`, as HTML."""
    return NOTEBOOK_CSS + format_table(frame, **options).to_html()


def result_html(result: Any) -> str:
    """HTML of any result object for a notebook: its ``to_frame()`` through :func:`format_table`
    when it has several rows, else :func:`format_record` of its ``to_dict()``."""
    frame = None
    if hasattr(result, "to_frame"):
        try:
            frame = result.to_frame()
        except Exception:  # a result whose table cannot be built still shows its fields
            frame = None
    if isinstance(frame, pd.DataFrame) and len(frame) > 1:
        return NOTEBOOK_CSS + format_table(frame).to_html()
    return NOTEBOOK_CSS + format_record(result).to_html()
