"""The column vocabulary every notebook shares: which columns an analysis needs, and a check of them.

`resolve_columns` fills in the bundled sample's columns or checks a user file's, with one clear error.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..samples import sample_path
from ..sources.errors import NPSInputError

if TYPE_CHECKING:
    from ..sources.tables import Table


@dataclass(frozen=True)
class ColumnRole:
    """One column parameter of a notebook.

    Attributes:
        parameter: the notebook parameter, e.g. ``"comment_column"``.
        what: what the column holds, in the analyst's words (used in messages).
        required: the analysis cannot run without it.
        default: the parameter's default for a user file (``""`` / ``()`` = absent for optional ones).
        sample: the bundled sample's column(s), filled in when the notebook runs on the sample.
        turns_on: for an optional column, the report section it turns on (used in the skip note).
        many: the parameter is a list of columns (``segment_columns``, ``covariate_columns``).
        hints: words that suggest a column of a file plays this role (when the parameter is empty).
    """

    parameter: str
    what: str
    required: bool = False
    default: str | tuple[str, ...] = ""
    sample: str | tuple[str, ...] = ""
    turns_on: str = ""
    many: bool = False
    hints: tuple[str, ...] = ()


def _role(parameter: str, what: str, **kw: Any) -> ColumnRole:
    return ColumnRole(parameter, what, **kw)


_SCORE = _role("score_column", "the 0-10 answer to the recommend question", required=True, default="score",
               sample="score", hints=("score", "nps", "recommend", "likely", "likelihood", "rating"))
_TIME = _role("time_column", "when each answer was submitted", required=True, default="submitted_at",
              sample="submitted_at", hints=("submitted", "date", "time", "timestamp", "created", "answered"))
_TEAM_OPTIONAL = _role("team_column", "each answer's team", sample="team",
                       turns_on="NPS and alerts per team", hints=("team", "department", "store", "branch"))
_COMMENT = _role("comment_column", "free-text comments", sample="comment",
                 turns_on="comment themes and keyword alerts",
                 hints=("comment", "feedback", "verbatim", "text", "why", "reason"))
_ID = _role("id_column", "a response id", sample="response_id",
            turns_on="response ids in the alerts (answers are named by their row)", hints=("response", "id", "respondent"))
_CUSTOMER = _role("customer_column", "a customer id", sample="customer_id", turns_on="customer ids in the alerts",
                  hints=("customer", "client", "account"))
_TIMEZONE = _role("timezone_column", "each answer's IANA time zone (e.g. Europe/Oslo)", sample="timezone",
                  turns_on="local times per answer (otherwise every time is read in `timezone`)",
                  hints=("timezone", "tz", "zone"))

#: The column parameters of each notebook, in the order of its ``parameters`` cell.
ANALYSES: dict[str, tuple[ColumnRole, ...]] = {
    "experiment": (
        _SCORE,
        _role("group_column", "the arm each customer was assigned to", required=True, default="arm", sample="arm",
              hints=("arm", "group", "variant", "cohort", "treatment")),
        _role("segment_columns", "segments to split the effect by", many=True, sample=("region", "plan"),
              turns_on="the effect per segment", hints=("region", "segment", "plan", "country")),
        _role("invited_column", "yes/no: the customer was asked to answer", sample="invited",
              turns_on="invited counts and response rates among the invited", hints=("invited", "sent")),
        _role("responded_column", "yes/no: the customer answered", sample="responded",
              turns_on="response rates from an explicit responded flag", hints=("responded", "answered")),
        _role("covariate_columns", "pre-experiment covariates", many=True, sample=("prior_score",),
              turns_on="the CUPED-adjusted effect", hints=("prior", "before", "baseline")),
        _role("id_column", "a respondent id", sample="respondent_id",
              turns_on="the check for repeated respondents and respondents in two arms",
              hints=("respondent", "id", "response")),
    ),
    "rollback_decision": (
        _SCORE,
        _role("group_column", "the arm of each answer", required=True, default="arm", sample="arm",
              hints=("arm", "group", "variant", "cohort")),
        _TIME,
        _role("csat_column", "a 1-5 satisfaction answer", sample="csat", turns_on="the CSAT guardrail",
              hints=("csat", "satisfaction", "satisfied")),
    ),
    "closed_loop": (
        _SCORE, _TIME,
        _role("team_column", "each answer's team (who follows it up)", sample="team",
              turns_on="routing each answer to its team and root causes per team",
              hints=("team", "department", "store", "branch", "owner")),
        _COMMENT,
        _role("id_column", "a response id (the follow-up log and the chains refer to it)", sample="response_id",
              turns_on="matching the follow-up log and the five-whys chains (answers are named by their row)",
              hints=("response", "id", "respondent")),
        _role("customer_column", "a customer id (the same customer answering again)", sample="customer_id",
              turns_on="the re-survey analyses (category transitions, contacted versus not, the holdout)",
              hints=("customer", "client", "account")),
        _TIMEZONE,
        _role("holdout_column", "the randomised follow-up arm (contact or holdout)", sample="followup_arm",
              turns_on="the randomised-holdout comparison", hints=("holdout", "arm", "followup")),
    ),
    "weekly_tracking": (
        _SCORE, _TIME, _TEAM_OPTIONAL,
        _role("segment_columns", "segments compared inside a team (agent, department, location)", many=True,
              sample=("agent",), turns_on="NPS per segment inside a team",
              hints=("agent", "department", "location", "segment", "region")),
        _COMMENT, _ID, _CUSTOMER, _TIMEZONE,
        _role("key_account_column", "the account tier that marks key accounts", sample="account_tier",
              turns_on="key-account detractor alerts", hints=("tier", "key", "account")),
    ),
}

#: The bundled sample each notebook runs on when ``data_path`` is empty.
SAMPLES: dict[str, str] = {
    "experiment": "experiment",
    "rollback_decision": "monitoring",
    "closed_loop": "loop_responses",
    "weekly_tracking": "loop_responses",
}


def _norm(name: Any) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())


def closest_column(name: str, columns: Sequence[Any]) -> str | None:
    """The column of ``columns`` most like ``name``: equal ignoring case, spaces and punctuation
    first, else the closest by :func:`difflib.get_close_matches` (ratio >= 0.6); ``None`` if none.

    Example:
        >>> closest_column("Score", ["respondent", "score ", "date"])
        'score '
        >>> closest_column("submited_at", ["submitted_at", "score"])
        'submitted_at'
    """
    labels = [str(c) for c in columns]
    key = _norm(name)
    same = [c for c in labels if key and _norm(c) == key]
    if same:
        return same[0]
    by_norm = {_norm(c): c for c in labels if _norm(c)}
    hits = difflib.get_close_matches(key, list(by_norm), n=1, cutoff=0.6) if key else []
    return by_norm[hits[0]] if hits else None


def _markdown_text(text: str) -> str:
    """``text`` shown as written in Markdown: ``*redacted*`` is a marker, not emphasis."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def _suggest(role: ColumnRole, columns: Sequence[Any]) -> list[str]:
    """Columns whose names contain one of the role's hint words (for an empty required parameter)."""
    out = []
    for c in map(str, columns):
        words = set(re.split(r"[^0-9a-z]+", c.lower()))
        if any(h in words or (len(h) > 3 and h in c.lower()) for h in role.hints):
            out.append(c)
    return out[:3]


@dataclass(frozen=True)
class Columns:
    """The resolved column parameters of one notebook run (from :func:`resolve_columns`).

    Attribute access gives a parameter's value: ``cols.score_column``, ``cols.segment_columns``.

    Attributes:
        analysis: the notebook (``experiment``, ``rollback_decision``, ``closed_loop``, ``weekly_tracking``).
        path: what to read: ``data_path``, the bundled sample's file when it was empty, ``None`` for a query.
        sample: whether this is the bundled-sample run (its columns were filled in).
        values: parameter -> column name (``""`` absent) or list of columns.
        database: the DuckDB database holding the table named by ``path``, if any.
        query: the DuckDB SELECT read instead of a file (``path`` is then ``None``).
        spark_table: a Spark table read instead of a file (``path`` is then ``None``).
        engine: where the rows are read (:func:`nps_analysis.sources.tables.open_table`).
    """

    analysis: str
    path: str | Path | None
    sample: bool
    values: dict[str, Any] = field(default_factory=dict)
    database: str | None = None
    query: str | None = None
    spark_table: str | None = None
    engine: str = "auto"

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def roles(self) -> tuple[ColumnRole, ...]:
        return ANALYSES[self.analysis]

    def has(self, parameter: str) -> bool:
        """Whether the optional column (or list) of ``parameter`` is given."""
        return bool(self.values.get(parameter))

    def column(self, parameter: str) -> str | None:
        """The column of a single-column parameter, ``None`` when absent (for keyword arguments)."""
        value = self.values.get(parameter)
        return str(value) if value else None

    @property
    def needed(self) -> list[str]:
        """Every column named by a parameter, once, in parameter order (for ``nps.load(columns=...)``)."""
        out: list[str] = []
        for role in self.roles:
            value = self.values.get(role.parameter)
            out += list(value) if role.many else ([value] if value else [])
        return list(dict.fromkeys(out))

    @property
    def absent(self) -> list[str]:
        """The optional parameters left empty: their sections are skipped."""
        return [r.parameter for r in self.roles if not r.required and not self.values.get(r.parameter)]

    def note(self, parameter: str) -> str:
        """One line saying that a section is skipped and which parameter turns it on."""
        role = self._role(parameter)
        return (f"Skipped: {role.turns_on}. Set `{role.parameter}` to the column holding "
                f"{role.what} to turn it on.")

    def notes(self) -> str:
        """The skip notes of every absent optional column, one per line (Markdown)."""
        return "  \n".join(self.note(p) for p in self.absent)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the columns used and the absent optional parameters (for ``nps.record``)."""
        return {"sample": self.sample, "columns": dict(self.values), "absent": self.absent}

    def _role(self, parameter: str) -> ColumnRole:
        for role in self.roles:
            if role.parameter == parameter:
                return role
        raise KeyError(f"{self.analysis} has no column parameter {parameter!r}")

    def check(self, available: Sequence[Any], *, file: str | None = None) -> None:
        """Raise one :class:`NPSInputError` for every required column not named or not present and
        every named optional column not present, with the closest column of the file for each and
        the list of the file's columns."""
        labels = [str(c) for c in available]
        present = set(labels)
        problems = []
        for role in self.roles:
            value = self.values.get(role.parameter)
            names = list(value) if role.many else ([value] if value else [])
            if role.required and not names:
                guess = _suggest(role, labels)
                problems.append(
                    f"{role.parameter} is empty: name the column holding {role.what}"
                    + (f" (perhaps {', '.join(map(repr, guess))})" if guess else "")
                )
            for name in names:
                if str(name) not in present:
                    near = closest_column(str(name), labels) or next(iter(_suggest(role, labels)), None)
                    problems.append(
                        f"{role.parameter} {str(name)!r} is not a column"
                        + (f" (closest match: {near!r})" if near else "")
                    )
        if problems:
            shown = ", ".join(map(repr, labels[:60])) + (f" and {len(labels) - 60} more" if len(labels) > 60 else "")
            raise NPSInputError(f"{'; '.join(problems)}. The file has the columns {shown}.", file=file)

    @contextlib.contextmanager
    def checked(self) -> Iterator[None]:
        """Turn a loader's "missing column" error into :meth:`check`'s message (parameter names,
        closest matches). The file is re-read only on that error path, so a good run reads once."""
        try:
            yield
        except NPSInputError as exc:
            if "missing column" not in str(exc):
                raise
            available = self._file_columns()
            if available is None:
                raise
            self.check(available, file=exc.file)
            raise  # every named column exists after all: the loader's own message stands

    def _file_columns(self) -> list[str] | None:
        from ..sources.load import load

        with contextlib.suppress(Exception):
            if self.spark_table or self.engine == "duckdb" or self.query:
                from ..sources.tables import open_table

                return list(open_table(self.path, database=self.database, query=self.query,
                                       spark_table=self.spark_table, engine="duckdb").columns)
            return [str(c) for c in load(self.path, database=self.database, query=self.query).columns]
        return None

    def table(self, **options: Any) -> Table:
        """The answers where they live (:func:`nps_analysis.sources.tables.open_table`): a pandas
        frame read by :func:`nps_analysis.load` for small files, a DuckDB relation for big files,
        database tables and queries, a Spark DataFrame for ``spark_table``. Every named column is
        required; a missing one raises :meth:`check`'s error. ``options`` go to ``open_table``
        (``missing_values``, ``date_columns`` ... for the pandas path)."""
        from ..sources.tables import open_table

        with self.checked():
            return open_table(None if self.spark_table else self.path, database=self.database, query=self.query,
                              spark_table=self.spark_table, engine=self.engine,  # type: ignore[arg-type]
                              score=self.values["score_column"], columns=self.needed, **options)

    def with_ids(self, frame: pd.DataFrame, *, name: str = "row") -> tuple[pd.DataFrame, str]:
        """``frame`` and the column identifying each response: ``id_column`` when given, else a new
        column ``name`` holding each row's number in the file (header = row 1, as in a spreadsheet),
        so a queue or an alert can still point at the answer."""
        if self.has("id_column"):
            return frame, str(self.values["id_column"])
        from ..sources.load import source_rows

        rows = source_rows(frame)
        out = frame.copy()
        out[name] = [f"row {r}" for r in (rows if rows is not None else range(2, len(frame) + 2))]
        out.attrs = dict(frame.attrs)
        return out, name

    def companion(self, path: str, sample: str, *, what: str, **options: Any) -> pd.DataFrame | None:
        """A file that refers to the answers by their id (the follow-up log, five-whys chains).

        ``path`` given: that file, which must name the answers in a column called like
        ``id_column``. Empty: the bundled sample's file on the bundled run, else ``None`` (the
        section is skipped). A file without ``id_column`` cannot be matched: an error says so.
        ``options`` go to :func:`nps_analysis.sources.load.load` (e.g. ``missing_values``).
        """
        from ..sources.load import load

        if not path:
            return load(sample_path(sample), **options) if self.sample else None
        if not self.has("id_column"):
            raise NPSInputError(
                f"the {what} refers to answers by their id: set id_column to the answers' id column "
                "(the same column name in both files)", file=str(path),
            )
        return load(path, columns=[str(self.values["id_column"])], **options)

    @staticmethod
    def load_note(frame: pd.DataFrame) -> str:
        """What reading the file did, for the report: the load report's one-line summary and each
        of its warnings (a score column that looks like a 1-5 or 1-7 scale, the encoding used,
        labels with trailing spaces), one per line; ``""`` without a load report."""
        from ..sources.load import load_report

        report = load_report(frame)
        if report is None:
            sampled, source = frame.attrs.get("sampled"), frame.attrs.get("source")
            if sampled:
                return (f"A uniform random sample of {sampled['rows']:,} of the {sampled['of']:,} rows of "
                        f"{_markdown_text(str(source))} (seed {sampled['seed']}): the numbers describe the sample.")
            return f"{len(frame):,} rows of {_markdown_text(str(source))} (the columns used)." if source else ""
        return "  \n".join([_markdown_text(report.summary()),
                             *(f"**Warning:** {_markdown_text(w)}" for w in report.warnings)])

    def load(self, **options: Any) -> pd.DataFrame:
        """:func:`nps_analysis.load` of :attr:`path` with the score column validated and every named
        column required; a missing one raises :meth:`check`'s error. ``options`` go to ``load``."""
        from ..sources.load import load

        with self.checked():
            return load(self.path, score=self.values["score_column"], columns=self.needed,
                        database=self.database, query=self.query, **options)


def rows_of(cols: Columns, *, max_rows: int = 2_000_000, sample_rows: int | None = None, seed: int = 0,
            **options: Any) -> pd.DataFrame:
    """The answers of a respondent-level report (follow-up queue, key drivers) as rows.

    Small files: :meth:`Columns.load` (every check of :func:`nps_analysis.load`). Big files,
    database tables, queries and Spark tables: only the named columns, and only up to ``max_rows``
    rows (or a stated uniform random sample of ``sample_rows``):
    :func:`nps_analysis.sources.tables.read_rows`. Scores are validated either way.
    """
    from ..sources.scores import parse_scores
    from ..sources.tables import read_rows

    table = cols.table(**options)
    if table.is_pandas:
        return table.data
    frame = read_rows(table, cols.needed, max_rows=max_rows, sample_rows=sample_rows, seed=seed)
    score = str(cols.values["score_column"])
    sampled = frame.attrs.get("sampled")
    frame[score] = parse_scores(frame[score], column=score, file=table.source).values
    frame.attrs["sampled"] = sampled
    frame.attrs["source"] = table.source
    return frame


def team_scope(
    responses: Any, cols: Columns, team: str = ""
) -> tuple[Any, list[str], str]:
    """What a weekly report covers: ``(answers, segment columns compared, label)``.

    One team (``team`` given): its answers, compared by ``segment_columns``. Every team: all
    answers, compared by ``team_column`` (or by ``segment_columns`` when there is no team column).
    ``responses`` may be a pandas frame or a :class:`~nps_analysis.sources.tables.Table` whose rows
    stay in their engine: the team is then a filter the engine runs (and a ``Table`` comes back).
    """
    team_column = cols.column("team_column")
    segments = list(cols.values.get("segment_columns") or [])
    if team:
        if team_column is None:
            raise NPSInputError(f"team {team!r} was given but team_column is empty: name the column holding the teams")
        if not isinstance(responses, pd.DataFrame):
            return _engine_team(responses, team_column, team), segments, f"team {team}"
        subset = responses[responses[team_column].astype(str).str.strip() == str(team).strip()]
        if subset.empty:
            values = sorted(map(str, pd.unique(responses[team_column].dropna())))[:20]
            raise NPSInputError(f"no answers for team {team!r}; the teams are {values}", column=team_column)
        return subset, segments, f"team {team}"
    if team_column is not None:
        return responses, [team_column], "all teams"
    return responses, segments, "all answers"


def _engine_team(responses: Any, team_column: str, team: str) -> Table:
    """The rows of one team, filtered by the engine (the team's label compared as stripped text)."""
    from ..sources.engines import narwhals_module
    from ..sources.tables import Table, as_table, fetch_rows

    nw = narwhals_module()
    table = as_table(responses)
    label = nw.col(team_column).cast(nw.String).str.strip_chars()
    frame = nw.from_native(table.data)
    subset = Table(frame.filter(label == str(team).strip()).to_native(), table.engine,
                   f"{table.source}, team {team}", table.columns)
    if not subset.rows():
        values = fetch_rows(frame.select(label.alias(team_column)).unique().to_native(), [team_column],
                            where=~nw.col(team_column).is_null(), limit=10**6)[team_column]
        raise NPSInputError(f"no answers for team {team!r}; the teams are {sorted(map(str, values))[:20]}",
                            column=team_column)
    return subset


def resolve_columns(
    analysis: str,
    data_path: str | os.PathLike[str] | None,
    /,
    *,
    database: str | None = None,
    query: str | None = None,
    spark_table: str | None = None,
    engine: str = "auto",
    **given: Any,
) -> Columns:
    """The column parameters of a notebook run: the sample's columns for the bundled run, else checked names.

    With an empty ``data_path`` (and no ``query``) the notebook runs on its bundled sample: every column parameter
    left empty gets the sample's column, so every section of the report shows. Otherwise the
    parameters are taken as given: optional ones left empty are absent (their sections are skipped,
    see :meth:`Columns.note`), and :meth:`Columns.check` (or :meth:`Columns.load`) raises one error
    for all required columns missing, naming the closest column of the file for each.

    Args:
        analysis: one of :data:`ANALYSES` (the notebook's name).
        data_path: the notebook's ``data_path`` (a file, or a table name in ``database``).
        database: the DuckDB database holding the table named by ``data_path``.
        query: a read-only DuckDB SELECT read instead of ``data_path`` (the notebook's ``query``).
        spark_table: a Spark table read instead of ``data_path`` (the notebook's ``spark_table``:
            a catalog name or ``parquet.`/path```, through the active SparkSession).
        engine: ``"auto"`` (small files in pandas, the rest where it lives), ``"pandas"`` or
            ``"duckdb"`` (the notebook's ``engine``).
        **given: the notebook's column parameters (``score_column=...``, ``segment_columns=[...]``);
            parameters not given take their defaults.

    Raises:
        ValueError: an unknown analysis or parameter, or a list given for a one-column parameter.

    Example:
        >>> cols = resolve_columns("weekly_tracking", "", comment_column="")
        >>> cols.sample, cols.comment_column, cols.segment_columns
        (True, 'comment', ['agent'])
        >>> resolve_columns("weekly_tracking", "exports/nps.csv").absent[:2]
        ['team_column', 'segment_columns']
    """
    if analysis not in ANALYSES:
        raise ValueError(f"unknown analysis {analysis!r}; expected one of {', '.join(ANALYSES)}")
    roles = {r.parameter: r for r in ANALYSES[analysis]}
    unknown = set(given) - set(roles)
    if unknown:
        raise ValueError(f"{analysis} has no column parameter(s) {sorted(unknown)}; it has {list(roles)}")
    if engine not in ("auto", "pandas", "duckdb"):
        raise ValueError(f"engine must be 'auto', 'pandas' or 'duckdb', got {engine!r}")
    sample = not data_path and not query and not spark_table
    values: dict[str, Any] = {}
    for name, role in roles.items():
        value = given.get(name, role.default)
        if role.many:
            if isinstance(value, str):
                value = [value] if value.strip() else []
            value = [str(v).strip() for v in value if str(v).strip()]
            if sample and not value:
                value = list(role.sample)
        else:
            if not isinstance(value, str):
                raise ValueError(f"{name} takes one column name, got {value!r}")
            value = value.strip()
            if sample and not value:
                value = str(role.sample)
        values[name] = value
    path: str | Path | None
    if query or spark_table:
        path = None
    elif sample:
        path = sample_path(SAMPLES[analysis])
    elif database and not Path(str(data_path)).exists():
        path = str(data_path)  # a table of the database
    else:
        path = Path(str(data_path))
    return Columns(analysis, path, sample, values, database or None, query or None, spark_table or None, engine)


__all__ = ["ANALYSES", "ColumnRole", "Columns", "SAMPLES", "closest_column", "resolve_columns", "rows_of", "team_scope"]
