"""Seeded survey data with known driver weights and known comment-theme effects, for the drivers
and themes analyses, their tests and validation, and the bundled ``data/sample_drivers.csv``.

Model: six attribute ratings (1-5) share one common factor; the latent satisfaction is a known
linear combination of the drivers' latent values plus a shift for each comment theme mentioned
plus noise, cut into 0-10 answers with the kit's baseline distribution (``datasets``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .latent import BASELINE_DISTRIBUTION, cutpoints

#: Weights of the drivers' latent values in the latent satisfaction (true ranking: speed first,
#: ease last with weight 0).
DRIVER_WEIGHTS: dict[str, float] = {
    "speed": 0.32, "staff": 0.25, "product": 0.18, "price": 0.11, "billing": 0.06, "ease": 0.0,
}
#: Each driver's latent mean: speed and price are rated low, staff and ease high (performance).
DRIVER_PERFORMANCE: dict[str, float] = {
    "speed": -0.5, "staff": 0.4, "product": 0.0, "price": -0.3, "billing": 0.2, "ease": 0.3,
}
#: Correlation of the drivers' latent values (one common factor).
DRIVER_CORRELATION = 0.35
#: Rating cut points on the latent scale (1-5).
RATING_CUTS: tuple[float, ...] = (-1.4, -0.7, 0.1, 0.9)

#: Planted themes: share of comments mentioning each, and its latent shift (SD units).
THEME_SHARES: dict[str, float] = {
    "waiting time": 0.18, "staff attitude": 0.08, "friendly staff": 0.15, "price": 0.12,
    "billing": 0.07, "product quality": 0.10,
}
THEME_EFFECTS: dict[str, float] = {
    "waiting time": -0.6, "staff attitude": -0.8, "friendly staff": 0.5, "price": -0.3,
    "billing": -0.5, "product quality": -0.4,
}
LANGUAGE_SHARES: dict[str, float] = {"en": 0.55, "fr": 0.2, "de": 0.15, "es": 0.1}
TEAMS: tuple[str, ...] = ("North", "South", "East", "West")

#: Sentences that mention a theme (each holds a keyword of ``analyses.themes.THEME_KEYWORDS``).
THEME_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "waiting time": ("I had to wait far too long on the phone.", "The wait for the delivery was too long.",
                         "Long wait, the queue never moved."),
        "staff attitude": ("The agent was rude to me.", "Rude and unhelpful staff.",
                           "A rude, impolite person at the desk."),
        "friendly staff": ("Friendly and helpful staff.", "The technician was friendly and polite.",
                           "A very friendly team, always helpful."),
        "price": ("The price is much too expensive.", "The price went up again.",
                  "Too expensive, the price is higher than elsewhere."),
        "billing": ("My invoice was wrong.", "I was charged twice, the invoice is wrong.",
                    "The refund for my wrong invoice took a month."),
        "product quality": ("The app crashes all the time.", "The app broke after a week.",
                            "The app is full of bugs and crashes."),
    },
    "fr": {
        "waiting time": ("J'ai dû attendre trop longtemps.", "Une attente trop longue pour la livraison.",
                         "Une attente interminable au téléphone."),
        "staff attitude": ("Le conseiller était impoli.", "Personnel impoli et désagréable.",
                           "Un vendeur impoli et arrogant."),
        "friendly staff": ("Personnel très aimable.", "Accueil aimable et chaleureux.",
                           "Le technicien était aimable et serviable."),
        "price": ("Le prix est trop cher.", "Le prix a encore augmenté.",
                  "Trop cher, le prix est plus élevé qu'ailleurs."),
        "billing": ("Ma facture était fausse.", "On m'a facturé deux fois, la facture est fausse.",
                    "Erreur sur la facture."),
        "product quality": ("L'application plante tout le temps.",
                            "L'application est cassée au bout d'une semaine.",
                            "L'application est pleine de bugs."),
    },
    "de": {
        "waiting time": ("Ich musste viel zu lange warten.", "Die Wartezeit war zu lange.",
                         "Lange Wartezeit am Telefon."),
        "staff attitude": ("Der Mitarbeiter war unfreundlich.", "Unfreundlicher und unhöflicher Service.",
                           "Unfreundliches, arrogantes Personal."),
        "friendly staff": ("Sehr freundliches Personal.", "Freundlich und hilfsbereit.",
                           "Der Techniker war höflich und freundlich."),
        "price": ("Der Preis ist viel zu teuer.", "Der Preis ist gestiegen.", "Zu teuer, hohe Kosten."),
        "billing": ("Die Rechnung war falsch.", "Doppelt abgebucht, die Rechnung ist falsch.",
                    "Die Rückerstattung der Rechnung fehlt."),
        "product quality": ("Die App stürzt ständig ab.", "Die App war nach einer Woche kaputt.",
                            "Die App ist voller Fehler."),
    },
    "es": {
        "waiting time": ("Tuve que esperar demasiado.", "La espera fue demasiado larga.",
                         "Mucha espera al teléfono."),
        "staff attitude": ("El agente fue grosero.", "Personal grosero y maleducado.",
                           "Muy grosero y antipático."),
        "friendly staff": ("Personal muy amable.", "Atención amable y simpática.",
                           "El técnico fue muy amable y servicial."),
        "price": ("El precio es demasiado caro.", "El precio subió otra vez.",
                  "Demasiado caro, tarifas muy altas."),
        "billing": ("La factura estaba mal.", "Me cobraron dos veces en la factura.",
                    "Error en la factura y el recibo."),
        "product quality": ("La aplicación se cuelga siempre.", "La aplicación se rompió en una semana.",
                            "La aplicación está llena de fallos."),
    },
}
#: Comments that mention no theme, several of them negated keywords ("no complaints").
NEUTRAL_SENTENCES: dict[str, tuple[str, ...]] = {
    "en": ("No complaints.", "Nothing to add.", "All good, no problems.", "Not slow at all.",
           "Thanks for everything."),
    "fr": ("Pas de problème.", "Rien à signaler.", "Aucune plainte.", "Merci pour tout."),
    "de": ("Keine Probleme.", "Alles gut.", "Keine Beschwerden.", "Danke für alles."),
    "es": ("Sin problemas.", "Todo bien.", "Ninguna queja.", "Gracias por todo."),
}


def _check_shares(shares: Mapping[str, float], what: str) -> None:
    bad = [k for k, v in shares.items() if not 0 <= v <= 1]
    if bad:
        raise ValueError(f"{what}: shares must be in [0, 1]: {', '.join(bad)}")


def drivers_data(
    n: int = 2000,
    *,
    seed: int = 2031,
    weights: Mapping[str, float] | None = None,
    theme_shares: Mapping[str, float] | None = None,
    theme_effects: Mapping[str, float] | None = None,
    languages: Mapping[str, float] | None = None,
    comment_rate: float = 0.75,
    missing_rate: float = 0.02,
    contact_rate: float = 0.02,
    weeks: int = 12,
    start: str = "2026-08-03",
) -> pd.DataFrame:
    """Survey answers with known driver weights and known theme effects.

    Latent driver values ``xi_j = sqrt(rho) f + sqrt(1 - rho) e_j + performance_j`` (rho =
    :data:`DRIVER_CORRELATION`) are cut into 1-5 ratings at :data:`RATING_CUTS`. Latent
    satisfaction ``s = sum_j w_j xi_j + sum_t delta_t m_t + e``, where ``m_t`` says whether the
    comment mentions theme t (independently, with probability ``theme_shares[t]`` among
    commenters), ``delta_t = theme_effects[t]`` and the noise makes ``var(s) = 1``; ``s`` minus its
    mean is cut into 0-10 with the kit's baseline distribution. ``missing_rate`` of the
    ``billing`` ratings are blank (customers without bills), for the complete-case policy;
    ``contact_rate`` of the comments end with an invented phone number or e-mail address.

    Returns:
        Columns ``respondent_id``, ``submitted_at`` (UTC), ``team``, ``plan``, ``language``,
        ``score``, the driver ratings, ``comment``. ``attrs`` holds the truth: ``weights``,
        ``theme_effects`` and ``theme_shares``; :func:`planted_mentions` gives the planted
        themes of each comment.
    """
    rng = np.random.default_rng(seed)
    w = dict(DRIVER_WEIGHTS if weights is None else weights)
    shares = dict(THEME_SHARES if theme_shares is None else theme_shares)
    effects = dict(THEME_EFFECTS if theme_effects is None else theme_effects)
    langs = dict(LANGUAGE_SHARES if languages is None else languages)
    _check_shares(shares, "theme_shares")
    unknown = [t for t in shares if t not in THEME_SENTENCES["en"]]
    if unknown:
        raise ValueError(f"no sentences for theme(s) {', '.join(unknown)}")
    names = list(w)
    rho = DRIVER_CORRELATION
    factor = rng.standard_normal(n)
    latent = np.sqrt(rho) * factor[:, None] + np.sqrt(1 - rho) * rng.standard_normal((n, len(names)))
    perf = np.array([DRIVER_PERFORMANCE.get(d, 0.0) for d in names])
    ratings = 1 + np.searchsorted(np.asarray(RATING_CUTS), latent + perf)
    beta = np.array([w[d] for d in names])
    corr = np.full((len(names), len(names)), rho) + (1 - rho) * np.eye(len(names))
    lang_names = list(langs)
    lang_p = np.array([langs[k] for k in lang_names]) / sum(langs.values())
    language = rng.choice(lang_names, size=n, p=lang_p)
    commented = rng.random(n) < comment_rate
    themes = list(shares)
    mentions = (rng.random((n, len(themes))) < np.array([shares[t] for t in themes])) & commented[:, None]
    delta = np.array([effects.get(t, 0.0) for t in themes])
    var_drivers = float(beta @ corr @ beta)
    var_themes = float(np.sum(delta**2 * np.array([shares[t] for t in themes]) * comment_rate
                              * (1 - np.array([shares[t] for t in themes]) * comment_rate)))
    noise_var = 1.0 - var_drivers - var_themes
    if noise_var <= 0.05:
        raise ValueError("driver weights and theme effects explain all the variance; make them smaller")
    s = latent @ beta + mentions @ delta + np.sqrt(noise_var) * rng.standard_normal(n)
    s -= perf @ beta + comment_rate * float(delta @ np.array([shares[t] for t in themes]))
    score = np.searchsorted(cutpoints(BASELINE_DISTRIBUTION), s)
    comments = np.full(n, None, dtype=object)
    pick = rng.random((n, len(themes), 2))
    twice = rng.random((n, len(themes))) < 0.5
    contact = rng.random(n) < contact_rate
    for i in np.flatnonzero(commented):
        lang = language[i]
        parts = []
        for t in np.flatnonzero(mentions[i]):
            sentences = THEME_SENTENCES[lang][themes[t]]
            first = int(pick[i, t, 0] * len(sentences))
            parts.append(sentences[first])
            if twice[i, t]:
                second = (first + 1 + int(pick[i, t, 1] * (len(sentences) - 1))) % len(sentences)
                parts.append(sentences[second])
        if not parts:
            neutral = NEUTRAL_SENTENCES[lang]
            parts.append(neutral[int(pick[i, 0, 0] * len(neutral))])
        if contact[i]:
            # Invented contact details, so reports show that example comments are masked.
            parts.append(f"Call me on +44 20 7946 {i % 10000:04d}." if i % 2 else
                         f"Write to customer{i}@example.com.")
        comments[i] = " ".join(parts)
    frame = pd.DataFrame({
        "respondent_id": [f"R{i + 1:05d}" for i in range(n)],
        "submitted_at": pd.Timestamp(start, tz="UTC")
        + pd.to_timedelta(np.sort(rng.random(n)) * weeks * 7 * 86400, unit="s").round("s"),
        "team": rng.choice(TEAMS, size=n),
        "plan": rng.choice(["basic", "premium"], size=n, p=[0.7, 0.3]),
        "language": language,
        "score": score.astype(int),
    })
    for j, d in enumerate(names):
        frame[d] = ratings[:, j].astype(float)
    if "billing" in frame.columns and missing_rate > 0:
        frame.loc[rng.random(n) < missing_rate, "billing"] = np.nan
    frame["comment"] = comments
    frame.attrs.update(weights=w, theme_effects=effects, theme_shares=shares)
    return frame


def planted_mentions(frame: pd.DataFrame, comment: str = "comment") -> pd.DataFrame:
    """The planted themes of each comment of :func:`drivers_data` (booleans, one column per theme):
    a comment mentions theme t exactly when it contains one of t's sentences."""
    text = pd.Series(frame[comment].to_numpy(dtype=object)).fillna("").astype(str)
    out = {}
    for theme in THEME_SENTENCES["en"]:
        sentences = {s for lang in THEME_SENTENCES.values() for s in lang[theme]}
        out[theme] = text.map(lambda c, ss=sentences: any(s in c for s in ss)).to_numpy(dtype=bool)
    return pd.DataFrame(out, index=frame.index)


def drivers_sample() -> pd.DataFrame:
    """The bundled ``data/sample_drivers.csv`` (sample ``"drivers"``): 2,000 answers, seed 2031."""
    frame = drivers_data()
    frame.attrs.clear()
    return frame


def planted_theme_names() -> Sequence[str]:
    return tuple(THEME_SHARES)
