"""Agreement of recovered comment themes with the planted ones: keyword dictionaries (every
language) and TF-IDF + NMF discovery (English), over seeded samples of ``drivers_data``.

Run: ``PYTHONPATH=. python benchmarks/themes_recovery.py [--reps N] [--no-write]``; writes its
table into docs/validation.md (section ``themes-recovery``). Agreement per planted theme is the F1
score (2 |found and planted| / (|found| + |planted|)) of the best-matching recovered theme.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import VALIDATION, machine, markdown_table, write_section  # noqa: E402

from nps_analysis.analyses.themes import discover_themes, match_themes  # noqa: E402
from nps_analysis.samples.drivers import NEUTRAL_SENTENCES, drivers_data, planted_mentions  # noqa: E402


def best_f1(found: np.ndarray, planted: np.ndarray) -> float:
    sizes = found.sum(axis=0) + planted.sum()
    hits = (found & planted[:, None]).sum(axis=0)
    return float(np.max(np.where(sizes > 0, 2 * hits / np.maximum(sizes, 1), 0.0)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    t0 = time.time()
    k_planted = 6 + len(NEUTRAL_SENTENCES["en"])
    scores: dict[str, dict[str, list[float]]] = {}
    chosen_k = []
    neutral_ok: list[float] = []
    for r in range(args.reps):
        mixed = drivers_data(args.n, seed=100 + r)
        truth = planted_mentions(mixed)
        found = match_themes(mixed["comment"])
        neutral = mixed["comment"].notna().to_numpy() & ~truth.any(axis=1).to_numpy()
        neutral_ok.append(float(found["unthemed"].to_numpy()[neutral].mean()))
        for theme in truth:
            scores.setdefault("keywords, 4 languages", {}).setdefault(theme, []).append(
                best_f1(found[[theme]].to_numpy(), truth[theme].to_numpy()))
        english = drivers_data(args.n, seed=200 + r, languages={"en": 1.0})
        truth_en = planted_mentions(english)
        for label, k in ((f"NMF, English, n_themes={k_planted}", k_planted), ("NMF, English, n_themes='auto'", None)):
            disc = discover_themes(english["comment"], k, language="en", random_state=r)
            if k is None:
                chosen_k.append(disc.n_themes)
            for theme in truth_en:
                scores.setdefault(label, {}).setdefault(theme, []).append(
                    best_f1(disc.membership, truth_en[theme].to_numpy()))
    themes = list(next(iter(scores.values())))
    rows = [[label, *(f"{np.mean(v[t]):.2f}" for t in themes)] for label, v in scores.items()]
    body = "\n".join([
        "## Comment themes: recovery of planted themes (`benchmarks/themes_recovery.py`)",
        "",
        f"`PYTHONPATH=. python benchmarks/themes_recovery.py --reps {args.reps}`; {machine()}; "
        f"{time.time() - t0:.0f} s. Mean F1 of the best-matching recovered theme over {args.reps} "
        f"samples of {args.n:,} answers (about 75% comment). The English samples hold 6 planted themes "
        f"and 5 recurring neutral sentences ({k_planted} word groups). Neutral comments, several of "
        "them negated keywords (\"No complaints.\", \"Not slow at all.\", \"Pas de problème.\", "
        "\"Keine Probleme.\", \"Sin problemas.\"), left unthemed by the keyword dictionaries: "
        f"{100 * np.mean(neutral_ok):.1f}%.",
        "",
        markdown_table(["method", *themes], rows),
        "",
        f"'auto' chose n_themes = {', '.join(map(str, sorted(set(chosen_k))))} (the knee of the "
        "reconstruction error): fewer than the word groups present, so themes merge; give "
        "`n_themes` when the number of topics is roughly known.",
    ])
    print(body)
    if not args.no_write:
        print(f"written to {write_section(VALIDATION, 'themes-recovery', body)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
