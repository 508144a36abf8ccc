"""Root causes: five-whys chains validated against the responses and counted by theme.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..sources.columns import clean_ids, lean_frame, raise_rows
from ..sources.dates import to_utc
from ..sources.errors import NPSInputError
from ..sources.privacy import known_personal_values, mask_personal

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
    date_format: str | None = None,
    dayfirst: bool = False,
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
    chains, file = lean_frame(chains, file)
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
        raise_rows("answer no why", none, chains[whys[0]], column=whys[0], file=file)
    # A gap: an answered why after an empty one.
    gap = (np.diff(answered.astype(np.int8), axis=1) > 0).any(axis=1)
    if gap.any():
        first_gap = [whys[int(np.argmax(~row))] for row in answered[gap]]
        raise_rows(f"skip a why (first empty: {first_gap[0]!r}) before a later answer", gap,
                    chains[whys[0]], column=first_gap[0], file=file)
    has_resp = chains[response_id].notna().to_numpy() if response_id in chains.columns else np.zeros(len(chains), bool)
    has_theme = chains[theme].notna().to_numpy() if theme in chains.columns else np.zeros(len(chains), bool)
    orphan = ~has_resp & ~has_theme
    if orphan.any():
        col = response_id if response_id in chains.columns else theme
        values = chains[col] if col in chains.columns else pd.Series([None] * len(chains), index=chains.index)
        raise_rows(f"name neither a response ({response_id!r}) nor a theme ({theme!r})", orphan, values,
                    column=col, file=file)
    if response_id in chains.columns:
        ids = clean_ids(chains[response_id])
        out[response_id] = ids.to_numpy()
        if responses is not None:
            known = set(clean_ids(responses[response_id]).dropna())
            unknown = ids.notna().to_numpy() & ~ids.isin(known).to_numpy()
            if unknown.any():
                raise_rows("refer to an unknown response id", unknown, chains[response_id],
                            column=response_id, file=file)
    if time in chains.columns:
        out[time] = to_utc(chains[time], timezone=timezone, column=time, file=file, date_format=date_format, dayfirst=dayfirst).array
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
    roster: Sequence[str] = (),
) -> pd.DataFrame:
    """The most frequent root causes of five-whys chains by period and team.

    Root causes are grouped case- and space-insensitively and shown in their most frequent
    spelling. A chain without a team takes the team of its response when ``responses`` has one.

    Returns:
        Per group (``period`` when ``freq`` is given, then ``by``): up to ``top`` root causes,
        ranked, with ``chains`` (how many chains end in it), ``share`` (% of the group's chains),
        ``group_chains`` and one ``example`` chain (personal data masked by default, also the
        names of ``roster``, staff and customers, wherever they appear).
    """
    checked = validate_root_causes(chains, responses=responses, response_id=response_id, time=time, timezone=timezone)
    by = [by] if isinstance(by, str) else list(by or [])
    frame = checked.copy()
    if responses is not None and response_id in frame.columns:
        resp = responses.copy()
        resp[response_id] = clean_ids(resp[response_id])
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
                         known=known_personal_values(responses, roster=roster) if not show_personal else None,
                         text_columns=["root_cause", "example"])
