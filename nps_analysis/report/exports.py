"""Files the kit exports for other tools: the follow-up queue and the alert list as CSV/JSON,
personal data masked unless asked.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..sources.atomic import atomic_path
from ..sources.privacy import mask_personal
from .record import write_json_atomic


def export_queue(
    queue: pd.DataFrame, output_dir: str | Path, *, stem: str = "followup_queue", show_personal: bool = False
) -> Path:
    """Write the queue as ``<stem>.csv`` (times in UTC, ISO 8601), personal data masked again
    unless ``show_personal``. Returns the path."""
    table = queue if show_personal else mask_personal(queue)
    path = Path(output_dir) / f"{stem}.csv"
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%SZ")
    return path


def write_alerts(
    alerts: pd.DataFrame,
    output_dir: str | Path,
    *,
    stem: str = "alerts",
    show_personal: bool = False,
) -> tuple[Path, Path]:
    """Write an alert list as ``<stem>.csv`` and ``<stem>.json`` for a scheduler to pass on.

    The JSON holds ``as_of``, ``count``, ``rules`` and ``alerts`` (one object per alert). Personal
    data is masked again on the way out unless ``show_personal``. Returns both paths.
    """
    out_dir = Path(output_dir)
    table = alerts if show_personal else mask_personal(alerts)
    csv_path = out_dir / f"{stem}.csv"
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")
    json_path = out_dir / f"{stem}.json"
    write_json_atomic(
        json_path,
        {
            "as_of": alerts.attrs.get("as_of"),
            "count": len(table),
            "rules": alerts.attrs.get("rules", {}),
            "personal_data": "shown" if show_personal else "masked",
            "alerts": table.astype(object).where(table.notna(), None).to_dict("records"),
        },
    )
    return csv_path, json_path
