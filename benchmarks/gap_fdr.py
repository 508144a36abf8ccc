"""Simulation checks of the survey-gap statistics: false discovery rate across items under no gap,
rank-test size when spreads differ, power with real gaps, interval coverage, paired-test size.

Run: ``PYTHONPATH=. python benchmarks/gap_fdr.py [--reps N] [--no-write]``; prints the tables and
writes them into docs/validation.md (section ``survey-gap``). Everything is seeded.

Surveys are simulated as answer counts per item (the sufficient statistics the rank tests use),
vectorized over replicates: a respondent's 1-5 answers come from a latent normal with a respondent
effect (correlation 0.3 between items), cut at fixed cutpoints.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import VALIDATION, write_section  # noqa: E402

from nps_analysis.analyses.gap import bootstrap_means, item_pvalues  # noqa: E402
from nps_analysis.samples import BASELINE_AGREEMENT, cutpoints, dominance, ordinal_probabilities  # noqa: E402
from nps_analysis.stats.intervals import newcombe_interval  # noqa: E402
from nps_analysis.stats.ranks import cliff_interval, rank_statistics, signed_rank  # noqa: E402

CUTS = cutpoints(BASELINE_AGREEMENT)
M_ITEMS = 20
N_CUSTOMERS = 300
Q = 0.05
#: Monte Carlo permutations where exact enumeration is too large (company n 24-49): p-values down to
#: 1/2000, below the 0.05/20 that Benjamini-Hochberg needs for its first rejection.
N_PERM = 1999


def pvalues(comp, cust, test):
    return item_pvalues(comp, cust, test=test, n_permutations=N_PERM, random_state=99)


def survey_counts(rng, reps, n, shifts, spread=1.0, correlation=0.3, chunk=400):
    """(reps, items, 5) answer counts; item j's latent is N(shifts[j], spread^2)."""
    shifts = np.asarray(shifts, float)
    out = np.empty((reps, len(shifts), 5))
    for start in range(0, reps, chunk):
        r = min(chunk, reps - start)
        common = rng.standard_normal((r, n, 1))
        own = rng.standard_normal((r, n, len(shifts)))
        latent = shifts + spread * (math.sqrt(correlation) * common + math.sqrt(1 - correlation) * own)
        answers = np.searchsorted(CUTS, latent.ravel()).reshape(latent.shape)
        out[start:start + r] = np.stack([(answers == k).sum(1) for k in range(5)], axis=-1)
    return out


def bh_reject(p, q=Q):
    """Benjamini-Hochberg step-up, vectorized over rows (checked against statsmodels below)."""
    m = p.shape[-1]
    order = np.sort(p, axis=-1)
    below = order <= q * np.arange(1, m + 1) / m
    k = np.where(below.any(-1), m - np.argmax(below[..., ::-1], axis=-1), 0)
    threshold = np.take_along_axis(order, np.maximum(k - 1, 0)[..., None], -1)[..., 0]
    return (p <= threshold[..., None]) & (k[..., None] > 0)


def holm_reject(p, q=Q):
    m = p.shape[-1]
    idx = np.argsort(p, axis=-1)
    sp = np.take_along_axis(p, idx, -1)
    ok = np.cumprod(sp <= q / (m - np.arange(m)), axis=-1).astype(bool)
    out = np.zeros_like(ok)
    np.put_along_axis(out, idx, ok, -1)
    return out


def se(p, reps):
    return 100 * math.sqrt(max(p * (1 - p), 0.05 * 0.95) / reps)


def variance_ratio_rule(comp, cust, threshold=2.0):
    """The design auto does NOT use: Mann-Whitney unless the answer variances differ by >= threshold."""
    levels = np.arange(5.0)

    def var(c):
        n = c.sum(-1)
        mean = (c * levels).sum(-1) / n
        return (c * (levels - mean[..., None]) ** 2).sum(-1) / (n - 1)

    v1, v2 = var(comp), var(cust)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.maximum(v1, v2) == 0, 1.0, np.maximum(v1, v2) / np.minimum(v1, v2))
    mw = item_pvalues(comp, cust, test="mann-whitney")
    bm = item_pvalues(comp, cust, test="brunner-munzel")
    return np.where(ratio >= threshold, bm, mw)


def fdr_table(reps, perm_reps, seed=11):
    """Complete null: identical answer distributions on both sides for all 20 items."""
    from statsmodels.stats.multitest import multipletests

    rows = []
    for n_company in (15, 30, 100):
        reps_here = perm_reps if n_company < 50 else reps
        rng = np.random.default_rng(seed + n_company)
        shifts = np.linspace(-0.5, 0.5, M_ITEMS)
        comp = survey_counts(rng, reps_here, n_company, shifts)
        cust = survey_counts(rng, reps_here, N_CUSTOMERS, shifts)
        for test in ("mann-whitney", "brunner-munzel", "auto"):
            p = pvalues(comp, cust, test)
            bh = bh_reject(p)
            for i in range(min(reps_here, 50)):  # the vectorized BH is statsmodels' BH
                assert (bh[i] == multipletests(p[i], alpha=Q, method="fdr_bh")[0]).all()
            rows.append({
                "n_company": n_company, "test": test, "reps": reps_here,
                "uncorrected": float((p <= Q).any(-1).mean()),
                "fdr_bh": float(bh.any(-1).mean()),
                "holm": float(holm_reject(p).any(-1).mean()),
                "item_size": float((p <= Q).mean()),
            })
    lines = [
        f"Complete null (no gap on any of {M_ITEMS} correlated items, customers n = {N_CUSTOMERS}). With "
        "every item null, FDR = P(at least one false 'gap'). Target 5%. `auto` = Brunner-Munzel: the "
        "permutation version below 50 company answers (exact enumeration up to 23, else 1,999 "
        "relabellings), the t approximation from 50.",
        "",
        "| company n | test | replicates | per-item size | FDR, Benjamini-Hochberg | FWER, Holm | any false alarm, uncorrected |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n_company']} | {r['test']} | {r['reps']} | {100 * r['item_size']:.2f}% | "
            f"{100 * r['fdr_bh']:.2f}% (±{1.96 * se(r['fdr_bh'], r['reps']):.1f}) | "
            f"{100 * r['holm']:.2f}% | {100 * r['uncorrected']:.1f}% |"
        )
    return "\n".join(lines), rows


def spread_table(reps, perm_reps, seed=12):
    """No gap in P(X > Y) = P(X < Y) but different spreads: symmetric latent, symmetric cutpoints."""
    global CUTS
    saved, CUTS = CUTS, np.array([-1.2, -0.4, 0.4, 1.2])  # symmetric: both answer laws symmetric about 3
    rows = []
    try:
        for n_company, company_spread in ((15, 2.0), (30, 2.0), (30, 0.5), (100, 0.5)):
            reps_here = perm_reps if n_company < 50 else reps
            rng = np.random.default_rng(seed + n_company)
            shifts = np.zeros(M_ITEMS)
            comp = survey_counts(rng, reps_here, n_company, shifts, spread=company_spread)
            cust = survey_counts(rng, reps_here, N_CUSTOMERS, shifts)
            row = {"n_company": n_company, "spread": company_spread, "reps": reps_here}
            for test in ("mann-whitney", "brunner-munzel", "auto", "ratio-rule"):
                p = variance_ratio_rule(comp, cust) if test == "ratio-rule" else pvalues(comp, cust, test)
                row[test] = (float((p <= Q).mean()), float(bh_reject(p).any(-1).mean()))
            rows.append(row)
    finally:
        CUTS = saved
    lines = [
        "No gap in stochastic dominance (P(customer > company) = P(customer < company)) but the company's "
        f"latent spread differs; per-item size at 5% / FDR (BH, {M_ITEMS} items). `ratio rule` = Mann-Whitney "
        "unless the answer variances differ by 2x or more (the design `auto` rejects).",
        "",
        "| company n | company spread | replicates | Mann-Whitney | Brunner-Munzel (t) | auto | ratio rule |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [f"{100 * r[t][0]:.2f}% / {100 * r[t][1]:.1f}%"
                 for t in ("mann-whitney", "brunner-munzel", "auto", "ratio-rule")]
        lines.append(f"| {r['n_company']} | {r['spread']:g} | {r['reps']} | " + " | ".join(cells) + " |")
    return "\n".join(lines), rows


def partial_null_table(reps, perm_reps, seed=13):
    """5 of 20 items have a real gap (company latent +0.6, spread 0.7); FDR = E[V / max(R, 1)]."""
    rows = []
    for n_company in (15, 30, 100):
        reps_here = perm_reps if n_company < 50 else reps
        rng = np.random.default_rng(seed + n_company)
        shifts = np.linspace(-0.5, 0.5, M_ITEMS)
        inflation = np.zeros(M_ITEMS)
        inflation[::4] = 0.6
        comp = survey_counts(rng, reps_here, n_company, shifts + inflation, spread=np.where(inflation > 0, 0.7, 1.0))
        cust = survey_counts(rng, reps_here, N_CUSTOMERS, shifts)
        for test in ("mann-whitney", "auto"):
            p = pvalues(comp, cust, test)
            rej = bh_reject(p)
            false = rej[..., inflation == 0].sum(-1)
            total = rej.sum(-1)
            fdp = np.where(total > 0, false / np.maximum(total, 1), 0.0)
            rows.append({"n_company": n_company, "test": test, "reps": reps_here, "fdr": float(fdp.mean()),
                         "power": float(rej[..., inflation > 0].mean())})
    lines = [
        f"Partial null: 5 of {M_ITEMS} items have a real gap (company latent +0.6 SD, spread 0.7), "
        "15 none; Benjamini-Hochberg at 5%. FDR = mean false discovery proportion.",
        "",
        "| company n | test | replicates | FDR | power per real gap |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['n_company']} | {r['test']} | {r['reps']} | {100 * r['fdr']:.2f}% | {100 * r['power']:.1f}% |")
    return "\n".join(lines), rows


def coverage_table(reps, seed=14):
    """Coverage of the item intervals for an item with a real gap (true values from the latent model)."""
    from scipy.stats import t as student_t

    levels = np.arange(1, 6, dtype=float)
    rows = []
    for n_company, inflation in ((10, 0.8), (30, 0.8), (30, 0.0), (100, 0.3)):
        rng = np.random.default_rng(seed + n_company)
        spread = 0.7 if inflation else 1.0
        p_comp = ordinal_probabilities(inflation, spread, BASELINE_AGREEMENT)
        p_cust = ordinal_probabilities(0.0, 1.0, BASELINE_AGREEMENT)
        comp = rng.multinomial(n_company, p_comp, size=reps).astype(float)
        cust = rng.multinomial(N_CUSTOMERS, p_cust, size=reps).astype(float)
        true_gap = float(p_cust @ levels - p_comp @ levels)
        true_tb = float(p_cust[-1] - p_comp[-1])
        true_delta = dominance(p_cust, p_comp)
        lo, hi = newcombe_interval(cust[:, -1], N_CUSTOMERS, comp[:, -1], n_company)
        tb_cov = np.mean((lo <= true_tb) & (true_tb <= hi))
        st = rank_statistics(comp, cust)
        dlo, dhi = cliff_interval(st.delta, st.delta_variance, n_company + N_CUSTOMERS - 2, 0.95)
        defined = ~np.isnan(dlo)
        d_cov = np.mean((dlo[defined] <= true_delta) & (true_delta <= dhi[defined]))
        m1, m2 = comp @ levels / n_company, cust @ levels / N_CUSTOMERS
        v1 = (comp * (levels - m1[:, None]) ** 2).sum(1) / (n_company - 1)
        v2 = (cust * (levels - m2[:, None]) ** 2).sum(1) / (N_CUSTOMERS - 1)
        s = np.sqrt(v1 / n_company + v2 / N_CUSTOMERS)
        df = s**4 / ((v1 / n_company) ** 2 / (n_company - 1) + (v2 / N_CUSTOMERS) ** 2 / (N_CUSTOMERS - 1))
        q = student_t.ppf(0.975, df)
        w_ok = s > 0
        w_cov = np.mean((m2 - m1 - q * s <= true_gap)[w_ok] & (true_gap <= m2 - m1 + q * s)[w_ok])
        rows.append({"n_company": n_company, "inflation": inflation, "true_gap": true_gap, "welch": w_cov,
                     "newcombe": tb_cov, "cliff": d_cov, "cliff_defined": float(defined.mean())})
    lines = [
        f"Coverage of nominal 95% intervals for one item, customers n = {N_CUSTOMERS}, {reps} replicates "
        "(true values exact from the latent model).",
        "",
        "| company n | true mean gap | Welch (mean gap) | Newcombe (top-box gap) | Cliff's delta (Feng & Cliff, t) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        extra = "" if r["cliff_defined"] == 1 else f" ({100 * r['cliff_defined']:.1f}% defined)"
        lines.append(
            f"| {r['n_company']} | {r['true_gap']:+.3f} | {100 * r['welch']:.1f}% | {100 * r['newcombe']:.1f}% | "
            f"{100 * r['cliff']:.1f}%{extra} |"
        )
    return "\n".join(lines), rows


def bootstrap_table(reps, seed=15, n_boot=1000):
    """Coverage of the dimension bootstrap interval (3 items, company n 30, customers n 300)."""
    rng = np.random.default_rng(seed)
    levels = np.arange(1, 6, dtype=float)
    shifts_c = np.array([0.8, 0.6, 0.0])
    p = [ordinal_probabilities(s, 0.7 if s else 1.0, BASELINE_AGREEMENT) @ levels for s in shifts_c]
    q = [ordinal_probabilities(0.0, 1.0, BASELINE_AGREEMENT) @ levels] * 3
    truth = float(np.mean(q) - np.mean(p))
    hits = 0
    for _ in range(reps):
        scores = []
        for n, shifts, spread in ((30, shifts_c, np.where(shifts_c > 0, 0.7, 1.0)), (N_CUSTOMERS, np.zeros(3), 1.0)):
            latent = shifts + spread * (math.sqrt(0.3) * rng.standard_normal((n, 1)) + math.sqrt(0.7) * rng.standard_normal((n, 3)))
            answers = 1 + np.searchsorted(CUTS, latent.ravel()).reshape(latent.shape).astype(float)
            scores.append(answers.mean(1, keepdims=True))
        boot = bootstrap_means(scores[1], n_boot, rng) - bootstrap_means(scores[0], n_boot, rng)
        lo, hi = np.quantile(boot[:, 0], [0.025, 0.975])
        hits += lo <= truth <= hi
    cov = hits / reps
    return (f"Dimension gap (3 items, company n 30, customers n {N_CUSTOMERS}, percentile bootstrap, "
            f"{n_boot} resamples): coverage of the nominal 95% interval {100 * cov:.1f}% "
            f"(±{1.96 * se(cov, reps):.1f}) over {reps} replicates; true gap {truth:+.3f}."), cov


def paired_table(reps, seed=16):
    """Size of Wilcoxon signed-rank (Pratt) under symmetric differences and t-interval coverage."""
    rng = np.random.default_rng(seed)
    lines = ["| pairs n | Wilcoxon-Pratt size at 5% | t interval coverage |", "|---|---|---|"]
    out = []
    for n in (15, 40, 150):
        # differences of two exchangeable 1-7 answers: symmetric about 0, many zeros
        a = rng.integers(1, 8, size=(reps, n))
        b = np.where(rng.random((reps, n)) < 0.4, a, rng.integers(1, 8, size=(reps, n)))
        d = b - a
        mags = np.arange(1, 7)
        pos = np.stack([(d == m).sum(1) for m in mags], -1)
        neg = np.stack([(d == -m).sum(1) for m in mags], -1)
        _, _, p = signed_rank(pos, neg, (d == 0).sum(1))
        from scipy.stats import t as student_t

        mean, sd = d.mean(1), d.std(1, ddof=1)
        half = student_t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        cov = float(np.mean((mean - half <= 0) & (0 <= mean + half)))
        size = float(np.mean(p <= 0.05))
        out.append((n, size, cov))
        lines.append(f"| {n} | {100 * size:.2f}% (±{1.96 * se(size, reps):.1f}) | {100 * cov:.1f}% |")
    return "Paired design (same respondents), no gap:\n\n" + "\n".join(lines), out


def superior_table(reps, seed=17):
    """Size of the superior-service test (auto: z or Fisher) when both shares are equal."""
    from scipy.stats import fisher_exact, norm

    rng = np.random.default_rng(seed)
    lines = ["| company n | true share | rejections at 5% |", "|---|---|---|"]
    out = []
    for n1, p in ((10, 0.3), (30, 0.2), (30, 0.5)):
        x1 = rng.binomial(n1, p, reps)
        x2 = rng.binomial(N_CUSTOMERS, p, reps)
        rejections = 0
        for a, b in zip(x1, x2, strict=True):
            total = n1 + N_CUSTOMERS
            exp_min = min(n1, N_CUSTOMERS) * min(a + b, total - a - b) / total
            if exp_min >= 5:
                pooled = (a + b) / total
                s = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / N_CUSTOMERS))
                pv = 1.0 if s == 0 else 2 * norm.sf(abs(b / N_CUSTOMERS - a / n1) / s)
            else:
                pv = fisher_exact([[b, N_CUSTOMERS - b], [a, n1 - a]]).pvalue
            rejections += pv <= 0.05
        out.append((n1, p, rejections / reps))
        lines.append(f"| {n1} | {100 * p:.0f}% | {100 * rejections / reps:.2f}% |")
    return ("Superior-service headline, no difference (customers n = 300, auto test):\n\n" + "\n".join(lines)), out


def speed_table(seed=18):
    """Count-based rank tests (what survey_gap does) against scipy on rows, same numbers."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    n1, n2, m = 200, 5000, 25
    comp = rng.integers(1, 6, size=(n1, m))
    cust = rng.integers(1, 6, size=(n2, m))
    t0 = time.perf_counter()
    for _ in range(20):
        c = np.stack([(comp == k).sum(0) for k in range(1, 6)], -1)
        d = np.stack([(cust == k).sum(0) for k in range(1, 6)], -1)
        ours = rank_statistics(c, d)
    t_counts = (time.perf_counter() - t0) / 20
    t0 = time.perf_counter()
    ref = [stats.brunnermunzel(comp[:, j], cust[:, j]).pvalue for j in range(m)]
    ref_mw = [stats.mannwhitneyu(cust[:, j], comp[:, j], method="asymptotic").pvalue for j in range(m)]
    t_rows = time.perf_counter() - t0
    assert np.allclose(ours.bm_pvalue, ref) and np.allclose(ours.mw_pvalue, ref_mw)
    return (f"Speed: {m} items, {n1} + {n2} respondents: Mann-Whitney + Brunner-Munzel + Cliff's delta from "
            f"counts {1000 * t_counts:.1f} ms vs scipy on rows (MW + BM only) {1000 * t_rows:.1f} ms: "
            f"ratio {t_rows / t_counts:.1f}x, identical p-values."), t_rows / t_counts


def bm_t_table(reps, seed=14):
    """Issue 14: the Brunner-Munzel t approximation alone, complete null, many replicates."""
    rows = []
    for n_company in (10, 15, 20, 30, 50, 100):
        rng = np.random.default_rng(seed + n_company)
        shifts = np.linspace(-0.5, 0.5, M_ITEMS)
        comp = survey_counts(rng, reps, n_company, shifts)
        cust = survey_counts(rng, reps, N_CUSTOMERS, shifts)
        p = item_pvalues(comp, cust, test="brunner-munzel")
        fdr = float(bh_reject(p).any(-1).mean())
        size = float((p <= Q).mean())
        tail = float((p <= Q / M_ITEMS).mean())
        rows.append((n_company, size, tail, fdr))
    lines = [
        f"`test=\"brunner-munzel\"` (t approximation) under the complete null ({M_ITEMS} correlated items, "
        f"customers n = {N_CUSTOMERS}), {reps} replicates per company n, seed {seed} + n. The FDR of "
        "Benjamini-Hochberg is decided by p-values near 0.05/20 = 0.0025, where the t approximation is "
        "liberal at small company n.",
        "",
        "| company n | per-item size at 5% | per-item P(p <= 0.0025) (nominal 0.25%) | FDR, Benjamini-Hochberg (target 5%) |",
        "|---|---|---|---|",
    ]
    for n_company, size, tail, fdr in rows:
        lines.append(f"| {n_company} | {100 * size:.2f}% | {100 * tail:.3f}% | {100 * fdr:.2f}% (±{1.96 * se(fdr, reps):.2f}) |")
    return "\n".join(lines), rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only-bm-t", action="store_true",
                        help="only the Brunner-Munzel t FDR table (issue 14), section survey-gap-bm-t")
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--perm-reps", type=int, default=1000,
                        help="replicates of the designs with a small company side (exact permutation tests)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.only_bm_t:
        text, _ = bm_t_table(args.reps)
        elapsed = time.perf_counter() - started
        body = ("## Survey gap: Brunner-Munzel t approximation at small n (issue 14)\n\n"
                f"`PYTHONPATH=. python benchmarks/gap_fdr.py --only-bm-t --reps {args.reps}` ({elapsed:.0f} s). "
                "± = 1.96 Monte Carlo standard errors.\n\n" + text)
        print(body)
        if not args.no_write:
            print(f"written to {write_section(VALIDATION, 'survey-gap-bm-t', body)}")
        return 0
    parts = []
    for title, fn, kwargs in (
        ("False discovery rate under no gap", fdr_table, {"reps": args.reps, "perm_reps": args.perm_reps}),
        ("Unequal spreads, no gap", spread_table, {"reps": args.reps, "perm_reps": args.perm_reps}),
        ("Real gaps among nulls", partial_null_table, {"reps": args.reps, "perm_reps": args.perm_reps}),
        ("Interval coverage", coverage_table, {"reps": args.reps}),
        ("Dimension bootstrap", bootstrap_table, {"reps": max(200, args.reps // 10)}),
        ("Paired design", paired_table, {"reps": args.reps}),
        ("Superior-service test", superior_table, {"reps": args.reps}),
        ("Speed", speed_table, {}),
    ):
        text, _ = fn(**kwargs)
        parts.append(f"### {title}\n\n{text}\n")
        print(f"## {title}\n{text}\n", flush=True)
    elapsed = time.perf_counter() - started
    body = (
        "## Survey gap (`nps.survey_gap`, `paired_gap`, `superior_service`)\n\n"
        f"`PYTHONPATH=. python benchmarks/gap_fdr.py --reps {args.reps} --perm-reps {args.perm_reps}` "
        f"({elapsed:.0f} s). "
        "Answers 1-5 from a latent normal (respondent effect, correlation 0.3 between items). "
        "± = 1.96 Monte Carlo standard errors.\n\n" + "\n".join(parts)
    )
    if not args.no_write:
        print(f"written to {write_section(VALIDATION, 'survey-gap', body)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
