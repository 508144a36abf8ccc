"""Is the experiment balanced? Loading the experiment frame, the data check, sample-ratio mismatch
and response rates per arm, checked before any effect is trusted.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError, describe_rows
from ..sources.results import ResultMixin
from ..sources.tables import Table
from .formatting import flag_box, interval_text, p_text

#: Interval methods that exist both for one NPS and for a difference (the notebook's ``ci_method``).
EXPERIMENT_METHODS: tuple[str, ...] = ("adjusted-wald", "wald", "bootstrap", "bayes")
#: SRM threshold: a sample-ratio check runs on every experiment, so it uses a strict level
#: (Kohavi, Tang & Xu 2020, ch. 21; Fabijan et al. 2019 use p < 0.0005-0.001).
SRM_ALPHA = 0.001


def load_experiment(
    data_path: str | os.PathLike[str] | None,
    *,
    score: str,
    group: str,
    columns: Sequence[str] = (),
    subset: Mapping[str, Any] | None = None,
    quarantine_dir: str | os.PathLike[str] | None = None,
    database: str | os.PathLike[str] | None = None,
    query: str | None = None,
    id_column: str | None = None,
    **load_options: Any,
) -> pd.DataFrame:
    """Read an experiment export (the bundled sample when ``data_path`` and ``query`` are empty).

    ``data_path`` may also be a table name in ``database``; a DuckDB SQL query goes in ``query``
    (a path is never read as SQL; see :func:`nps_analysis.sources.load.load`).

    Invalid scores are quarantined (written to ``quarantine_dir/quarantine.csv``, or beside the
    input file) rather than stopping the report; ``subset`` keeps only rows whose columns equal
    the given values (compared as text), e.g. ``{"region": "North"}`` for one report per region.
    With ``id_column`` a repeated respondent id, or one seen in two arms, is quarantined too
    (:func:`nps_analysis.sources.load.load`); ``load_options`` go to ``load`` (e.g. ``missing_values``).

    Returns:
        The frame, with ``attrs["load_report"]`` (:class:`nps_analysis.io.LoadReport`) and
        ``attrs["subset"]`` / ``attrs["rows_before_subset"]``.
    """
    from ..samples import sample_path
    from ..sources.load import load

    database = database or None
    query = query or None
    path: Any
    if query is not None:
        path = None
    elif data_path and database is not None and not Path(data_path).exists():
        path = str(data_path)  # a table of the database
    else:
        path = Path(data_path) if data_path else sample_path("experiment")
    needed = list(dict.fromkeys([group, *[c for c in columns if c], *(subset or {})]))
    qpath = Path(quarantine_dir) / "quarantine.csv" if quarantine_dir else None
    frame = load(path, score=score, columns=needed, on_invalid="quarantine", quarantine_path=qpath, database=database,
                 query=query, id_column=id_column or None, group_column=group if id_column else None, **load_options)
    report = frame.attrs.get("load_report")
    before = len(frame)
    if subset:
        keep = np.ones(len(frame), dtype=bool)
        for column, value in subset.items():
            keep &= (frame[column].astype(str) == str(value)).to_numpy()
        frame = frame.loc[keep].reset_index(drop=True)
        if frame.empty:
            raise NPSInputError(f"no rows left after keeping {dict(subset)}", file=str(path or "the query"))
        frame.attrs["load_report"] = report
    frame.attrs["subset"] = dict(subset or {})
    frame.attrs["rows_before_subset"] = before
    return frame


@dataclass(frozen=True)
class ExperimentTable(Table):
    """The experiment's rows where they live (a :class:`~nps_analysis.sources.tables.Table`) with
    what reading them did: the load report (rows read, set aside and why), the ``subset`` kept,
    and the rows analysed. :func:`data_check` reads these."""

    load_report: Any = None
    subset: dict[str, Any] = field(default_factory=dict)
    rows_before_subset: int | None = None
    rows_analysed: int | None = None

    def rows(self) -> int:
        """The rows analysed (counted while loading: no second COUNT(*) in the engine)."""
        return self.rows_analysed if self.rows_analysed is not None else super().rows()


def load_experiment_table(
    data_path: str | os.PathLike[str] | None,
    *,
    score: str,
    group: str,
    columns: Sequence[str] = (),
    subset: Mapping[str, Any] | None = None,
    quarantine_dir: str | os.PathLike[str] | None = None,
    database: str | os.PathLike[str] | None = None,
    query: str | None = None,
    spark_table: str | None = None,
    engine: str = "auto",
    id_column: str | None = None,
    **load_options: Any,
) -> ExperimentTable:
    """The experiment's table where it lives: :func:`load_experiment` (pandas) for small files,
    else a DuckDB relation (big files, database tables, queries) or a Spark DataFrame
    (``spark_table``: a catalog name or ``parquet.`/path```, read by the active SparkSession);
    ``engine`` as in :func:`nps_analysis.sources.tables.open_table`.

    On an engine nothing is read but aggregates: invalid scores are counted and left out by a
    filter (their number and the first few values go to the load report and, with
    ``quarantine_dir``, to ``quarantine.csv``), the score becomes a whole number or null, and
    ``subset`` becomes a filter (values compared as text). A repeated ``id_column`` value raises
    (deduplicate in the query: the engine path does not set rows aside).
    """
    from ..sources.tables import open_table

    if engine == "pandas" or (not spark_table and engine == "auto" and _small(data_path, database, query)):
        frame = load_experiment(data_path, score=score, group=group, columns=columns, subset=subset,
                                quarantine_dir=quarantine_dir, database=database, query=query, id_column=id_column,
                                **load_options)
        from ..sources.load import load_report

        report = load_report(frame)
        return ExperimentTable(frame, "pandas", str(getattr(report, "file", data_path) or data_path), tuple(map(str, frame.columns)),
                               load_report=report, subset=dict(subset or {}),
                               rows_before_subset=frame.attrs.get("rows_before_subset"), rows_analysed=len(frame))
    needed = list(dict.fromkeys([group, *[c for c in columns if c], *(subset or {}), *([id_column] if id_column else [])]))
    table = open_table(data_path or None, database=database or None, query=query or None,
                       spark_table=spark_table or None, engine="duckdb" if engine == "auto" else engine,  # type: ignore[arg-type]
                       score=score, columns=needed)
    return _engine_experiment(table, score=score, subset=subset, quarantine_dir=quarantine_dir, id_column=id_column)


def _small(data_path: Any, database: Any, query: Any) -> bool:
    """True when ``open_table``'s automatic choice would read the file with pandas."""
    from ..sources.bigfile import file_format, is_large_file

    if query or not data_path:
        return not query
    if database and not Path(str(data_path)).exists():
        return False
    try:
        return not (is_large_file(data_path) or (any(ch in str(data_path) for ch in "*?[")
                                                  and file_format(str(data_path)) in ("csv", "parquet")))
    except NPSInputError:
        return True


def _engine_experiment(table: Table, *, score: str, subset: Mapping[str, Any] | None,
                       quarantine_dir: Any, id_column: str | None) -> ExperimentTable:
    """Quarantine, score normalisation and ``subset`` as engine filters; counts from three small queries."""
    from ..sources.engines import (
        INVALID_LEVEL,
        LEVEL_COLUMN,
        describe_invalid,
        invalid_examples,
        level_counts,
        level_expr,
        narwhals_module,
    )
    from ..sources.load import LoadReport
    from ..sources.missing import missing_markers

    nw = narwhals_module()
    markers = missing_markers(None) if table.engine == "duckdb" else ("",)
    levels = level_counts(table.data, score, markers=markers)
    rows_read = int(levels["count"].sum())
    invalid = int(levels.loc[levels["level"] == INVALID_LEVEL, "count"].sum())
    frame = nw.from_native(table.data)
    level = level_expr(score, frame.collect_schema()[score], markers)
    lvl = nw.col(LEVEL_COLUMN)
    # Invalid answers left out and every answer a whole number (or null): downstream aggregates see clean scores.
    frame = (frame.with_columns(level).filter(lvl != INVALID_LEVEL)
             .with_columns(nw.when(lvl >= 0).then(lvl).otherwise(nw.lit(None)).cast(nw.Int64).alias(score))
             .drop(LEVEL_COLUMN))
    quarantine_file = None
    if invalid:
        examples = invalid_examples(table.data, score, markers=markers)
        if quarantine_dir:
            qpath = Path(quarantine_dir) / "quarantine.csv"
            qpath.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(examples, columns=["row", score]).assign(
                reason=f"invalid score (the first {len(examples)} of {invalid})").to_csv(qpath, index=False)
            quarantine_file = str(qpath)
        examples_text = describe_invalid(examples)
    else:
        examples_text = ""
    if id_column:
        ids = _scalar(frame.select(nw.len().alias("n"), nw.col(id_column).n_unique().alias("u")).select(
            (nw.col("n") - nw.col("u")).alias("d")))
        if int(ids):
            raise NPSInputError(
                f"{int(ids)} repeated respondent id(s) in {id_column!r}: deduplicate in the query or the "
                "table (the engine path does not set rows aside)", column=id_column, count=int(ids))
    before = rows_read - invalid
    for column, value in (subset or {}).items():
        frame = frame.filter(nw.col(column).cast(nw.String) == str(value))
    rows = int(_scalar(frame.select(nw.len()))) if subset else before
    if subset and rows == 0:
        raise NPSInputError(f"no rows left after keeping {dict(subset)}", file=table.source)
    missing = int(levels.loc[levels["level"] < 0, "count"].sum()) - invalid
    report = LoadReport(file=table.source, format=table.engine, rows_read=rows_read, rows_kept=before,
                        missing_scores=missing, quarantined=invalid, quarantine_file=quarantine_file,
                        reasons={f"invalid {score!r}: not a whole number 0-10": invalid} if invalid else {}, responses=before - missing,
                        warnings=[f"invalid scores left out: {examples_text}"] if invalid else [])
    native_frame = frame.to_native()
    return ExperimentTable(native_frame, table.engine, table.source, tuple(frame.collect_schema().names()),
                           load_report=report, subset=dict(subset or {}), rows_before_subset=before,
                           rows_analysed=rows)


def check_options(*, ci_method: str, confidence_level: float, control: Any, treatments: Sequence[Any]) -> None:
    """Reject notebook options that cannot work, before any computation."""
    if ci_method not in EXPERIMENT_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(EXPERIMENT_METHODS)}, got {ci_method!r}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1 (e.g. 0.95), got {confidence_level!r}")
    if control in list(treatments):
        raise ValueError(f"the control {control!r} cannot also be a treatment")


def arms_of(frame: Any, group: str, control: Any, treatments: Sequence[Any] = ()) -> list[Any]:
    """Control first, then the treatments (default: every other label in ``group``, sorted).

    ``frame``: a pandas frame, a ``Table`` or an engine table (the labels are a DISTINCT query).
    """
    from ..sources.arm_counts import distinct_values

    present = [v.item() if isinstance(v, np.generic) else v for v in distinct_values(frame, group)]
    if control not in present:
        raise NPSInputError(
            f"control {control!r} is not a value of the column; the values are {sorted(map(str, present))}",
            column=group,
        )
    if treatments:
        missing = [t for t in treatments if t not in present]
        if missing:
            raise NPSInputError(
                f"treatment(s) {missing} not found; the values are {sorted(map(str, present))}", column=group
            )
        return [control, *treatments]
    return [control, *sorted((v for v in present if v != control), key=str)]


def as_flags(values: pd.Series, *, column: str, file: str | None = None) -> np.ndarray:
    """A yes/no column (bool, 0/1, true/false, yes/no) as a boolean array; anything else raises."""
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype(str).str.strip().str.lower()
    yes = text.isin(["true", "1", "1.0", "yes", "y"])
    no = text.isin(["false", "0", "0.0", "no", "n"])
    bad = ~(yes | no)
    if bad.any():
        rows = [(int(i), values.iloc[int(i)]) for i in np.flatnonzero(bad.to_numpy())]
        raise NPSInputError(
            f"{len(rows)} value(s) are not yes/no (true/false, 1/0): {describe_rows(rows)}",
            file=file, column=column, rows=rows[:20], count=len(rows),
        )
    return yes.to_numpy()


def _file_name(source: str) -> str:
    """A file's name without its folders; a SQL query or table name as it is."""
    text = str(source)
    return Path(text).name if ("/" in text or os.sep in text) and "\n" not in text and " " not in text.strip() else text


@dataclass(frozen=True)
class DataCheck(ResultMixin):
    """What the analysis is based on: rows read, kept, answered, missing and quarantined."""

    file: str
    rows_read: int
    quarantined: int
    quarantine_reasons: dict[str, int]
    quarantine_file: str | None
    subset: dict[str, Any]
    rows_analysed: int
    invited: int | None
    responded: int | None
    answers: int
    missing_answers: int
    rows_per_arm: dict[str, int]
    answers_per_arm: dict[str, int]

    def to_frame(self) -> pd.DataFrame:
        # A report shows file names, not the analyst's folders (results.json keeps the full path);
        # counts with thousands separators, as every other table of the report.
        def n(value: Any) -> Any:
            return f"{value:,}" if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value

        rows = [("file", _file_name(self.file)), ("rows read", n(self.rows_read))]
        if self.quarantined:
            reasons = "; ".join(f"{k}: {n(v)}" for k, v in self.quarantine_reasons.items())
            where = f" (set aside in {_file_name(self.quarantine_file)})" if self.quarantine_file else ""
            rows.append(("rows quarantined", f"{n(self.quarantined)}: {reasons}{where}"))
        else:
            rows.append(("rows quarantined", 0))
        if self.subset:
            rows.append(("subset", ", ".join(f"{k} = {v}" for k, v in self.subset.items())))
        rows.append(("rows analysed", n(self.rows_analysed)))
        if self.invited is not None:
            rows.append(("invited", n(self.invited)))
        if self.responded is not None:
            rows.append(("responded", n(self.responded)))
        rows.append(("0-10 answers", n(self.answers)))
        rows.append(("rows without an answer", n(self.missing_answers)))
        for arm, count in self.answers_per_arm.items():
            rows.append((f"answers in {arm}", f"{n(count)} of {n(self.rows_per_arm.get(arm, 0))} rows"))
        return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})

    def _repr_html_(self) -> str:
        return self.table_html(self.to_frame(), headers={"item": "", "value": ""}, kind_hints={"value": "text"})


def arm_flags(
    frame: Any, *, score: str | None, group: str, invited: str | None = None, responded: str | None = None,
) -> pd.DataFrame:
    """Rows per arm and yes/no state: ``arm`` (text), ``invited``, ``responded``, ``answered`` (bools), ``count``.

    One GROUP BY (arm, invited, responded, answer level) in the engine
    (:func:`nps_analysis.sources.arm_counts.flag_levels`); the yes/no values are read on that small
    table (:func:`as_flags`). Without ``invited`` every row counts as invited; without
    ``responded``, a row responded when it holds a 0-10 answer. Rows without an arm are left out.
    The data check, the sample-ratio test and the response rates all read this table.
    """
    from ..sources.arm_counts import flag_levels, native

    data = native(frame)
    if isinstance(data, pd.DataFrame):
        # pandas rows: the yes/no check names the bad rows, as before
        for column in (invited, responded):
            if column:
                as_flags(data[column], column=column)
    table = flag_levels(frame, score, group, invited=invited, responded=responded)
    table = table[table["group"].notna()]
    answered = table["level"].to_numpy() >= 0
    out = pd.DataFrame({
        "arm": [str(v.item() if isinstance(v, np.generic) else v) for v in table["group"]],
        "invited": _flags_of(table["invited"], invited),
        "responded": _flags_of(table["responded"], responded) if responded else answered,
        "answered": answered,
        "count": table["count"].to_numpy(dtype=np.int64),
    })
    return out.groupby(["arm", "invited", "responded", "answered"], as_index=False, sort=True)["count"].sum()


def _flags_of(values: pd.Series, column: str | None) -> np.ndarray:
    if not column:
        return np.ones(len(values), dtype=bool)
    try:
        return as_flags(values.reset_index(drop=True), column=column)
    except NPSInputError:
        bad = sorted({str(v) for v in values if str(v).strip().lower() not in
                      {"true", "1", "1.0", "yes", "y", "false", "0", "0.0", "no", "n"}})
        raise NPSInputError(f"value(s) {bad[:5]} are not yes/no (true/false, 1/0)", column=column) from None


def data_check(
    frame: Any,
    *,
    score: str,
    group: str,
    invited: str | None = None,
    responded: str | None = None,
    flags: pd.DataFrame | None = None,
) -> DataCheck:
    """Summarise the rows behind the analysis (uses the load report :func:`load_experiment` attached).

    ``frame``: a pandas frame, a ``Table`` or an engine table; the counts come from
    :func:`arm_flags` (one GROUP BY), or from ``flags`` when given (the same table reused by the
    sample-ratio check and the response rates).
    """
    if flags is None:
        flags = arm_flags(frame, score=score, group=group, invited=invited, responded=responded)
    report, subset, rows = load_info(frame)
    count = flags["count"]
    answered = flags["answered"]
    rows_per_arm = count.groupby(flags["arm"]).sum().sort_index()
    answers_per_arm = count[answered].groupby(flags["arm"][answered]).sum().reindex(rows_per_arm.index, fill_value=0)
    return DataCheck(
        file=str(getattr(report, "file", "(data frame)")),
        rows_read=int(getattr(report, "rows_read", rows)),
        quarantined=int(getattr(report, "quarantined", 0)),
        quarantine_reasons=dict(getattr(report, "reasons", {}) or {}),
        quarantine_file=getattr(report, "quarantine_file", None),
        subset=subset,
        rows_analysed=rows,
        invited=int(count[flags["invited"]].sum()) if invited else None,
        responded=int(count[flags["responded"]].sum()) if responded else None,
        answers=int(count[answered].sum()),
        missing_answers=int(count[~answered].sum()),
        rows_per_arm={k: int(v) for k, v in rows_per_arm.items()},
        answers_per_arm={k: int(v) for k, v in answers_per_arm.items()},
    )


def load_info(frame: Any) -> tuple[Any, dict[str, Any], int]:
    """``(load report or None, subset, rows)`` of what :func:`load_experiment` returned (or any frame/table)."""
    from ..sources.arm_counts import native
    from ..sources.load import load_report

    data = native(frame)
    if isinstance(data, pd.DataFrame):
        return load_report(data), dict(data.attrs.get("subset", {})), len(data)
    report = getattr(frame, "load_report", None)
    rows = getattr(frame, "rows_analysed", None)
    if rows is None:
        from ..sources.engines import narwhals_module

        nw = narwhals_module()
        rows = int(_scalar(nw.from_native(data).select(nw.len())))
    return report, dict(getattr(frame, "subset", {}) or {}), int(rows)


def _scalar(frame: Any) -> Any:
    """The single value of a one-row, one-column narwhals query."""
    from ..sources.engines import narwhals_module

    nw = narwhals_module()
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect(backend="pyarrow")
    return frame.to_pandas().iloc[0, 0]


@dataclass(frozen=True)
class SampleRatioResult(ResultMixin):
    """Sample-ratio mismatch (SRM) test: are the arms as large as the planned allocation says?

    ``observed`` are assigned units per arm, ``expected`` the counts the allocation implies.
    ``mismatch`` is True when ``pvalue < alpha``: the assignment (or the data pipeline) is likely
    broken and effects should not be trusted until it is explained.
    """

    arms: tuple[str, ...]
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    allocation: tuple[float, ...]
    statistic: float
    dof: int
    pvalue: float
    alpha: float
    mismatch: bool
    unit: str

    @property
    def message(self) -> str:
        parts = ", ".join(
            f"{a} {o} (expected {e:.0f})" for a, o, e in zip(self.arms, self.observed, self.expected, strict=True)
        )
        p = p_text(self.pvalue)
        if self.mismatch:
            return (
                f"SAMPLE RATIO MISMATCH: {parts} among {self.unit}; chi-square {p} < {self.alpha:g}. The arms do not "
                "have the planned sizes, so the assignment or the data pipeline is suspect and the "
                "effects below should not be trusted until this is explained."
            )
        return f"Arm sizes match the planned allocation: {parts} among {self.unit} (chi-square {p})."

    def to_frame(self) -> pd.DataFrame:
        """One row per arm: units observed and expected, observed and planned shares (%)."""
        total = sum(self.observed)
        return pd.DataFrame(
            {
                "arm": self.arms,
                "observed": self.observed,
                "expected": [round(e, 1) for e in self.expected],
                "observed share %": [round(100 * o / total, 1) if total else math.nan for o in self.observed],
                "planned share %": [round(100 * a, 1) for a in self.allocation],
            }
        )

    def _repr_html_(self) -> str:
        return flag_box(self.message, self.mismatch) + self.table_html(self.to_frame())


def sample_ratio_mismatch(
    frame: Any,
    group: str,
    *,
    score: str | None = None,
    arms: Sequence[Any] | None = None,
    expected_allocation: Mapping[str, float] | None = None,
    invited: str | None = None,
    alpha: float = SRM_ALPHA,
    flags: pd.DataFrame | None = None,
) -> SampleRatioResult:
    """Chi-square goodness-of-fit test of the arm sizes against the planned allocation.

    Source: Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*, ch. 21;
    Fabijan et al. (2019), "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments",
    KDD. Pearson's statistic ``X^2 = sum_k (O_k - E_k)^2 / E_k`` with ``E_k = N w_k / sum(w)``
    and ``k - 1`` degrees of freedom.

    Args:
        group: the arm column. Units are rows (customers), counted among ``invited`` rows when that
            column is given (assignment happens before anyone answers: never test respondents).
        arms: arms to test (default: every label present).
        expected_allocation: arm -> planned weight (normalised; default equal). An arm with weight
            that has no rows counts 0; a present arm missing from the allocation is an error.
        alpha: threshold for the ``mismatch`` flag (default 0.001).
        score: not needed (arm sizes count rows); accepted for symmetry with :func:`data_check`.
        flags: the :func:`arm_flags` table of the same ``group`` and ``invited`` (reused instead of
            a GROUP BY of its own).
    """
    if flags is None:
        flags = arm_flags(frame, score=None, group=group, invited=invited)
    unit = "invited customers" if invited else "all rows"
    flags = flags[flags["invited"]]
    counts_by_label = flags.groupby("arm")["count"].sum()
    present = sorted(counts_by_label.index[counts_by_label > 0])
    weights = {str(k): float(v) for k, v in (expected_allocation or {}).items()}
    if arms is None:
        arm_list = list(dict.fromkeys([*weights, *present])) if weights else present
    else:
        arm_list = [str(a) for a in arms]
    unknown = [a for a in arm_list if a not in weights] if weights else []
    if unknown:
        raise NPSInputError(
            f"arm(s) {unknown} have rows but no planned share in expected_allocation {weights}", column=group
        )
    observed = {a: int(counts_by_label.get(a, 0)) for a in arm_list}
    return srm_from_counts(observed, expected_allocation=weights or None, alpha=alpha, unit=unit)


def srm_from_counts(
    observed: Mapping[str, int],
    *,
    expected_allocation: Mapping[str, float] | None = None,
    alpha: float = SRM_ALPHA,
    unit: str = "units",
) -> SampleRatioResult:
    """The sample-ratio test on assignment counts ``{arm: units}`` (see :func:`sample_ratio_mismatch`).

    ``X^2 = sum_k (O_k - E_k)^2 / E_k``, ``E_k = N w_k / sum(w)``, ``k - 1`` degrees of freedom
    (arms with a planned share of 0 and no units do not count); units in an arm planned at 0
    give ``p = 0``.
    """
    from scipy.stats import chi2

    arm_list = [str(a) for a in observed]
    if len(arm_list) < 2:
        raise NPSInputError(f"a sample-ratio check needs at least two arms, found {arm_list}")
    if expected_allocation:
        weights = {str(k): float(v) for k, v in expected_allocation.items()}
        missing = [a for a in arm_list if a not in weights]
        if missing:
            raise NPSInputError(f"arm(s) {missing} have no planned share in expected_allocation {weights}")
        w = np.array([weights[a] for a in arm_list])
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise ValueError(f"expected_allocation needs non-negative weights with a positive sum, got {weights}")
    else:
        w = np.ones(len(arm_list))
    obs = np.array([int(observed[a]) for a in observed])
    if np.any(obs < 0):
        raise ValueError(f"counts must be non-negative, got {dict(observed)}")
    share = w / w.sum()
    expected = obs.sum() * share
    positive = expected > 0
    dof = int(positive.sum()) - 1
    if np.any(obs[~positive] > 0):
        statistic, pvalue = math.inf, 0.0
    elif dof < 1:
        statistic, pvalue = 0.0, 1.0
    else:
        statistic = float(((obs[positive] - expected[positive]) ** 2 / expected[positive]).sum())
        pvalue = float(chi2.sf(statistic, dof))
    return SampleRatioResult(
        arms=tuple(arm_list),
        observed=tuple(int(o) for o in obs),
        expected=tuple(float(e) for e in expected),
        allocation=tuple(float(x) for x in share),
        statistic=statistic,
        dof=max(dof, 0),
        pvalue=pvalue,
        alpha=alpha,
        mismatch=bool(pvalue < alpha),
        unit=unit,
    )


@dataclass(frozen=True)
class ResponseRates(ResultMixin):
    """Response rate per arm (Wilson intervals) and a chi-square test that they are equal.

    NPS only sees respondents: if one arm answers more often, its respondents may differ from the
    other arm's, and a difference in NPS can come from who answered rather than from the
    treatment. ``unequal`` is True when the test rejects at ``alpha``.
    """

    arms: tuple[str, ...]
    invited: tuple[int, ...]
    responded: tuple[int, ...]
    rate: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    statistic: float
    dof: int
    pvalue: float
    alpha: float
    unequal: bool
    largest_gap: float
    confidence_level: float

    @property
    def message(self) -> str:
        rates = ", ".join(f"{a} {100 * r:.1f}%" for a, r in zip(self.arms, self.rate, strict=True))
        if self.unequal:
            return (
                f"UNEQUAL RESPONSE RATES: {rates} (gap up to {100 * self.largest_gap:.1f} points; "
                f"chi-square {p_text(self.pvalue)}). NPS sees only respondents, so a difference in NPS "
                "may come from who chose to answer rather than from the treatment."
            )
        return f"Response rates are similar across arms: {rates} (chi-square {p_text(self.pvalue)})."

    def to_frame(self) -> pd.DataFrame:
        """One row per arm: invited, responded, the rate (%) and its Wilson interval."""
        return pd.DataFrame(
            {
                "arm": self.arms,
                "invited": self.invited,
                "responded": self.responded,
                "response rate %": [round(100 * r, 1) for r in self.rate],
                f"{100 * self.confidence_level:g}% interval": [
                    interval_text(100 * lo, 100 * hi) for lo, hi in zip(self.ci_lower, self.ci_upper, strict=True)
                ],
            }
        )

    def _repr_html_(self) -> str:
        return flag_box(self.message, self.unequal) + self.table_html(self.to_frame())


def response_rates(
    frame: Any,
    group: str,
    *,
    score: str,
    arms: Sequence[Any] | None = None,
    invited: str | None = None,
    responded: str | None = None,
    confidence_level: float = 0.95,
    alpha: float = 0.05,
    flags: pd.DataFrame | None = None,
) -> ResponseRates:
    """Response rate per arm and Pearson's chi-square test of homogeneity on the arm x responded
    table (no continuity correction), with Wilson (1927) intervals per arm.

    Args:
        invited: yes/no column of customers asked to answer (default: every row was invited).
        responded: yes/no column of customers who answered (default: a valid 0-10 score).
        flags: the :func:`arm_flags` table of the same columns (reused instead of a GROUP BY).
    """
    from scipy.stats import chi2_contingency

    from ..stats.scoring import wilson_interval

    if flags is None:
        flags = arm_flags(frame, score=score, group=group, invited=invited, responded=responded)
    arm_list = [str(a) for a in (arms if arms is not None else sorted(flags["arm"].unique()))]
    base = flags[flags["invited"]]
    n_inv = base.groupby("arm")["count"].sum().reindex(arm_list, fill_value=0).to_numpy(dtype=np.int64)
    n_resp = base[base["responded"]].groupby("arm")["count"].sum().reindex(arm_list, fill_value=0).to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_inv > 0, n_resp / np.maximum(n_inv, 1), np.nan)
    intervals = [wilson_interval(r, n, confidence_level) for r, n in zip(n_resp, n_inv, strict=True)]
    table = np.column_stack([n_resp, n_inv - n_resp])
    usable = table[(n_inv > 0)]
    if len(usable) >= 2 and usable.sum(axis=0).min() > 0:
        stat, pvalue, dof, _ = chi2_contingency(usable, correction=False)
    else:  # everyone (or no one) answered: the rates cannot differ
        stat, pvalue, dof = 0.0, 1.0, max(len(usable) - 1, 0)
    finite = rate[np.isfinite(rate)]
    gap = float(finite.max() - finite.min()) if finite.size else math.nan
    return ResponseRates(
        arms=tuple(arm_list),
        invited=tuple(int(v) for v in n_inv),
        responded=tuple(int(v) for v in n_resp),
        rate=tuple(float(v) for v in rate),
        ci_lower=tuple(float(lo) for lo, _ in intervals),
        ci_upper=tuple(float(hi) for _, hi in intervals),
        statistic=float(stat),
        dof=int(dof),
        pvalue=float(pvalue),
        alpha=alpha,
        unequal=bool(pvalue < alpha),
        largest_gap=gap,
        confidence_level=confidence_level,
    )
