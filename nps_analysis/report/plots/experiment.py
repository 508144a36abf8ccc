"""Charts for NPS reports: one function per chart, each returning a matplotlib figure.

Figures are built without pyplot (no global state, any backend); in a notebook, and so in the HTML
report, they show as PNG images.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Category colours used by every chart (colour-blind safe red / grey / blue-green).
COLORS: dict[str, str] = {"detractor": "#c0392b", "passive": "#a6a6a6", "promoter": "#1a7f6b"}
CONTROL_COLOR = "#444444"
ARM_COLORS = ("#444444", "#1f77b4", "#e07b00", "#7b3fa0", "#2a9d8f", "#b5651d")
PNG_DPI = 100


@functools.cache
def _chart_class() -> type:
    from matplotlib.figure import Figure

    class Chart(Figure):
        """A matplotlib ``Figure`` that renders itself as PNG in Jupyter (``_repr_png_``), with a
        text description (``alt_text``) that HTML reports use as the image's alt text."""

        alt_text: str = ""

        def png(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
            return buffer.getvalue()

        def _repr_png_(self) -> bytes | tuple[bytes, dict[str, str]]:
            data = self.png()
            return (data, {"alt": self.alt_text}) if self.alt_text else data

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
            # Takes precedence over the PNG printer the inline backend registers for every
            # Figure, so the image keeps its alt text in notebooks and HTML reports.
            data = {"image/png": base64.b64encode(self.png()).decode("ascii")}
            meta = {"image/png": {"alt": self.alt_text}} if self.alt_text else {}
            return data, meta

        def __repr__(self) -> str:
            title = self.axes[0].get_title() if self.axes else ""
            return f"<Chart: {title}>"

    return Chart


def new_figure(width: float, height: float) -> Any:
    """An empty chart (a matplotlib ``Figure`` subclass that displays itself in notebooks)."""
    fig = _chart_class()(figsize=(width, height), layout="constrained")
    return fig


def _arm_colors(labels: Sequence[str], control: Any) -> list[str]:
    others = ARM_COLORS[1:]
    colors, k = [], 0
    for label in labels:
        if control is not None and str(label) == str(control):
            colors.append(CONTROL_COLOR)
        else:
            colors.append(others[k % len(others)])
            k += 1
    return colors


def nps_forest(
    arms: pd.DataFrame,
    *,
    control: Any = None,
    title: str | None = None,
    confidence_level: float | None = None,
) -> Any:
    """Forest chart: NPS per arm with its interval; a dashed line at the control's NPS.

    Args:
        arms: one row per arm with ``group, n, nps, ci_lower, ci_upper`` (e.g.
            :func:`nps_analysis.experiment.arm_table`), drawn top to bottom in that order.
        control: the control's label (drawn dark, with the reference line).
        confidence_level: for the axis label (default: ``arms.attrs["confidence_level"]``).
    """
    level = confidence_level or arms.attrs.get("confidence_level", 0.95)
    labels = [str(g) for g in arms["group"]]
    y = np.arange(len(labels))[::-1]
    fig = new_figure(8, 0.75 * len(labels) + 1.4)
    ax = fig.subplots()
    colors = _arm_colors(labels, control)
    for yi, row, color in zip(y, arms.to_dict("records"), colors, strict=True):
        if not _finite(row["nps"]):
            ax.text(0, yi, "no answers", va="center", ha="center", color="#888")
            continue
        ax.plot([row["ci_lower"], row["ci_upper"]], [yi, yi], color=color, lw=2.5, solid_capstyle="round")
        ax.plot(row["nps"], yi, "o", color=color, ms=9, zorder=3)
        ax.annotate(
            f"{row['nps']:.1f}  ({row['ci_lower']:.1f} to {row['ci_upper']:.1f}), n = {row['n']}",
            (row["ci_upper"], yi), xytext=(8, 0), textcoords="offset points", va="center", fontsize=9,
        )
    if control is not None:
        ctrl = arms.loc[arms["group"].astype(str) == str(control), "nps"]
        if len(ctrl) and _finite(ctrl.iloc[0]):
            ax.axvline(float(ctrl.iloc[0]), color=CONTROL_COLOR, ls="--", lw=1, alpha=0.6)
    lo, hi = _span(arms[["ci_lower", "ci_upper", "nps"]].to_numpy(dtype=float), pad_right=0.6)
    ax.set_xlim(max(-100, lo), min(100, hi))
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xlabel(f"NPS (points) with {100 * level:g}% interval")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title or "NPS per arm")
    fig.alt_text = f"{ax.get_title()}: " + "; ".join(
        f"{r['group']} {r['nps']:.1f} ({r['ci_lower']:.1f} to {r['ci_upper']:.1f}), n = {r['n']}"
        for r in arms.to_dict("records") if _finite(r["nps"])
    )
    return fig


def effect_forest(
    effects: Sequence[Mapping[str, Any]] | pd.DataFrame,
    *,
    title: str | None = None,
    mde: float | None = None,
    confidence_level: float = 0.95,
) -> Any:
    """Forest chart of the differences treatment - control with their intervals; zero line, and
    the planned effect ``mde`` (dotted, both directions) when given. A CUPED estimate, when the
    records have one, is drawn just below its unadjusted effect."""
    recs = effects.to_dict("records") if isinstance(effects, pd.DataFrame) else [dict(e) for e in effects]
    rows: list[tuple[str, float, float, float, str]] = []
    for e in recs:
        if e.get("difference") is None:
            continue
        rows.append((f"{e['treatment']} - {e['control']}", e["difference"], e["ci_lower"], e["ci_upper"], "#1f77b4"))
        c = e.get("cuped")
        if isinstance(c, Mapping) and c.get("difference") is not None:
            rows.append(("  CUPED-adjusted", c["difference"], c["ci_lower"], c["ci_upper"], "#e07b00"))
    fig = new_figure(8, 0.6 * max(len(rows), 1) + 1.4)
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    for yi, (_, d, lo, hi, color) in zip(y, rows, strict=True):
        ax.plot([lo, hi], [yi, yi], color=color, lw=2.5, solid_capstyle="round")
        ax.plot(d, yi, "o", color=color, ms=8, zorder=3)
        ax.annotate(f"{d:+.1f}  ({lo:.1f} to {hi:.1f})", (hi, yi), xytext=(8, 0), textcoords="offset points",
                    va="center", fontsize=9)
    ax.axvline(0, color="#333", lw=1)
    values = [v for r in rows for v in r[1:4]]
    if mde:
        for m in (abs(mde), -abs(mde)):
            ax.axvline(m, color="#888", ls=":", lw=1)
        values += [abs(mde), -abs(mde)]
    lo, hi = _span(np.array(values or [0.0]), pad_right=0.6)
    ax.set_xlim(max(-200, lo), min(200, hi))
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    label = f"difference in NPS points with {100 * confidence_level:g}% interval"
    ax.set_xlabel(label + (f"; dotted: planned effect ±{abs(mde):g}" if mde else ""))
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title or "Effect of each treatment")
    fig.alt_text = f"{ax.get_title()}: " + "; ".join(
        f"{r[0].strip()} {r[1]:+.1f} ({r[2]:.1f} to {r[3]:.1f})" for r in rows
    )
    return fig


def score_distribution_chart(
    frame: Any,
    *,
    score: str,
    group: str,
    arms: Sequence[Any] | None = None,
    control: Any = None,
    title: str | None = None,
    levels: pd.DataFrame | None = None,
) -> Any:
    """The 0-10 answers per arm as grouped bars (% of each arm's answers), with the detractor,
    passive and promoter ranges shaded, so shifts inside a category are visible too.

    Drawn from the 11-level table per arm (``levels``: ``nps.experiment.arm_levels``, else
    computed here from ``frame``, a pandas frame, ``Table`` or engine table)."""
    from ...analyses.experiment import arm_levels

    dist = levels if levels is not None else arm_levels(frame, score=score, group=group)
    dist = dist.rename(columns={"group": group})
    dist[group] = dist[group].astype(str)
    order = [str(a) for a in (arms if arms is not None else dist[group])]
    dist = dist.set_index(group).reindex(order).fillna(0)
    shares = dist[list(range(11))].to_numpy(dtype=float)
    totals = shares.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, 100 * shares / np.maximum(totals, 1), 0.0)
    fig = new_figure(9, 3.8)
    ax = fig.subplots()
    for lo, hi, cat in ((-0.5, 6.5, "detractor"), (6.5, 8.5, "passive"), (8.5, 10.5, "promoter")):
        ax.axvspan(lo, hi, color=COLORS[cat], alpha=0.08, lw=0)
        ax.text((lo + hi) / 2, 1.0, f"{cat}s ({int(lo + 0.5)}-{int(hi - 0.5)})", transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=9, color=COLORS[cat])
    width = 0.8 / max(len(order), 1)
    colors = _arm_colors(order, control)
    for i, (label, color) in enumerate(zip(order, colors, strict=True)):
        x = np.arange(11) - 0.4 + width * (i + 0.5)
        ax.bar(x, shares[i], width=width, color=color, label=f"{label} (n = {int(totals[i, 0])})")
    ax.set_xticks(range(11))
    ax.set_xlim(-0.5, 10.5)
    ax.set_xlabel("answer (0-10)")
    ax.set_ylabel("% of the arm's answers")
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title or "Distribution of answers", pad=18)
    fig.alt_text = f"{ax.get_title()} 0 to 10, % per arm: " + "; ".join(
        f"{label}: " + ", ".join(f"{v:.0f}" for v in shares[i]) for i, label in enumerate(order)
    )
    return fig


def category_bars(arms: pd.DataFrame, *, title: str | None = None) -> Any:
    """Stacked 100% bars per arm: detractors, passives and promoters, NPS written at the end.

    Args:
        arms: one row per arm with ``group, detractors, passives, promoters`` (and ``nps``).
    """
    labels = [str(g) for g in arms["group"]]
    counts = arms[["detractors", "passives", "promoters"]].to_numpy(dtype=float)
    n = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(n > 0, 100 * counts / np.maximum(n, 1), 0.0)
    fig = new_figure(8, 0.6 * len(labels) + 1.5)
    ax = fig.subplots()
    y = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for j, cat in enumerate(("detractor", "passive", "promoter")):
        ax.barh(y, shares[:, j], left=left, color=COLORS[cat], height=0.6, label=f"{cat}s")
        for yi, x0, w in zip(y, left, shares[:, j], strict=True):
            if w >= 6:
                ax.text(x0 + w / 2, yi, f"{w:.0f}%", ha="center", va="center", fontsize=9,
                        color="white" if cat != "passive" else "black")
        left = left + shares[:, j]
    for yi, row in zip(y, arms.to_dict("records"), strict=True):
        nps = row.get("nps")
        if _finite(nps):
            ax.text(101, yi, f"NPS {nps:+.1f}", va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("% of answers")
    ax.legend(ncols=3, frameon=False, fontsize=9, loc="lower center", bbox_to_anchor=(0.43, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title or "Detractors, passives and promoters per arm", pad=26)
    fig.alt_text = f"{ax.get_title()}: " + "; ".join(
        f"{label} {shares[i, 0]:.0f}% / {shares[i, 1]:.0f}% / {shares[i, 2]:.0f}%" for i, label in enumerate(labels)
    )
    return fig


def segment_forest(segments: pd.DataFrame, *, title: str | None = None) -> Any:
    """Effects per segment (difference with interval); small segments drawn hollow, significant
    ones (after the multiplicity correction) filled dark.

    Args:
        segments: :func:`nps_analysis.experiment.segment_effects` output.
    """
    rows = segments[segments["difference"].notna()].reset_index(drop=True)
    fig = new_figure(8, 0.42 * max(len(rows), 1) + 1.5)
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    labels = []
    treatments = list(dict.fromkeys(rows["treatment"].astype(str)))
    palette = {t: ARM_COLORS[1 + i % (len(ARM_COLORS) - 1)] for i, t in enumerate(treatments)}
    for yi, r in zip(y, rows.to_dict("records"), strict=True):
        color = palette[str(r["treatment"])]
        ax.plot([r["ci_lower"], r["ci_upper"]], [yi, yi], color=color, lw=2, alpha=0.5 if r["small"] else 1)
        ax.plot(r["difference"], yi, "o", ms=7, zorder=3, color=color,
                markerfacecolor="white" if r["small"] else color)
        mark = " *" if r["significant"] else ""
        ax.annotate(f"{r['difference']:+.1f}{mark}", (r["ci_upper"], yi), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8)
        labels.append(f"{r['segment']} = {r['value']}: {r['treatment']}" + (" (small)" if r["small"] else ""))
    ax.axvline(0, color="#333", lw=1)
    if len(rows):
        lo, hi = _span(rows[["ci_lower", "ci_upper"]].to_numpy(dtype=float), pad_right=0.35)
        ax.set_xlim(max(-200, lo), min(200, hi))
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.set_xlabel("difference in NPS points (treatment - control); * significant after correction; hollow: small")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title or "Effect per segment")
    fig.alt_text = f"{ax.get_title()}: " + "; ".join(
        f"{label} {r['difference']:+.1f} ({r['ci_lower']:.1f} to {r['ci_upper']:.1f})"
        for label, r in zip(labels, rows.to_dict("records"), strict=True)
    )
    return fig


def _span(values: np.ndarray, *, pad_right: float = 0.3) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -100.0, 100.0
    lo, hi = float(finite.min()), float(finite.max())
    width = max(hi - lo, 10.0)
    return lo - 0.08 * width, hi + pad_right * width


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float, np.floating)) and math.isfinite(float(x))
