"""Seeded closed-loop sample: survey responses of a customer-service programme with follow-up logs.

Re-surveys, comments, five-whys chains, teams, agents, departments and locations in several time
zones. Personal data (names, e-mails, phones, addresses) is invented: e-mails use example.com, UK
numbers the Ofcom drama range, US numbers the fictional 555-01xx range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .latent import BASELINE_DISTRIBUTION, cutpoints, true_nps

_LOOP_FIRST = (
    "Ingrid", "Olav", "Sigrid", "Magnus", "Astrid", "Henrik", "Eilif", "Solveig", "Torvald", "Maren",
    "Oliver", "Amelia", "Harriet", "Rupert", "Imogen", "Alistair", "Siobhan", "Declan", "Niamh",
    "Cormac", "Aoife", "Padraig", "Marisol", "Delphine", "Thaddeus", "Cordelia", "Ezekiel",
    "Philippa", "Lucinda", "Barnaby", "Octavia", "Leopold", "Rosalind", "Augustin", "Beatrix",
    "Cornelius", "Evangeline", "Fitzgerald", "Gwendolyn", "Horatio",
)
_LOOP_LAST = (
    "Dahlstrom", "Fjellheim", "Kvalvaag", "Lindqvist", "Haugland", "Rasmussen", "Bergersen",
    "Solheimsvik", "Ostergaard", "Nyhavn", "Whitcombe", "Ashworth", "Pemberton", "Hargreaves",
    "Fairweather", "Blackwood", "Montague", "Kilbride", "Donoghue", "Fitzpatrick", "Mulcahy",
    "Brannigan", "Castellano", "Delacroix", "Vanderbilt", "Okonkwo", "Whitfield", "Thistlewood",
    "Merriweather", "Abernathy", "Quincey", "Ravensworth", "Sandoval", "Tremaine", "Underhill",
    "Valentino", "Wetherby", "Yarborough", "Zimmerman", "Lockhart",
)
_LOOP_STAFF = {
    "North": ("Kari Nilsen", "Per Hansen", "Liv Berg", "Jonas Moe"),
    "West": ("Sam Clarke", "Priya Shah", "Tom Byrne", "Ella Walsh"),
    "Americas": ("Maria Lopez", "Dev Patel", "Jo Kim", "Ben Ortiz"),
}
#: location -> (team, IANA zone, phone prefix and pattern, street names)
_LOOP_LOCATIONS = {
    "Oslo": ("North", "Europe/Oslo"),
    "Bergen": ("North", "Europe/Oslo"),
    "London": ("West", "Europe/London"),
    "Dublin": ("West", "Europe/Dublin"),
    "New York": ("Americas", "America/New_York"),
    "Chicago": ("Americas", "America/Chicago"),
}
_LOOP_STREETS = {
    "Oslo": "Storgata", "Bergen": "Strandgaten", "London": "Baker Street", "Dublin": "Grafton Street",
    "New York": "Amsterdam Avenue", "Chicago": "Halsted Street",
}
#: Latent satisfaction shift per team (the programme's true differences).
LOOP_TEAM_SHIFT = {"North": 0.15, "West": 0.0, "Americas": -0.1}
#: Follow-up speed: median hours from a detractor's answer to the first contact, per team.
LOOP_CONTACT_MEDIAN_HOURS = {"North": 8.0, "West": 16.0, "Americas": 26.0}
#: Comment themes: (theme, category polarity, comments).
_LOOP_COMMENTS = {
    "waiting time": ("negative", ("I waited forty minutes on the phone.", "Slow delivery, it was delayed twice.",
                                  "Nobody called me back for a week.")),
    "staff attitude": ("negative", ("The agent was rude and did not listen.", "Staff seemed unhelpful.")),
    "price": ("negative", ("Too expensive for what you get.", "The price went up again.")),
    "billing": ("negative", ("I was billed twice this month.", "The invoice was wrong.")),
    "product": ("negative", ("The app keeps crashing.", "The product broke after a week.")),
    "broken promise": ("negative", ("I was promised a free car wash and never got it.",)),
    "friendly staff": ("positive", ("Very friendly and helpful staff.", "The agent solved it on the first call.")),
    "speed": ("positive", ("Quick and easy, no waiting at all.", "Fast delivery.")),
    "good product": ("positive", ("Great product, works as promised.",)),
}
#: Five-whys chains (ending in the root cause) and the concern they start from.
_LOOP_WHYS = (
    ("broken promise", ("Free car wash promised but not done", "No note at reception",
                        "The customer database gave no reminder", "Staff did not know how to add reminders",
                        "No training on database reminders")),
    ("waiting time", ("Waited forty minutes on the phone", "Too few agents in the evening",
                      "Shift plan based on last year's volumes", "Forecast not updated after the campaign")),
    ("billing", ("Billed twice", "Invoice run repeated after a timeout", "Batch job has no duplicate check")),
    ("staff attitude", ("Agent could not answer a product question", "New plan features not in the knowledge base",
                        "Product changes not shared with support")),
    ("product", ("App crashed at checkout", "Release not tested on older phones", "No device list in the test plan")),
)
#: Which chain each team's detractors mostly end in (probabilities over _LOOP_WHYS).
_LOOP_WHY_WEIGHTS = {
    "North": (0.45, 0.15, 0.15, 0.15, 0.10),
    "West": (0.10, 0.20, 0.45, 0.15, 0.10),
    "Americas": (0.10, 0.50, 0.10, 0.15, 0.15),
}
_LOOP_SOLUTIONS = {
    "waiting time": ("call-back within a day promised", "Added to the evening call-back list"),
    "staff attitude": ("apology and a call from the team lead", "Shared the call with the agent's coach"),
    "price": ("moved to a cheaper plan", "Plan changed"),
    "billing": ("duplicate charge refunded", "Refund issued"),
    "product": ("replacement sent", "Replacement shipped"),
    "broken promise": ("free car wash at the next visit", "Note added at reception"),
}


@dataclass(frozen=True)
class ClosedLoopData:
    """Responses, follow-up log and five-whys chains of one simulated closed-loop programme.

    Attributes:
        responses: one row per survey answer (first answers and re-surveys).
        followups: the follow-up log (DOMAIN.md fields), one row per followed-up response, as
            exported at ``as_of`` (events after it are not in the log).
        root_causes: five-whys chains against responses or themes.
        as_of: the export time (ISO text with offset).
        truth: the simulation's parameters and exact true values.
    """

    responses: pd.DataFrame
    followups: pd.DataFrame
    root_causes: pd.DataFrame
    as_of: str
    truth: dict[str, Any]


def _local_text(utc: pd.Series, zones: np.ndarray, *, offset: bool) -> np.ndarray:
    out = np.full(len(utc), "", dtype=object)
    ok = utc.notna().to_numpy()
    for zone in np.unique(zones):
        sel = ok & (zones == zone)
        local = utc[sel].dt.tz_convert(zone)
        text = local.dt.strftime("%Y-%m-%dT%H:%M:%S")
        if offset:
            off = local.dt.strftime("%z")
            text = text + off.str[:3] + ":" + off.str[3:]
        out[sel] = text.to_numpy(dtype=object)
    return out


def closed_loop_data(
    n_customers: int = 1500,
    *,
    start: str = "2026-09-07",
    weeks: int = 10,
    resurvey_share: float = 0.35,
    holdout_share: float = 0.2,
    contact_shift: float = 0.3,
    customer_correlation: float = 0.5,
    drop_team: str | None = "Americas",
    drop_shift: float = -0.8,
    key_account_share: float = 0.08,
    seed: int = 2026,
) -> ClosedLoopData:
    """A closed-loop programme: answers, follow-up, re-surveys, comments, five whys.

    Latent model: a customer's latent satisfaction is ``shift + sqrt(r) u + sqrt(1 - r) e`` with a
    lasting customer part ``u`` and a fresh part ``e`` per answer (``r = customer_correlation``),
    cut into 0-10 answers with the kit's baseline distribution; so detractors asked again regress
    towards the mean by construction. ``shift`` = team shift (:data:`LOOP_TEAM_SHIFT`), plus
    ``drop_shift`` for ``drop_team`` in the last week, plus ``contact_shift`` at the re-survey for
    detractors and passives contacted before it.

    Contact: wave-1 detractors and passives are put in a random holdout (never contacted) with
    probability ``holdout_share``; the rest are contacted with a team-specific delay (log-normal,
    :data:`LOOP_CONTACT_MEDIAN_HOURS`; passives 1.8x, promoters 4x slower) or not at all, and the
    unhappiest detractors are harder to reach (selection). Submission times are local wall-clock
    times with a ``timezone`` column; log times carry their UTC offset.

    ``truth`` holds ``true_nps`` per team outside the drop week and in it, the parameters, and
    ``as_of``.
    """
    from scipy.stats import norm  # noqa: F401  (the cut points use scipy)

    rng = np.random.default_rng(seed)
    cuts = cutpoints(BASELINE_DISTRIBUTION)
    locations = list(_LOOP_LOCATIONS)
    loc = rng.choice(len(locations), size=n_customers, p=[0.22, 0.12, 0.2, 0.12, 0.2, 0.14])
    loc_name = np.array(locations, dtype=object)[loc]
    team = np.array([_LOOP_LOCATIONS[x][0] for x in locations], dtype=object)[loc]
    zone = np.array([_LOOP_LOCATIONS[x][1] for x in locations], dtype=object)[loc]

    # Customers and their (invented) personal data.
    n_names = len(_LOOP_FIRST) * len(_LOOP_LAST)
    combos = rng.choice(n_names, size=n_customers, replace=n_customers > n_names)  # unique while they last
    first = np.array(_LOOP_FIRST, dtype=object)[combos // len(_LOOP_LAST)]
    last = np.array(_LOOP_LAST, dtype=object)[combos % len(_LOOP_LAST)]
    names = first + " " + last
    email = pd.Series(first + "." + last).str.lower() + pd.Series(rng.integers(1, 100, n_customers)).astype(str) + "@example.com"
    d = rng.integers(0, 10, size=(n_customers, 8)).astype(str)
    prefix = np.array(["+47 4", "+47 9", "+44 7700 900", "+353 85 ", "+1 (212) 555-01", "+1 (312) 555-01"], dtype=object)[loc]
    tail = np.select(
        [team == "North", loc_name == "London", loc_name == "Dublin"],
        [
            pd.Series(d[:, 0]) + d[:, 1] + " " + d[:, 2] + d[:, 3] + " " + d[:, 4] + d[:, 5] + d[:, 6],
            pd.Series(d[:, 0]) + d[:, 1] + d[:, 2],
            pd.Series(d[:, 0]) + d[:, 1] + d[:, 2] + " " + d[:, 3] + d[:, 4] + d[:, 5] + d[:, 6],
        ],
        pd.Series(d[:, 0]) + d[:, 1],
    )
    phone = prefix + tail
    street = np.array([_LOOP_STREETS[x] for x in locations], dtype=object)[loc]
    address = pd.Series(rng.integers(1, 200, n_customers)).astype(str) + " " + street + ", " + loc_name
    customer_ids = np.array([f"C{i:05d}" for i in range(1, n_customers + 1)], dtype=object)
    key_account = rng.random(n_customers) < key_account_share
    # Customers joined in the six months before the programme started (cohorts by start month).
    since = pd.Timestamp(start) - pd.to_timedelta(rng.integers(1, 184, n_customers), unit="D")
    departments = np.array(["support", "billing", "sales"], dtype=object)
    u = rng.standard_normal(n_customers)
    r = customer_correlation

    # Wave 1: one answer per customer at a local daytime moment.
    t0 = pd.Timestamp(start)
    days = weeks * 7
    end_local = t0 + pd.Timedelta(days=days)
    drop_from = end_local - pd.Timedelta(days=7)

    def local_times(base_days: np.ndarray) -> pd.Series:
        minutes = rng.integers(8 * 60, 22 * 60, size=len(base_days))
        return pd.Series(t0 + pd.to_timedelta(base_days, unit="D") + pd.to_timedelta(minutes, unit="m"))

    def to_utc_by_zone(local: pd.Series, zones: np.ndarray) -> pd.Series:
        out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns, UTC]")
        for z in np.unique(zones):
            sel = zones == z
            out[sel] = local[sel].dt.tz_localize(z, ambiguous=np.ones(int(sel.sum()), dtype=bool)).dt.tz_convert("UTC")
        return out

    def scores(shift: np.ndarray, cust: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = rng.standard_normal(len(cust))
        latent = shift + math.sqrt(r) * u[cust] + math.sqrt(1 - r) * e
        return np.searchsorted(cuts, latent).astype(int), latent

    def team_shift(idx: np.ndarray, local: pd.Series) -> np.ndarray:
        s = np.array([LOOP_TEAM_SHIFT[t] for t in team[idx]])
        if drop_team is not None:
            s = s + np.where((team[idx] == drop_team) & (local >= drop_from).to_numpy(), drop_shift, 0.0)
        return s

    c1 = np.arange(n_customers)
    local1 = local_times(rng.integers(0, days, n_customers))
    score1, latent1 = scores(team_shift(c1, local1), c1)
    utc1 = to_utc_by_zone(local1, zone[c1])
    cat1 = np.select([score1 <= 6, score1 <= 8], [0, 1], 2)

    # Who is followed up, when, and the randomised holdout.
    holdout = (cat1 < 2) & (rng.random(n_customers) < holdout_share)
    p_contact = np.array([0.95, 0.85, 0.6])[cat1]
    p_contact = p_contact - np.where((cat1 == 0) & (latent1 < -1.5), 0.3, 0.0)  # the angriest are harder to reach
    contacted1 = ~holdout & (rng.random(n_customers) < p_contact)
    median_h = np.array([LOOP_CONTACT_MEDIAN_HOURS[t] for t in team]) * np.array([1.0, 1.8, 4.0])[cat1]
    delay1 = np.exp(np.log(median_h) + 0.7 * rng.standard_normal(n_customers))
    contact1 = utc1 + pd.to_timedelta(np.where(contacted1, delay1, np.nan), unit="h")

    # Re-surveys 21-42 days after the first answer, inside the observation window.
    again = rng.random(n_customers) < resurvey_share
    local2 = local1.dt.normalize() + pd.to_timedelta(rng.integers(21, 43, n_customers), unit="D") + pd.to_timedelta(
        rng.integers(8 * 60, 22 * 60, n_customers), unit="m"
    )
    again &= (local2 < end_local).to_numpy()
    c2 = np.flatnonzero(again)
    local2 = local2[again].reset_index(drop=True)
    utc2 = to_utc_by_zone(local2, zone[c2])
    helped = (cat1[c2] < 2) & (contact1[c2].reset_index(drop=True) < utc2).to_numpy()
    score2, _ = scores(team_shift(c2, local2) + np.where(helped, contact_shift, 0.0), c2)
    cat2 = np.select([score2 <= 6, score2 <= 8], [0, 1], 2)
    contacted2 = rng.random(len(c2)) < np.array([0.95, 0.85, 0.6])[cat2]
    median2 = median_h[c2] / np.array([1.0, 1.8, 4.0])[cat1[c2]] * np.array([1.0, 1.8, 4.0])[cat2]
    delay2 = np.exp(np.log(median2) + 0.7 * rng.standard_normal(len(c2)))
    contact2 = utc2 + pd.to_timedelta(np.where(contacted2, delay2, np.nan), unit="h")

    cust = np.concatenate([c1, c2])
    wave = np.concatenate([np.ones(n_customers, int), np.full(len(c2), 2)])
    utc = pd.concat([utc1, utc2], ignore_index=True)
    local = pd.concat([local1, local2], ignore_index=True)
    score = np.concatenate([score1, score2])
    cat = np.concatenate([cat1, cat2])
    contact = pd.concat([contact1, contact2], ignore_index=True)
    # Only first answers are randomised; re-survey answers are followed up but carry no arm.
    arm = np.concatenate([np.where(holdout, "holdout", "contact"), np.full(len(c2), "")]).astype(object)
    order = np.argsort(utc.to_numpy(), kind="stable")
    cust, wave, score, cat, arm = cust[order], wave[order], score[order], cat[order], arm[order]
    utc, local, contact = (s.iloc[order].reset_index(drop=True) for s in (utc, local, contact))
    n = len(cust)
    response_id = np.array([f"R{i:05d}" for i in range(1, n + 1)], dtype=object)
    staff = np.array([_LOOP_STAFF[t][k] for t, k in zip(team[cust], rng.integers(0, 4, n), strict=True)], dtype=object)

    # Comments: a theme that fits the answer; some carry personal data or alarming words.
    themes = list(_LOOP_COMMENTS)
    negative = [i for i, t in enumerate(themes) if _LOOP_COMMENTS[t][0] == "negative"]
    positive = [i for i, t in enumerate(themes) if _LOOP_COMMENTS[t][0] == "positive"]
    theme_idx = np.where(cat == 2, rng.choice(positive, n), rng.choice(negative, n))
    theme_idx = np.where((cat == 1) & (rng.random(n) < 0.3), rng.choice(positive, n), theme_idx)
    k = rng.integers(0, 3, n)
    texts = np.array([
        _LOOP_COMMENTS[themes[t]][1][j % len(_LOOP_COMMENTS[themes[t]][1])] for t, j in zip(theme_idx, k, strict=True)
    ], dtype=object)
    has_comment = rng.random(n) < np.array([0.75, 0.5, 0.4])[cat]
    comment = pd.Series(np.where(has_comment, texts, ""), dtype=object)
    pii = has_comment & (rng.random(n) < 0.1)
    how = rng.integers(0, 3, n)
    cn, ce, cp = pd.Series(names[cust]), email[cust].reset_index(drop=True), pd.Series(phone[cust])
    comment = comment.where(~(pii & (how == 0)), comment + " Please call me on " + cp + ".")
    comment = comment.where(~(pii & (how == 1)), "This is " + cn + ". " + comment)
    comment = comment.where(~(pii & (how == 2)), comment + " Write to " + ce + ".")
    alarm = has_comment & (cat == 0) & (rng.random(n) < 0.12)
    comment = comment.where(~alarm, comment + np.where(rng.random(n) < 0.5, " I will cancel my contract.", " My lawyer will hear about this."))

    responses = pd.DataFrame(
        {
            "response_id": response_id,
            "customer_id": customer_ids[cust],
            "customer_name": names[cust],
            "email": email.to_numpy(dtype=object)[cust],
            "phone": phone[cust],
            "address": address.to_numpy(dtype=object)[cust],
            "account_tier": np.where(key_account[cust], "key", "standard"),
            "customer_since": pd.Series(since[cust]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
            "team": team[cust],
            "location": loc_name[cust],
            "department": rng.choice(departments, n, p=[0.5, 0.3, 0.2]),
            "agent": staff,
            "timezone": zone[cust],
            "submitted_at": local.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object),
            "wave": wave,
            "followup_arm": arm,
            "score": score,
            "comment": comment.to_numpy(dtype=object),
        }
    )

    # The follow-up log, exported at as_of.
    as_of = pd.Timestamp(end_local.strftime("%Y-%m-%d") + "T12:00:00", tz="UTC") + pd.Timedelta(days=1)
    done = (contact.notna() & (contact <= as_of)).to_numpy()
    pending = contact.notna().to_numpy() & ~done & (arm != "holdout")
    assigned_only = (arm != "holdout") & contact.isna().to_numpy() & (rng.random(n) < 0.5)
    in_log = done | pending | assigned_only
    z = zone[cust]
    concern = np.array([themes[t] if _LOOP_COMMENTS[themes[t]][0] == "negative" else "" for t in theme_idx], dtype=object)
    concern = np.where(cat == 2, "", np.where(concern == "", rng.choice(list(_LOOP_SOLUTIONS), n), concern)).astype(object)
    resolved = contact + pd.to_timedelta(np.where((cat < 2) & (rng.random(n) < 0.75), rng.uniform(0, 96, n), np.nan), unit="h")
    resolved = resolved.where(resolved <= as_of)
    checked = resolved + pd.to_timedelta(np.where(rng.random(n) < 0.6, rng.uniform(24, 72, n), np.nan), unit="h")
    checked = checked.where(checked <= as_of)
    at_once = rng.random(n) < 0.6
    promised = contact + pd.to_timedelta(np.where((cat < 2) & ~at_once, rng.uniform(24, 120, n), np.nan), unit="h")
    comp_value = np.where((cat == 0) & (rng.random(n) < 0.3), rng.choice([25.0, 50.0, 100.0], n), np.nan)
    contact_known = contact.where(pd.Series(done))
    sol = np.array([_LOOP_SOLUTIONS.get(c, ("", ""))[0] for c in concern], dtype=object)
    act = np.array([_LOOP_SOLUTIONS.get(c, ("", ""))[1] for c in concern], dtype=object)
    prevention = np.array([dict((w[0], w[1][-1]) for w in _LOOP_WHYS).get(c, "") for c in concern], dtype=object)
    followups = pd.DataFrame(
        {
            "response_id": response_id,
            "customer_name": names[cust],
            "address": address.to_numpy(dtype=object)[cust],
            "phone": phone[cust],
            "taken_by": staff,
            "complaint_at": np.where(cat == 0, _local_text(utc, z, offset=True), ""),
            "contacted_at": _local_text(contact_known, z, offset=True),
            "concern": np.where(contact_known.notna(), concern, ""),
            "agreed_solution": np.where(contact_known.notna() & (cat < 2), sol, np.where(contact_known.notna(), "thanked; asked for a review", "")),
            "solution_done": np.where(contact_known.notna() & (cat < 2), np.where(at_once, "true", "false"), ""),
            "promised_at": np.where(contact_known.notna(), _local_text(promised.where(pd.Series(done)), z, offset=True), ""),
            "actions": np.where(contact_known.notna() & (cat < 2), act, ""),
            "resolved_at": _local_text(resolved.where(pd.Series(done)), z, offset=True),
            "satisfaction_checked_at": _local_text(checked.where(pd.Series(done)), z, offset=True),
            "satisfied": np.where(checked.notna() & pd.Series(done), np.where(rng.random(n) < 0.8, "true", "false"), ""),
            "compensation": np.where(done & ~np.isnan(comp_value), "voucher", ""),
            "compensation_value": np.where(done, comp_value, np.nan),
            "prevention": np.where(done & (cat == 0), prevention, ""),
        }
    )[in_log].reset_index(drop=True)

    # Five-whys chains for some contacted detractors, and a few against themes.
    chained = done & (cat == 0) & (rng.random(n) < 0.45)
    idx = np.flatnonzero(chained)
    weights = np.array([_LOOP_WHY_WEIGHTS[t] for t in team[cust][idx]])
    pick = (weights.cumsum(axis=1) > rng.random(len(idx))[:, None]).argmax(axis=1)
    n_theme = 8
    theme_pick = rng.integers(0, len(_LOOP_WHYS), n_theme)
    all_pick = np.concatenate([pick, theme_pick])
    m = len(all_pick)
    whys = np.full((m, 5), "", dtype=object)
    for j, (_, chain) in enumerate(_LOOP_WHYS):
        rows = all_pick == j
        whys[rows, : len(chain)] = chain
    # Name the customer inside the first why now and then: the masking must catch it.
    named = np.zeros(m, dtype=bool)
    named[: len(idx)] = rng.random(len(idx)) < 0.1
    whys[named, 0] = whys[named, 0] + " (customer " + names[cust][idx][named[: len(idx)]] + ")"
    recorded = pd.concat(
        [contact.iloc[idx].reset_index(drop=True),
         pd.Series(pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.uniform(7, days - 7, n_theme), unit="D"))],
        ignore_index=True,
    ) + pd.to_timedelta(rng.uniform(1, 72, m), unit="h")
    recorded = recorded.where(recorded <= as_of, as_of)
    chain_team = np.concatenate([team[cust][idx], rng.choice(list(_LOOP_STAFF), n_theme)])
    last_why = np.array([_LOOP_WHYS[j][1][-1] for j in all_pick], dtype=object)
    root_causes = pd.DataFrame(
        {
            "chain_id": [f"W{i:04d}" for i in range(1, m + 1)],
            "response_id": np.concatenate([response_id[idx], np.full(n_theme, "", dtype=object)]),
            "theme": np.concatenate([np.full(len(idx), "", dtype=object),
                                     np.array([_LOOP_WHYS[j][0] for j in theme_pick], dtype=object)]),
            "team": chain_team,
            "recorded_at": recorded.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(dtype=object),
            **{f"why_{i + 1}": whys[:, i] for i in range(5)},
            "root_cause": np.where(rng.random(m) < 0.6, last_why, ""),
        }
    )

    truth = {
        "as_of": as_of.isoformat(),
        "team_shift": dict(LOOP_TEAM_SHIFT),
        "true_nps": {t: true_nps(s) for t, s in LOOP_TEAM_SHIFT.items()},
        "drop_team": drop_team,
        "drop_week_start": drop_from.strftime("%Y-%m-%d"),
        "true_nps_drop_week": true_nps(LOOP_TEAM_SHIFT[drop_team] + drop_shift) if drop_team else None,
        "contact_shift": contact_shift,
        "holdout_share": holdout_share,
        "customer_correlation": r,
        "contact_median_hours": dict(LOOP_CONTACT_MEDIAN_HOURS),
    }
    return ClosedLoopData(responses, followups, root_causes, as_of.isoformat(), truth)


def loop_sample() -> ClosedLoopData:
    # Seed chosen as the first from 20261117 whose weekly NPS per team in the last two weeks are
    # each within one standard error of the truth, so the demo is representative, not a lucky draw.
    return closed_loop_data(1500, seed=20261140)
