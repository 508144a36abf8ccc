"""Comment-theme counts where the comments live: keyword patterns for Python and for the engines'
regular expressions, mentions per period x group x theme counted in one pass, and the share table.

A theme is a list of keywords matched as whole words, case-insensitively (``wait*`` matches wait,
waiting, waited). The weekly report's themes (:func:`nps_analysis.analyses.alerts.comment_themes`)
have no negation rule, so the match is one regular expression per theme, which every engine runs
itself: RE2 in DuckDB and PyArrow, Rust's ``regex`` in Polars, Java's in Spark. Only the counts
per period, group and theme come back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..sources.columns import lean_frame, require_frame_columns
from ..sources.engines import INVALID_LEVEL, narwhals_module
from ..sources.errors import NPSInputError
from ..sources.scores import CATEGORIES, PASSIVE_FROM, PROMOTER_FROM, category_labels, parse_scores
from ..stats.disclosure import complementary_suppression, margin_labels
from .tracking import assign_periods, day_counts, pandas_rows, period_freq, prepare_responses

# Python's ``\w`` on text is a letter, a number or "_" (Unicode categories L* and N*); the engines'
# ``\w`` is ASCII-only in RE2 and Java, so the class is spelled out in Unicode properties.
_WORD = r"[\p{L}\p{N}_]"
_NOT_WORD = r"[^\p{L}\p{N}_]"
# Python's ``\s`` on text (str.isspace), spelled out: RE2's and Java's ``\s`` are ASCII and RE2's
# lacks the vertical tab.
_SPACE = (r"[\x{09}-\x{0d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
          r"\x{205f}\x{3000}]+")
# Python's str.strip() whitespace (the same set), for "is there a comment at all".
_STRIP = (r"^[\x{09}-\x{0d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
          r"\x{205f}\x{3000}]+|[\x{09}-\x{0d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}"
          r"\x{2029}\x{202f}\x{205f}\x{3000}]+$")
# Characters with a meaning in every dialect's regular expressions; anything else is literal in all.
_SPECIAL = set("\\.^$|?*+()[]{}")
# Python's case-insensitive match also pairs these ASCII letters with non-ASCII ones (dotted and
# dotless i, long s, Kelvin sign: the re module's documentation); the engines fold case by Unicode's
# simple folding, which lacks some of these pairs, so the letters are spelled out as classes.
_FOLD = {"i": "[iI\\x{130}\\x{131}]", "s": "[sS\\x{17f}]", "k": "[kK\\x{212a}]"}


def _words(keywords: Sequence[str]) -> list[tuple[list[str], bool]]:
    out = []
    for word in keywords:
        w = str(word).strip()
        if w:
            out.append((w.rstrip("*").split(), w.endswith("*")))
    if not out:
        raise ValueError("a keyword list needs at least one keyword")
    return out


def keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any keyword as whole words.

    ``wait*`` matches wait, waiting, waited; a phrase (``called me back``) matches with any
    whitespace between its words.

    Example:
        >>> bool(keyword_pattern(["wait*", "call back"]).search("I was WAITING for a call  back"))
        True
    """
    parts = [r"\s+".join(re.escape(p) for p in words) + (r"\w*" if stem else "")
             for words, stem in _words(keywords)]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", flags=re.IGNORECASE)


def engine_keyword_regex(keywords: Sequence[str], *, engine: str = "duckdb") -> str:
    """:func:`keyword_pattern` as a regular expression the engines run (RE2, Rust, Java).

    The look-arounds ``(?<!\\w)`` and ``(?!\\w)`` (not in RE2 or Rust) become a non-word character
    or the text's edge on each side, which finds a match exactly when the look-arounds do (a
    search only asks whether there is one); ``\\w`` and ``\\s`` are spelled out as Python reads them
    on text. Case-insensitive: ``(?i)``, and on Spark ``(?iu)`` (Java folds ASCII only without
    ``u``).
    """
    parts = []
    for words, stem in _words(keywords):
        escaped = ["".join("\\" + c if c in _SPECIAL else _FOLD.get(c.lower(), c) if c in "iIsSkK" else c
                           for c in w) for w in words]
        parts.append(_SPACE.join(escaped) + (_WORD + "*" if stem else ""))
    flags = "(?iu)" if engine in ("pyspark", "spark", "sqlframe") else "(?i)"
    return f"{flags}(?:^|{_NOT_WORD})(?:" + "|".join(parts) + f")(?:{_NOT_WORD}|$)"


def _native(data: Any) -> tuple[Any, str]:
    """The engine's own table and the engine's name (a ``sources.tables.Table`` is unwrapped)."""
    from ..sources.engines import backend_name
    from ..sources.tables import native

    data = native(data)
    return data, str(backend_name(data))


def theme_counts(
    responses: Any,
    *,
    text: str = "comment",
    themes: Mapping[str, Sequence[str]],
    by: Sequence[str] = ("category",),
    freq: str | None = None,
    score: str = "score",
    time: str = "submitted_at",
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    timezone_column: str | None = "timezone",
) -> pd.DataFrame:
    """Per group (``period`` first when ``freq``) and theme: ``comments`` (non-empty comments of the
    group) and ``mentions`` (those matching the theme). ``category`` in ``by`` and not a column is
    derived from ``score``. A pandas frame is matched in Python (:func:`keyword_pattern`); any other
    table by its engine (:func:`engine_keyword_regex`), counted per local day with
    :func:`nps_analysis.analyses.tracking.day_counts` and folded into periods here.
    """
    by = list(by)
    responses = pandas_rows(responses)
    if isinstance(responses, pd.DataFrame):
        return _pandas_theme_counts(responses, text=text, themes=themes, by=by, freq=freq, score=score,
                                    time=time, timezone=timezone, date_format=date_format, dayfirst=dayfirst,
                                    timezone_column=timezone_column)
    nw = narwhals_module()
    native, engine = _native(responses)
    frame = nw.from_native(native)
    names = list(frame.collect_schema().names())
    derive = "category" in by and "category" not in names
    groups = [c for c in by if not (derive and c == "category")]
    absent = [c for c in [text, score, *groups, *([time] if freq else [])] if c not in names]
    if absent:
        raise NPSInputError(f"responses: missing column(s) {absent}; the columns are {names}")
    body = nw.col(text).cast(nw.String).str.replace_all(_STRIP, "")
    flags = [f"_nps_theme_{i}_" for i in range(len(themes))]
    commented = frame.filter(~body.is_null() & (body != "")).with_columns(
        *[body.str.contains(engine_keyword_regex(words, engine=engine)).alias(flag)
          for flag, words in zip(flags, themes.values(), strict=True)])
    if freq:
        days = day_counts(commented.to_native(), score=score, time=time, by=[*groups, *flags], timezone=timezone,
                          date_format=date_format, dayfirst=dayfirst, timezone_column=timezone_column)
    else:
        from ..sources.engines import level_counts

        days = level_counts(commented.to_native(), score, [*groups, *flags])
    level = days["level"].to_numpy(dtype=np.int64)
    if (level == INVALID_LEVEL).any():
        bad = int(days.loc[level == INVALID_LEVEL, "count"].sum())
        raise NPSInputError(f"{bad} invalid score(s): expected whole numbers from 0 to 10", column=score, count=bad)
    work = pd.DataFrame({c: days[c].to_numpy() for c in groups})
    if derive:
        work["category"] = np.where(level < 0, None, np.where(level < PASSIVE_FROM, CATEGORIES[0], np.where(
            level < PROMOTER_FROM, CATEGORIES[1], CATEGORIES[2]))).astype(object)
    if freq:
        work["period"] = pd.DatetimeIndex(days["day"]).to_period(period_freq(freq)).start_time
    count = days["count"].to_numpy(dtype=np.int64)
    work["_comments"] = count
    for flag in flags:
        work[flag] = np.where(days[flag].fillna(False).to_numpy(dtype=bool), count, 0)
    keys = (["period"] if freq else []) + by
    out = _long_counts(work, keys, flags, list(themes))
    out.attrs["matched_by"] = f"{engine} regular expressions"
    return out


def _pandas_theme_counts(responses: pd.DataFrame, *, text: str, themes: Mapping[str, Sequence[str]], by: list[str],
                         freq: str | None, score: str, time: str, timezone: str, date_format: str | None,
                         dayfirst: bool, timezone_column: str | None) -> pd.DataFrame:
    responses, _ = lean_frame(responses)
    require_frame_columns(responses, [text], what="responses", file=None)
    frame = responses.copy()
    if "category" in by and "category" not in frame.columns:
        parsed = parse_scores(frame[score], column=score)
        frame["category"] = pd.Categorical(category_labels(parsed.values), categories=list(CATEGORIES))
    if freq:
        _, instants = prepare_responses(frame, score=score, time=time, timezone=timezone,
                                        timezone_column=timezone_column, file=None, date_format=date_format,
                                        dayfirst=dayfirst)
        frame["period"] = assign_periods(instants, freq=freq, timezone=timezone).to_numpy()
    keys = (["period"] if freq else []) + by
    require_frame_columns(frame, keys, what="responses", file=None)
    body = frame[text].astype(object).where(frame[text].notna(), "").astype(str).str.strip()
    has = (body != "").to_numpy()
    frame, body = frame[has], body[has]
    flags = [f"_nps_theme_{i}_" for i in range(len(themes))]
    work = frame[keys].astype(object).reset_index(drop=True) if keys else pd.DataFrame(index=range(len(frame)))
    work["_comments"] = 1
    for flag, words in zip(flags, themes.values(), strict=True):
        work[flag] = body.str.contains(keyword_pattern(words), regex=True).to_numpy().astype(np.int64)
    out = _long_counts(work, keys, flags, list(themes))
    out.attrs["matched_by"] = "the kit's Python matcher"
    return out


def _long_counts(work: pd.DataFrame, keys: list[str], flags: list[str], names: list[str]) -> pd.DataFrame:
    """Group sums of the comment and theme columns, as a long table: keys, theme, comments, mentions."""
    if keys:
        for key in keys:
            if key != "period":
                work[key] = work[key].astype(object)
        sums = work.groupby(keys, dropna=False, sort=True)[["_comments", *flags]].sum()
        sums = sums[sums["_comments"] > 0]
        frame = sums.index.to_frame(index=False)
    else:
        sums = work[["_comments", *flags]].sum().to_frame().T
        frame = pd.DataFrame(index=range(1))
    comments = sums["_comments"].to_numpy(dtype=np.int64)
    mentions = sums[flags].to_numpy(dtype=np.int64)
    k = len(names)
    long = frame.loc[frame.index.repeat(k)].reset_index(drop=True)
    long["theme"] = names * len(frame)
    long["comments"] = np.repeat(comments, k)
    long["mentions"] = mentions.reshape(-1)
    return long


def themes_from_counts(
    counts: pd.DataFrame,
    *,
    by: Sequence[str],
    themes: Mapping[str, Sequence[str]],
    min_n: int = 10,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """The share of comments mentioning each theme with a Wilson (1927) interval, and small groups
    suppressed, from :func:`theme_counts` (``by`` includes ``period`` when counted by period).
    ``attrs["comments_matched"]`` is the number of comments matched (all of them: no sample is
    drawn) and ``attrs["matched_by"]`` who matched them (Python, or the engine's regular expressions).

    Groups with fewer than ``min_n`` comments have ``mentions``, ``share`` and its interval
    suppressed (``suppressed``), and complementary groups too (:func:`complementary_suppression`:
    the smallest other group of the same period, or of the table), so totals cannot reveal them.
    """
    from ..stats.scoring import wilson_interval

    by = list(by)
    long = counts.copy()
    lows, highs = zip(*[wilson_interval(x, n, confidence_level) if n else (math.nan, math.nan)
                        for x, n in zip(long["mentions"], long["comments"], strict=True)],
                      strict=True) if len(long) else ((), ())
    long["share"] = 100.0 * long["mentions"] / long["comments"]
    long["ci_lower"] = 100.0 * np.asarray(lows, dtype=float)
    long["ci_upper"] = 100.0 * np.asarray(highs, dtype=float)
    small = (long["comments"] < min_n).to_numpy()
    if by and len(long):
        # Suppression is per group (all its themes together); the published total is the period's
        # (or the whole table's) over the other grouping columns.
        groups = long.groupby(by, sort=False, dropna=False, observed=True)
        first = groups.head(1)
        margin_cols = [["period", *[b for b in by if b not in ("period", c)]] if "period" in by else
                       [b for b in by if b != c] for c in by if c != "period"]
        extra_groups = complementary_suppression(
            first["comments"].to_numpy(), (first["comments"] < min_n).to_numpy(),
            margin_labels(first, margin_cols or [[]]),
        )
        gid = groups.ngroup().to_numpy()
        first_gid = groups.ngroup().loc[first.index].to_numpy()
        small = small | np.isin(gid, first_gid[extra_groups])
    long["suppressed"] = small
    long["mentions"] = long["mentions"].astype(float).where(~small)
    for col in ("share", "ci_lower", "ci_upper"):
        long[col] = long[col].where(~small)
    long = long[[*by, "theme", "comments", "mentions", "share", "ci_lower", "ci_upper", "suppressed"]]
    # Every comment is matched (no sample): the count and who matched them, for a caption.
    comments = int(counts.drop_duplicates(by)["comments"].sum()) if by else int(counts["comments"].iloc[0]) if len(
        counts) else 0
    long.attrs.update(themes={k: list(v) for k, v in themes.items()}, min_n=min_n, confidence_level=confidence_level,
                      comments_matched=comments, matched_by=counts.attrs.get("matched_by", ""))
    return long


__all__ = ["engine_keyword_regex", "keyword_pattern", "theme_counts", "themes_from_counts"]
