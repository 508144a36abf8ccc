"""Write the corpus of real-looking survey exports in tests/data/exports/ (seeded, byte-identical).

Each file imitates what one tool writes (R, a day-first CRM, Google Forms, a CRM mixing surveys,
Qualtrics, a European spreadsheet, a cut-off upload). No third-party data: every row is drawn here.
``python tests/data/exports/make_exports.py [--out DIR] [--truth]``; ``--truth`` prints the counts
each file should give, tallied from the generated answers in plain Python (not by the kit).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20260412

# Answer weights over 0..10: a typical, negatively skewed NPS distribution.
NPS_WEIGHTS = [2, 1, 1, 2, 2, 4, 5, 9, 14, 22, 38]


def _nps_answer(rng: random.Random) -> int:
    return rng.choices(range(11), weights=NPS_WEIGHTS)[0]


def _category(score: int) -> str:
    return "detractors" if score <= 6 else ("passives" if score <= 8 else "promoters")


def _tally(rows: list[tuple[object, int | None]]) -> dict[str, dict[str, int]]:
    """``{group: {detractors, passives, promoters, n, missing}}`` from (group, answer or None)."""
    out: dict[str, Counter] = defaultdict(Counter)
    for group, score in rows:
        key = "<missing>" if group is None else str(group)
        if score is None:
            out[key]["missing"] += 1
        else:
            out[key][_category(score)] += 1
            out[key]["n"] += 1
    return {k: dict(v) for k, v in sorted(out.items())}


def _q(text: str) -> str:
    """R's write.csv quoting: every string in double quotes, inner quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------------ files


def r_write_csv(rng: random.Random) -> tuple[bytes, dict]:
    """R ``write.csv(df, fileEncoding = "latin1")``: a row-name column with an empty header,
    quoted strings, unquoted numbers, ``NA`` for missing values, Latin-1 accents."""
    regions = ["Zürich", "Genève", "Bern", "Neuchâtel"]
    comments = [
        "Quick and friendly",
        "Waited too long",
        'The "premium" plan is worth it',
        "Staff in Genève were great",
        "Billing error, fixed at once",
    ]
    lines = ['"","id","region","store","ltr","comment"']
    truth = []
    stores = []
    for i in range(1, 61):
        region = None if i in (7, 33, 52) else rng.choice(regions)
        store = f"S{rng.randint(1, 12)}"
        score = None if i in (4, 11, 19, 26, 40, 45, 58) else _nps_answer(rng)
        comment = rng.choice(comments) if rng.random() < 0.3 else None
        cells = [
            _q(str(i)),
            _q(f"r{i:03d}"),
            _q(region) if region else "NA",
            _q(store),
            str(score) if score is not None else "NA",
            _q(comment) if comment else "NA",
        ]
        lines.append(",".join(cells))
        truth.append((region, score))
        stores.append(store)
    data = ("\n".join(lines) + "\n").encode("latin-1")
    comments_present = sum(1 for ln in lines[1:] if not ln.endswith(",NA"))
    return data, {
        "by_region": _tally(truth),
        "comments": comments_present,
        "stores": sorted(set(stores), key=lambda s: int(s[1:])),
    }


def dayfirst_dates(rng: random.Random) -> tuple[bytes, dict]:
    """A UK broadband journey survey: ``21/03/2018 14:05`` day-first times (days 1-31, so many
    values are ambiguous on their own), a journey column, a few empty answers."""
    start = datetime(2018, 3, 1, 8, 0)
    lines = ["response_id,submitted,score,journey"]
    truth = []
    months: Counter = Counter()
    for i in range(1, 81):
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        journey = rng.choice(["Install", "Repair", "Billing"])
        score = None if i in (9, 50) else _nps_answer(rng)
        lines.append(f"b{i:04d},{when:%d/%m/%Y %H:%M},{'' if score is None else score},{journey}")
        truth.append((journey, score))
        if score is not None:
            months[f"{when:%Y-%m}"] += 1
    return ("\n".join(lines) + "\n").encode(), {"by_journey": _tally(truth), "months": dict(months)}


GOOGLE_QUESTION = (
    "How likely is it that you would recommend our broadband to a friend or colleague?"
)


def google_forms(rng: random.Random) -> tuple[bytes, dict]:
    """A Google Forms response sheet downloaded as CSV: the question text is the header, a
    ``Timestamp`` column (US month-first), and ``*redacted*`` answers from a privacy filter."""
    lines = [f'Timestamp,"{GOOGLE_QUESTION}",What is the main reason for your score?,Email address']
    truth = []
    start = datetime(2018, 3, 1, 9, 0)
    for i in range(1, 41):
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 45))
        redacted = i in (1, 14, 27, 35)  # the first data row too: it must not vanish as a header
        score = None if redacted else _nps_answer(rng)
        reason = rng.choice(["", "Fast line", "Too expensive", "Support, again", "Works, mostly"])
        reason_cell = f'"{reason}"' if "," in reason else reason
        stamp = f"{when.month}/{when.day}/{when.year} {when:%H:%M:%S}"
        lines.append(f"{stamp},{'*redacted*' if redacted else score},{reason_cell},*redacted*")
        truth.append((None, score))
    return ("\n".join(lines) + "\n").encode(), {"overall": _tally(truth)}


def crm_mixed_scales(rng: random.Random) -> tuple[bytes, dict]:
    """A CRM export whose ``score`` column mixes three surveys: NPS 0-10, effort 1-7, thumbs 0-2."""
    lines = ["ticket_id,survey_type,channel,score,created_at"]
    truth = []
    plan = ["nps"] * 50 + ["ces"] * 30 + ["thumbs"] * 20
    rng.shuffle(plan)
    start = datetime(2018, 5, 1, 8, 0)
    maxima: dict[str, int] = {}
    for i, kind in enumerate(plan, start=1):
        if kind == "nps":
            score = _nps_answer(rng)
        elif kind == "ces":
            score = rng.randint(1, 7)
        else:
            score = rng.randint(0, 2)
        # The first of each kind holds the top of its scale, so the maxima are certain.
        if kind not in maxima:
            score = {"nps": 10, "ces": 7, "thumbs": 2}[kind]
        maxima[kind] = max(maxima.get(kind, 0), score)
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        channel = rng.choice(["phone", "chat", "email"])
        lines.append(f"T{i:05d},{kind},{channel},{score},{when:%Y-%m-%dT%H:%M:%S}Z")
        truth.append((kind, score))
    return ("\n".join(lines) + "\n").encode(), {"by_survey_type": _tally(truth), "maxima": maxima}


QUALTRICS_QUESTION = "How likely are you to recommend us to a friend or colleague?"


def qualtrics_labels(rng: random.Random) -> tuple[bytes, dict]:
    """A Qualtrics "choice text" export: two header rows below the header (question text, then
    ImportId JSON), end points written as labels ("10 - Extremely likely")."""
    lines = [
        "StartDate,EndDate,Status,ResponseId,Q1,Q1_NPS_GROUP,Q2,Region",
        f'Start Date,End Date,Response Type,Response ID,"{QUALTRICS_QUESTION}",'
        f'"{QUALTRICS_QUESTION} - Group",What is the main reason for your score?,Region',
        '"{""ImportId"":""startDate"",""timeZone"":""Europe/Oslo""}",'
        '"{""ImportId"":""endDate"",""timeZone"":""Europe/Oslo""}",'
        '"{""ImportId"":""status""}","{""ImportId"":""_recordId""}",'
        '"{""ImportId"":""QID1""}","{""ImportId"":""QID1_NPS_GROUP""}",'
        '"{""ImportId"":""QID2_TEXT""}","{""ImportId"":""QID3""}"',
    ]
    truth = []
    start = datetime(2018, 6, 1, 8, 0)
    labels = {0: "0 - Not at all likely", 10: "10 - Extremely likely"}
    for i in range(1, 46):
        score = None if i in (5, 30) else _nps_answer(rng)
        region = rng.choice(["North", "South"])
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 20))
        end = when + timedelta(minutes=rng.randint(1, 9))
        answer = "" if score is None else labels.get(score, str(score))
        group = (
            ""
            if score is None
            else {"detractors": "Detractor", "passives": "Passive", "promoters": "Promoter"}[
                _category(score)
            ]
        )
        reason = rng.choice(["", "Good value", "Slow delivery", "Helpful staff"])
        lines.append(
            f"{when:%Y-%m-%d %H:%M:%S},{end:%Y-%m-%d %H:%M:%S},IP Address,"
            f"R_{i:015d},{answer},{group},{reason},{region}"
        )
        truth.append((region, score))
    return ("\n".join(lines) + "\n").encode(), {"by_region": _tally(truth)}


def european_semicolon(rng: random.Random) -> tuple[bytes, dict]:
    """A German spreadsheet export ("CSV UTF-8" in Excel): BOM, ``;`` delimiter, CRLF, decimal
    commas, ``21.03.2018`` dates, ``-`` for no answer, and a branch label with a trailing space."""
    lines = ["Antwort-ID;Datum;Filiale;Weiterempfehlung;Umsatz"]
    truth = []
    start = datetime(2018, 3, 1)
    for i in range(1, 51):
        when = start + timedelta(days=rng.randint(0, 60))
        branch = rng.choice(["Köln", "München", "Berlin"])
        if i in (6, 23, 41):
            branch = "Berlin "  # typed with a trailing space in the CRM: reported, not merged
        score = None if i in (12, 31) else _nps_answer(rng)
        spend = f"{rng.randint(5, 250)},{rng.randint(0, 99):02d}"
        lines.append(f"A{i:03d};{when:%d.%m.%Y};{branch};{'-' if score is None else score};{spend}")
        truth.append((branch, score))
    data = "\ufeff" + "\r\n".join(lines) + "\r\n"
    return data.encode("utf-8"), {"by_branch": _tally(truth)}


def cut_mid_row(rng: random.Random) -> tuple[bytes, dict]:
    """An upload cut off in the middle of row 14 (``r13,Nor``): the last row has 2 of 4 fields."""
    lines = ["id,region,score,comment"]
    truth = []
    for i in range(1, 13):
        region = rng.choice(["North", "South"])
        score = _nps_answer(rng)
        lines.append(f"r{i},{region},{score},ok")
        truth.append((region, score))
    data = "\n".join(lines) + "\nr13,Nor"
    return data.encode(), {"by_region": _tally(truth), "cut_row": 14}


def extra_comma(rng: random.Random) -> tuple[bytes, dict]:
    """A hand-edited export: ``Oslo, Norway`` typed without quotes shifts that row's fields."""
    lines = ["id,city,score"]
    for i in range(1, 9):
        city = "Oslo, Norway" if i == 4 else rng.choice(["Bergen", "Oslo", "Trondheim"])
        lines.append(f"c{i},{city},{_nps_answer(rng)}")
    return ("\n".join(lines) + "\n").encode(), {"bad_row": 5}


def mixed_encoding(rng: random.Random) -> tuple[bytes, dict]:
    """Two exports appended with ``cat``: UTF-8 lines then Latin-1 lines, ``Zürich`` in both."""
    head = "id,region,score\n"
    utf8_lines, latin_lines = [], []
    truth = []
    for i in range(1, 11):
        region = rng.choice(["Zürich", "Basel"])
        score = _nps_answer(rng)
        (utf8_lines if i <= 5 else latin_lines).append(f"m{i},{region},{score}\n")
        truth.append((region, score))
    data = (head + "".join(utf8_lines)).encode("utf-8") + "".join(latin_lines).encode("latin-1")
    return data, {"by_region": _tally(truth), "first_latin1_line": 7}


FILES = {
    "r_write_csv.csv": r_write_csv,
    "dayfirst_dates.csv": dayfirst_dates,
    "google_forms.csv": google_forms,
    "crm_mixed_scales.csv": crm_mixed_scales,
    "qualtrics_labels.csv": qualtrics_labels,
    "european_semicolon.csv": european_semicolon,
    "cut_mid_row.csv": cut_mid_row,
    "extra_comma.csv": extra_comma,
    "mixed_encoding.csv": mixed_encoding,
}


def build() -> dict[str, tuple[bytes, dict]]:
    """Every file's bytes and truth; each file has its own seeded generator (order-independent)."""
    return {name: make(random.Random(f"{SEED}:{name}")) for name, make in FILES.items()}


def write(out: Path = HERE) -> list[Path]:
    """Write the corpus into ``out`` and return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (data, _) in build().items():
        path = out / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--truth", action="store_true", help="print the expected counts as JSON")
    args = parser.parse_args()
    if args.truth:
        print(
            json.dumps(
                {name: truth for name, (_, truth) in build().items()}, indent=1, ensure_ascii=False
            )
        )
        return
    for path in write(args.out):
        print(path)


if __name__ == "__main__":
    main()
