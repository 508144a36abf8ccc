"""Comment themes and what they cost in NPS: keyword dictionaries per language with negation
handling, theme discovery with TF-IDF + NMF, and each theme's NPS difference with an interval.

A theme's impact is the NPS of those who mention it minus the NPS of those who do not: an
association, never a cause; "fixing" it is bounded by its share times that gap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError, masked_error
from ..sources.privacy import known_personal_values, mask_text
from ..sources.results import ResultMixin
from ..sources.scores import parse_scores
from ..stats.compare import compare
from ..stats.multiplicity import adjust_pvalues, correction_method
from ..stats.scoring import NPSCounts, wilson_limits
from .alerts import DEFAULT_THEMES, keyword_pattern
from .tracking import assign_periods

UNTHEMED = "unthemed"
LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es")

#: Keyword dictionaries per language (``*`` at the end matches any ending, phrases match with any
#: whitespace; see ``tracking.keyword_pattern``). English contains every theme and keyword of
#: ``tracking.DEFAULT_THEMES`` so results agree with ``comment_themes``.
THEME_KEYWORDS: dict[str, dict[str, list[str]]] = {
    "en": {
        **{k: list(v) for k, v in DEFAULT_THEMES.items()},
        "complaint handling": ["complain*", "complaint*", "problem*", "issue*", "unresolved",
                               "escalat*"],
    },
    "fr": {
        "waiting time": ["attend*", "attente*", "lent", "lente*", "lents", "retard*", "délai*",
                         "rappel*"],
        "staff attitude": ["impoli*", "désagréable*", "arrogant*", "grossier*", "méprisant*",
                           "pas à l'écoute"],
        "friendly staff": ["aimable*", "sympathique*", "serviable*", "chaleureu*", "poli", "polie*",
                           "polis", "gentil*", "accueillant*"],
        "price": ["prix", "cher", "chère*", "chers", "tarif*", "coût*"],
        "billing": ["factur*", "prélèvement*", "rembours*", "débit*"],
        "product quality": ["plante", "planté*", "plantage*", "cassé*", "panne*", "bug*", "défaut*",
                            "défectueu*"],
        "speed": ["rapide*", "rapidement", "vite"],
        "broken promise": ["promis*", "jamais reçu"],
        "complaint handling": ["plainte*", "réclamation*", "problème*", "souci*"],
    },
    "de": {
        "waiting time": ["wart*", "langsam*", "verspätung*", "verzöger*", "warteschleife*"],
        "staff attitude": ["unfreundlich*", "unhöflich*", "arrogant*", "frech*", "nicht zugehört"],
        "friendly staff": ["freundlich*", "hilfsbereit*", "nett", "nette*", "höflich*", "kompetent*"],
        "price": ["preis*", "teuer*", "kosten*", "gebühr*"],
        "billing": ["rechnung*", "abgebucht", "abbuchung*", "rückerstattung*", "erstattung*"],
        "product quality": ["stürzt*", "absturz*", "kaputt*", "defekt*", "fehler*",
                            "funktioniert nicht"],
        "speed": ["schnell*", "zügig*"],
        "broken promise": ["versprochen*", "nie erhalten"],
        "complaint handling": ["beschwerde*", "reklamation*", "problem*"],
    },
    "es": {
        "waiting time": ["esper*", "demora*", "lento*", "lenta*", "retraso*", "cola", "colas"],
        "staff attitude": ["grosero*", "grosera*", "maleducad*", "antipátic*", "arrogante*",
                           "descortés"],
        "friendly staff": ["amable*", "simpátic*", "servicial*", "atento*", "atenta*"],
        "price": ["precio*", "caro", "cara", "caros", "caras", "tarifa*", "costo*", "coste*"],
        "billing": ["factur*", "cobr*", "reembolso*", "recibo*"],
        "product quality": ["se cuelga", "fallo*", "avería*", "roto", "rota", "rompió", "rompe*",
                            "defectuos*"],
        "speed": ["rápid*", "rapidez"],
        "broken promise": ["prometi*", "nunca llegó"],
        "complaint handling": ["queja*", "reclamación*", "problema*"],
    },
}

#: Words that negate a keyword that follows within :data:`NEGATION_WINDOW` words in the same
#: clause ("no complaints", "pas de problème", "keine Probleme", "sin problemas").
NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"no", "not", "never", "without", "none", "nothing", "nor", "neither",
                     "hardly", "zero"}),
    "fr": frozenset({"pas", "ne", "n'", "sans", "aucun", "aucune", "jamais", "ni", "rien"}),
    "de": frozenset({"kein", "keine", "keinen", "keinem", "keiner", "keines", "nicht", "nie",
                     "niemals", "ohne", "weder"}),
    "es": frozenset({"no", "sin", "nunca", "ningún", "ninguno", "ninguna", "ni", "jamás",
                     "tampoco"}),
}
#: A negation reaches a keyword at most this many words later.
NEGATION_WINDOW = 3
#: Words that end a negation's scope (besides punctuation).
CLAUSE_BREAKS = frozenset({"but", "however", "although", "mais", "cependant", "aber", "jedoch",
                           "sondern", "pero", "sino"})

#: Stop words for theme discovery (English: scikit-learn's list; short lists for the others).
STOP_WORDS_EXTRA: dict[str, frozenset[str]] = {
    "fr": frozenset("""au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les
        leur lui ma mais me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se
        ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été était étais
        est sont ai as avons avez ont a très tout tous toute trop plus fait bien encore deux fois
        ça cela ceci""".split()),
    "de": frozenset("""aber alle als am an auch auf aus bei bin bis da dann das dass dem den der des
        die doch du ein eine einem einen einer eines er es für hat hatte hatten ich ihr im in ist
        ja mit mich mir nach nicht noch nur oder sehr sie sind so über um und uns von vor war
        waren was wie wir zu zum zur viel zu immer""".split()),
    "es": frozenset("""a al algo con de del el ella ellos en era es esta está este esto estoy fue
        ha han hay la las le les lo los me mi muy más no nos o otra otro para pero por que qué se
        sin su sus también te tu un una uno y ya yo dos vez siempre""".split()),
}

_TOKEN = re.compile(r"[\w']+", flags=re.UNICODE)
_CLAUSE_END = re.compile(r"[.;:!?,\n()]")


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs``: pandas deep-copies them on every column access, which
    costs seconds when a loader attached per-row metadata."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


# ------------------------------------------------------------------------------ keywords


def _languages(language: str | Sequence[str]) -> list[str]:
    langs = list(LANGUAGES) if language in ("auto", "all") else (
        [language] if isinstance(language, str) else list(language))
    bad = [lang for lang in langs if lang not in LANGUAGES]
    if bad:
        raise NPSInputError(f"language must be one of {', '.join(LANGUAGES)} or 'auto', got {bad[0]!r}")
    return langs


def theme_dictionary(language: str | Sequence[str] = "en") -> dict[str, list[str]]:
    """The keyword dictionary for one language, or the union per theme of several ("auto")."""
    out: dict[str, list[str]] = {}
    for lang in _languages(language):
        for theme, words in THEME_KEYWORDS[lang].items():
            out.setdefault(theme, [])
            out[theme] += [w for w in words if w not in out[theme]]
    return out


def _is_negator(token: str, negators: frozenset[str]) -> bool:
    t = token.lower()
    return t in negators or t.endswith("n't") or (t.startswith("n'") and "n'" in negators)


def is_negated(text: str, start: int, negators: frozenset[str], window: int = NEGATION_WINDOW) -> bool:
    """True when a negation word stands at most ``window`` words before position ``start`` in the
    same clause (a clause ends at punctuation or a contrastive word such as "but")."""
    prefix = text[max(0, start - 200):start]
    cut = [m.end() for m in _CLAUSE_END.finditer(prefix)]
    if cut:
        prefix = prefix[cut[-1]:]
    tokens = _TOKEN.findall(prefix)
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i].lower() in CLAUSE_BREAKS:
            tokens = tokens[i + 1:]
            break
    return any(_is_negator(t, negators) for t in tokens[-window:])


def match_themes(
    texts: pd.Series | Sequence[Any],
    themes: Mapping[str, Sequence[str]] | None = None,
    *,
    language: str | Sequence[str] = "auto",
    negation: bool = True,
) -> pd.DataFrame:
    """Which themes each comment mentions (booleans, one column per theme, plus ``unthemed``).

    A comment mentions a theme when one of its keywords matches as a whole word
    (:func:`tracking.keyword_pattern`) and, with ``negation``, at least one match is not negated:
    a negation word of the language(s) (:data:`NEGATIONS`, or any word ending in "n't") within
    :data:`NEGATION_WINDOW` words before it in the same clause cancels it ("no complaints",
    "not slow at all", "pas de problème", "keine Probleme", "sin problemas"). A keyword that
    itself contains a negation word ("no waiting", "did not listen") is never cancelled.
    ``unthemed`` is a non-empty comment with no theme; empty comments mention nothing.

    Args:
        themes: ``{theme: [keywords]}`` (default: :func:`theme_dictionary` of ``language``).
        language: ``"en"``, ``"fr"``, ``"de"``, ``"es"``, a list of them, or ``"auto"`` (every
            dictionary and negation list at once: mixed-language exports need no detection).
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    series = pd.Series(series.to_numpy(dtype=object), index=series.index)  # drop attrs (see _without_attrs)
    body = series.where(series.notna(), "").astype(str).str.strip()
    themes = dict(theme_dictionary(language) if themes is None else themes)
    if UNTHEMED in themes:
        raise NPSInputError(f"{UNTHEMED!r} is reserved for comments that match no theme")
    negators = frozenset().union(*(NEGATIONS[lang] for lang in _languages(language)))
    neg_any = re.compile(r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, negators))) + r")(?!\w)|n't",
                         flags=re.IGNORECASE)
    has_neg = body.str.contains(neg_any, regex=True).to_numpy() if negation else np.zeros(len(body), bool)
    out = {}
    for name, words in themes.items():
        pattern = keyword_pattern(words)
        hits = body.str.contains(pattern, regex=True).to_numpy(dtype=bool, copy=True)
        check = np.flatnonzero(hits & has_neg)
        for i in check:
            text = body.iat[i]
            hits[i] = any(
                any(_is_negator(t, negators) for t in _TOKEN.findall(m.group(0)))
                or not is_negated(text, m.start(), negators)
                for m in pattern.finditer(text)
            )
        out[name] = hits
    frame = pd.DataFrame(out, index=series.index)
    frame[UNTHEMED] = (body != "").to_numpy() & ~frame.any(axis=1).to_numpy()
    return frame


# ------------------------------------------------------------------------------ discovery


@dataclass(frozen=True)
class DiscoveredThemes:
    """Themes found by NMF: labels, top words, document-theme weights and memberships."""

    labels: tuple[str, ...]
    keywords: tuple[tuple[str, ...], ...]
    weights: np.ndarray
    membership: np.ndarray
    n_themes: int
    rule: str
    reconstruction_errors: Mapping[int, float] = field(default_factory=dict)


def stop_words(language: str | Sequence[str] = "auto") -> list[str]:
    """Stop words for TF-IDF: scikit-learn's English list and the short lists here."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words: set[str] = set()
    for lang in _languages(language):
        words |= set(ENGLISH_STOP_WORDS) if lang == "en" else set(STOP_WORDS_EXTRA[lang])
    return sorted(words)


def _elbow(ks: list[int], errors: list[float]) -> int:
    """The k farthest below the straight line from the first to the last error (the "knee",
    Satopaa et al. 2011, Kneedle, on the error curve normalised to the unit square)."""
    x = (np.asarray(ks, float) - ks[0]) / max(ks[-1] - ks[0], 1)
    e = np.asarray(errors, float)
    y = (e - e.min()) / max(e.max() - e.min(), 1e-12)
    gap = (1 - x) - y
    return int(ks[int(np.argmax(gap))])


def discover_themes(
    texts: pd.Series | Sequence[Any],
    n_themes: int | None = None,
    *,
    language: str | Sequence[str] = "auto",
    max_themes: int = 12,
    top_words: int = 8,
    threshold: float = 0.3,
    max_features: int = 5000,
    random_state: int = 0,
    selection_sample: int = 5000,
) -> DiscoveredThemes:
    """Themes from the comments themselves: TF-IDF + non-negative matrix factorisation.

    TF-IDF (sublinear term frequency, unigrams and bigrams, terms in at least 2 and at most 50%
    of comments, stop words of the language(s)) gives the comment-term matrix ``X``; NMF
    (Lee & Seung 1999; scikit-learn, Frobenius loss, NNDSVDa start, so the result is
    deterministic) factors ``X ~ W H``. A theme is a row of ``H`` labelled by its three top terms
    (``keywords``: its ``top_words`` top terms). A comment mentions a theme when the theme holds
    at least ``threshold`` of the comment's weight ``W``; comments with no weight are unthemed.

    Number of themes: ``n_themes`` when given; otherwise NMF is fitted for k = 2..``max_themes``
    on a seeded sample of at most ``selection_sample`` comments and k is the knee of the
    reconstruction-error curve (Kneedle, Satopaa et al. 2011).
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    series = pd.Series(series.to_numpy(dtype=object), index=series.index)
    body = series.where(series.notna(), "").astype(str).str.strip()
    docs = body.to_numpy(dtype=object)
    nonempty = np.flatnonzero(body.to_numpy() != "")
    if len(nonempty) < 10:
        raise NPSInputError(f"theme discovery needs at least 10 non-empty comments, got {len(nonempty)}")
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_df=0.5,
                                 stop_words=stop_words(language), max_features=max_features,
                                 token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b")
    try:
        matrix = vectorizer.fit_transform(docs[nonempty])
    except ValueError as exc:
        raise NPSInputError(f"no usable words in the comments for theme discovery ({exc})") from None
    terms = np.asarray(vectorizer.get_feature_names_out())
    errors: dict[int, float] = {}
    if n_themes is None:
        rng = np.random.default_rng(random_state)
        rows = (np.sort(rng.choice(matrix.shape[0], selection_sample, replace=False))
                if matrix.shape[0] > selection_sample else np.arange(matrix.shape[0]))
        sub = matrix[rows]
        ks = list(range(2, max(3, min(max_themes, sub.shape[1] - 1)) + 1))
        for k in ks:
            model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=300)
            model.fit(sub)
            errors[k] = float(model.reconstruction_err_)
        k = _elbow(ks, [errors[k] for k in ks])
        rule = (f"knee of the NMF reconstruction error for k = {ks[0]}..{ks[-1]} on "
                f"{sub.shape[0]} comments (Kneedle)")
    else:
        k = int(n_themes)
        if k < 1 or k > min(matrix.shape):
            raise NPSInputError(f"n_themes must be between 1 and {min(matrix.shape)}, got {n_themes!r}")
        rule = "n_themes given"
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400)
    w_part = model.fit_transform(matrix)
    h = model.components_
    order = np.argsort(-w_part.sum(axis=0), kind="stable")
    w_part, h = w_part[:, order], h[order]
    keywords = tuple(tuple(terms[np.argsort(-row, kind="stable")[:top_words]].tolist()) for row in h)
    labels = _unique_labels([" / ".join(kw[:3]) for kw in keywords])
    weights = np.zeros((len(docs), k))
    weights[nonempty] = w_part
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, weights / total, 0.0)
    membership = (share >= threshold) & (weights > 0)
    return DiscoveredThemes(labels, keywords, weights, membership, k, rule, errors)


def _unique_labels(labels: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return tuple(out)


# ------------------------------------------------------------------------------ impact


@dataclass(frozen=True)
class ThemeRow(ResultMixin):
    """One theme's share of comments and its NPS gap.

    Attributes:
        mentions: respondents whose comment mentions the theme; ``share`` their % of the base.
        nps_with, nps_without: NPS of those who mention it and of the rest of the base.
        difference, ci_lower, ci_upper, pvalue: ``nps_with - nps_without`` with the kit's
            two-sample interval and test (``compare``); ``pvalue_adjusted`` across the family.
        keywords: the keywords (or top words) that define the theme.
        fix_effect: ``share x (nps_without - nps_with)`` / 100: how far the base's NPS would move if
            those mentioning the theme scored like the rest; an upper bound on what fixing it
            could do when the theme is the whole cause (association, not cause).
        fix_effect_upper: the same with the interval's far end of the gap.
        examples: up to a few masked example comments.
    """

    theme: str
    mentions: int
    share: float
    nps_with: float
    nps_without: float
    difference: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    pvalue_adjusted: float
    significant: bool
    keywords: str
    fix_effect: float
    fix_effect_upper: float
    examples: tuple[str, ...] = ()

    def sentence(self, confidence_level: float = 0.95) -> str:
        """The bound in words."""
        if not math.isfinite(self.difference):
            return f"{self.theme}: not enough comments to compare."
        if self.theme == UNTHEMED:
            return (f"{self.share:.0f}% of comments match no theme (NPS {self.nps_with:+.0f} vs "
                    f"{self.nps_without:+.0f}).")
        if self.difference < 0:
            return (f"fixing {self.theme} would move NPS by at most {self.fix_effect:.1f} points "
                    f"({self.share:.0f}% of comments x a gap of {-self.difference:.1f} points; upper "
                    f"{100 * confidence_level:g}% limit {self.fix_effect_upper:.1f}; association, not "
                    "cause)")
        return (f"{self.theme} comes with a higher NPS ({self.difference:+.1f} points, "
                f"{self.share:.0f}% of comments): keep it; nothing to fix (association, not cause)")


@dataclass(frozen=True)
class ThemeImpact(ResultMixin):
    """Theme impact on NPS. ``to_frame()``: one row per theme with ``theme``, ``mentions``,
    ``share``, ``nps_with``, ``nps_without``, ``difference``, ``ci_lower``, ``ci_upper``,
    ``pvalue_adjusted``, ``keywords`` (and ``pvalue``, ``significant``, ``fix_effect``,
    ``fix_effect_upper``), the largest ``fix_effect`` first, ``unthemed`` last."""

    themes: tuple[ThemeRow, ...]
    mode: str
    language: str
    base: str
    n_respondents: int
    n_commenters: int
    n_missing_score: int
    nps: float
    method: str
    confidence_level: float
    correction: str
    family: str
    rule: str
    assignments: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("assignments", None)
        return out

    def to_frame(self) -> pd.DataFrame:
        columns = ["theme", "mentions", "share", "nps_with", "nps_without", "difference", "ci_lower",
                   "ci_upper", "pvalue_adjusted", "keywords", "pvalue", "significant", "fix_effect",
                   "fix_effect_upper"]
        return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in self.themes], columns=columns)

    def examples(self) -> pd.DataFrame:
        """Masked example comments, long: ``theme``, ``example``."""
        rows = [{"theme": r.theme, "example": e} for r in self.themes for e in r.examples]
        return pd.DataFrame(rows, columns=["theme", "example"])

    def keywords(self) -> dict[str, list[str]]:
        """``{theme: [keywords]}`` (without ``unthemed``), e.g. for ``tracking.comment_themes``."""
        return {r.theme: [k.strip() for k in r.keywords.split(",")] for r in self.themes
                if r.theme != UNTHEMED}

    def theme(self, name: str) -> ThemeRow:
        for r in self.themes:
            if r.theme == name:
                return r
        raise KeyError(name)

    def summary(self) -> str:
        """Sentences for a report: the family corrected and each significant costly theme's bound."""
        costly = [r for r in self.themes if r.theme != UNTHEMED and r.significant and r.difference < 0]
        head = (f"{self.n_commenters} of {self.n_respondents} respondents commented; themes by "
                f"{self.mode} ({self.rule}). Differences are {self.method} intervals; p-values "
                f"adjusted by {self.correction} across {self.family}.")
        if not costly:
            return head + " No theme comes with a significantly lower NPS."
        return head + " " + " ".join(r.sentence(self.confidence_level)[0].upper()
                                     + r.sentence(self.confidence_level)[1:] + "." for r in costly)

    def _repr_html_(self) -> str:
        return (f"<p>{self.summary()}</p>"
                + self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.3g}"))


def _categories(scores: np.ndarray) -> np.ndarray:
    """One-hot (n, 3): detractor, passive, promoter."""
    return np.column_stack([scores <= 6, (scores >= 7) & (scores <= 8), scores >= 9]).astype(float)


def theme_impact(
    frame: pd.DataFrame,
    score: str = "score",
    comment: str = "comment",
    themes: Mapping[str, Sequence[str]] | None = None,
    n_themes: int | Literal["auto"] | None = None,
    *,
    language: str | Sequence[str] = "auto",
    negation: bool = True,
    base: Literal["commenters", "respondents"] = "commenters",
    method: str | None = None,
    confidence_level: float = 0.95,
    correction: str = "holm",
    examples: int = 3,
    names: Sequence[str] | None = None,
    addresses: Sequence[str] | None = None,
    random_state: int = 0,
) -> ThemeImpact:
    """Each comment theme's share and its NPS gap: NPS of those who mention it minus NPS of the
    rest of the base, with the kit's two-sample interval and a multiplicity correction.

    Themes come from keywords (``themes`` given, or the :data:`THEME_KEYWORDS` dictionary of
    ``language`` when neither ``themes`` nor ``n_themes`` is given; see :func:`match_themes`) or
    from the comments (``n_themes`` an integer or ``"auto"``; see :func:`discover_themes`).

    For theme t with counts ``with`` (mentions) and ``without`` (the rest of the base), the gap
    and its interval are ``compare(with, without, method=method)`` on ``NPSCounts`` (default: the kit's two-sample
    default, MOVER from Tango score limits since issue 14; the groups are disjoint, so
    independent). The p-values of all themes (``unthemed`` included) form the family adjusted
    with ``correction`` (Holm by default, ``compare.adjust_pvalues``). ``fix_effect =
    share (nps_without - nps_with) / 100``: if those who mention the theme answered like the rest,
    the base's NPS would move by that much; it bounds what fixing the theme can do only under the
    strong assumption that the theme causes the whole gap (association, not cause).

    Args:
        base: ``"commenters"`` (default: respondents with a non-empty comment; ``share`` is the
            share of comments) or ``"respondents"`` (everyone with a score; non-commenters count
            as not mentioning).
        examples: masked example comments per theme (``privacy.mask_text``: e-mails, phone
            numbers, and the ``names`` and ``addresses``; by default those found in the frame's
            personal columns, e.g. ``customer_name``, by ``privacy.known_personal_values``).
        random_state: seeds the choice of examples and the discovery.
    """
    if not isinstance(frame, pd.DataFrame):
        raise NPSInputError("theme_impact needs a DataFrame with one row per respondent")
    frame = _without_attrs(frame)
    missing = [c for c in (score, comment) if c not in frame.columns]
    if missing:
        raise NPSInputError(f"column(s) not found: {', '.join(missing)}; columns: "
                            f"{', '.join(map(str, frame.columns))}", column=missing[0])
    if themes is not None and n_themes is not None:
        raise NPSInputError("give either themes (keywords) or n_themes (discovery), not both")
    if base not in ("commenters", "respondents"):
        raise NPSInputError(f"base must be 'commenters' or 'respondents', got {base!r}")
    if not 0 < confidence_level < 1:
        raise NPSInputError(f"confidence_level must be between 0 and 1, got {confidence_level!r}")
    correction_name = correction_method(correction)
    try:
        scores = parse_scores(frame[score], column=score).values
    except NPSInputError as exc:  # the message quotes row values: mask personal data in them
        raise masked_error(exc, frame) from None
    has_score = ~np.isnan(scores)
    raw = frame[comment]
    body = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    commented = (body != "").to_numpy()
    if n_themes is None:
        dictionary = dict(theme_dictionary(language) if themes is None else themes)
        member = match_themes(body, dictionary, language=language, negation=negation)
        keywords = {t: list(v) for t, v in dictionary.items()}
        mode, rule = "keywords", ("keyword dictionary" + (f" ({language})" if themes is None else "")
                                  + (", negations excluded" if negation else ""))
        strength = None
    else:
        found = discover_themes(body, None if n_themes == "auto" else int(n_themes), language=language,
                                random_state=random_state)
        member = pd.DataFrame(found.membership, columns=list(found.labels), index=frame.index)
        member[UNTHEMED] = commented & ~found.membership.any(axis=1)
        keywords = dict(zip(found.labels, map(list, found.keywords), strict=True))
        mode, rule, strength = "discovery (TF-IDF + NMF)", found.rule, found.weights
    in_base = has_score & (commented if base == "commenters" else True)
    n_base = int(in_base.sum())
    if n_base == 0:
        raise NPSInputError("no respondents with a score" + (" and a comment" if base == "commenters" else ""),
                            column=comment)
    cats = _categories(np.where(has_score, scores, -1))
    cats[~in_base] = 0.0
    m = member.to_numpy(dtype=float) * in_base[:, None]
    # Counts are sums of 0/1 indicators, so rounding only removes floating-point noise.
    with_counts = np.rint(m.T @ cats).astype(int)
    total = np.rint(cats.sum(axis=0)).astype(int)
    overall = NPSCounts(*map(int, total))
    names_list = list(member.columns)
    results = []
    for j in range(len(names_list)):
        c_with = NPSCounts(*map(int, with_counts[j]))
        c_without = NPSCounts(*map(int, total - with_counts[j]))
        if c_with.n == 0 or c_without.n == 0:
            results.append(None)
            continue
        options = {} if method is None else {"method": method}
        results.append(compare(c_with, c_without, **options, confidence_level=confidence_level,
                               row_tests=False, random_state=random_state))
    pvals = np.array([r.pvalue if r is not None else np.nan for r in results])
    adjusted, reject = adjust_pvalues(pvals, correction=correction_name, alpha=1 - confidence_level)
    rng = np.random.default_rng(random_state)
    known = known_personal_values(frame) if names is None or addresses is None else {}
    shown = mask_text(body.where(body != "", None),
                      names=list(known.get("name", []) if names is None else names),
                      addresses=list(known.get("address", []) if addresses is None else addresses),
                      ) if examples else None
    rows = []
    for j, theme in enumerate(names_list):
        cw = NPSCounts(*map(int, with_counts[j]))
        cwo = NPSCounts(*map(int, total - with_counts[j]))
        share = 100.0 * cw.n / n_base
        r = results[j]
        nps_with = cw.nps if cw.n else math.nan
        nps_without = cwo.nps if cwo.n else math.nan
        diff = nps_with - nps_without
        lo, hi, p = (r.ci_lower, r.ci_upper, r.pvalue) if r is not None else (math.nan,) * 3
        members = np.flatnonzero(m[:, j] > 0)
        picked: tuple[str, ...] = ()
        if examples and len(members):
            if strength is not None and theme != UNTHEMED:
                best = members[np.argsort(-strength[members, j], kind="stable")[:examples]]
            else:
                best = np.sort(rng.choice(members, size=min(examples, len(members)), replace=False))
            picked = tuple(str(shown.iat[i]) for i in best)
        rows.append(ThemeRow(
            theme=theme, mentions=int(cw.n), share=share, nps_with=nps_with, nps_without=nps_without,
            difference=diff, ci_lower=lo, ci_upper=hi, pvalue=float(p),
            pvalue_adjusted=float(adjusted[j]), significant=bool(reject[j]),
            keywords=", ".join(keywords.get(theme, [])) if theme != UNTHEMED else "",
            fix_effect=share / 100.0 * -diff, fix_effect_upper=share / 100.0 * -lo,
            examples=picked,
        ))
    ordered = sorted((r for r in rows if r.theme != UNTHEMED),
                     key=lambda r: -r.fix_effect if math.isfinite(r.fix_effect) else math.inf)
    ordered += [r for r in rows if r.theme == UNTHEMED]
    tested = int(np.isfinite(pvals).sum())
    family = f"{tested} themes ({UNTHEMED} included), one test per theme"
    assignments = member.copy()
    assignments.attrs.clear()
    return ThemeImpact(
        themes=tuple(ordered), mode=mode, language=language if isinstance(language, str) else ",".join(language),
        base=base, n_respondents=int(has_score.sum()), n_commenters=int((commented & has_score).sum()),
        n_missing_score=int((~has_score).sum()), nps=overall.nps if overall.n else math.nan, method=method or next((r.method for r in results if r is not None), "mover-score"),
        confidence_level=confidence_level, correction=correction_name, family=family, rule=rule,
        assignments=assignments,
    )


# ------------------------------------------------------------------------------ over time


def theme_trend(
    result: ThemeImpact,
    frame: pd.DataFrame,
    *,
    time: str = "submitted_at",
    by: str | Sequence[str] | None = None,
    freq: str = "W",
    timezone: str = "UTC",
    min_n: int = 10,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Share of comments mentioning each theme per period (and team), as
    ``tracking.comment_themes`` reports it: ``period``, the ``by`` columns, ``theme``,
    ``comments``, ``mentions``, ``share`` (%) with a Wilson (1927) interval; groups with fewer than
    ``min_n`` comments are suppressed. Periods come from ``tracking.assign_periods`` (weeks run
    Monday to Sunday on the calendar of ``timezone``); the themes are the result's assignments,
    so negations and discovered themes are treated as in the impact table."""
    from scipy.stats import norm

    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [c for c in [time, *by_cols] if c not in frame.columns]
    if missing:
        raise NPSInputError(f"column(s) not found: {', '.join(missing)}", column=missing[0])
    if len(frame) != len(result.assignments):
        raise NPSInputError("frame must be the one the themes were computed on (row count differs)")
    times = pd.to_datetime(frame[time], utc=True, errors="coerce")
    bad = times.isna() & frame[time].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise NPSInputError(f"unparsable time(s), e.g. row {i}: {frame[time].iloc[i]!r}", column=time,
                            count=int(bad.sum()))
    frame = _without_attrs(frame)
    member = result.assignments.reset_index(drop=True)
    commented = member.any(axis=1).to_numpy() & times.notna().to_numpy()
    data = pd.DataFrame({"period": assign_periods(times, freq=freq, timezone=timezone).to_numpy()})
    for col in by_cols:
        data[col] = frame[col].to_numpy()
    data = pd.concat([data, member.astype(int)], axis=1)[commented]
    keys = ["period", *by_cols]
    grouped = data.groupby(keys, dropna=False, observed=True, sort=True)
    mentions = grouped[list(member.columns)].sum()
    comments = grouped.size()
    long = mentions.stack().rename("mentions").reset_index()
    long = long.rename(columns={long.columns[len(keys)]: "theme"})
    long = long.merge(comments.rename("comments").reset_index(), on=keys)
    z = float(norm.ppf(0.5 + confidence_level / 2))
    lo, hi = wilson_limits(long["mentions"].to_numpy(), long["comments"].to_numpy(), z)
    long["share"] = 100.0 * long["mentions"] / long["comments"]
    long["ci_lower"], long["ci_upper"] = 100.0 * lo, 100.0 * hi
    small = (long["comments"] < min_n).to_numpy()
    long["suppressed"] = small
    for col in ("share", "ci_lower", "ci_upper"):
        long[col] = long[col].where(~small)
    return long[[*keys, "theme", "comments", "mentions", "share", "ci_lower", "ci_upper", "suppressed"]]
