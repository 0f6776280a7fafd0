"""The population of bench/diagnosis.py: invoices whose true story is known, seeded.

A `Case` holds two sides that never mix: what the seller issued at the authority (`issued`, its state, when
it becomes findable) and what the user's reading says (`reading`: the same invoice, with the story's slip
in it). Only `reading` reaches the app; the story and the authority's side are the bench's answer key.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from backend.simulator.rules import china_date
from backend.sync.matching import invoice_key

OWN = "91310000MA1FL0001A"  # the team's registered buyer, the installation authorised for it
UNAUTHORISED = "91310000MA1FL0002B"  # registered by the team, but the platform has no authorisation for it
STRANGER = "91440300MA5D00003C"  # another company: a wrong 抬头
UNSUPPORTED_REGION = "54"

# (story, weight): the mix an accounts team meets, most invoices unremarkable.
MIX = (
    ("synced", 26), ("fresh", 18), ("offline", 7),
    ("typo_confusable", 3), ("typo_digit", 3), ("typo_swap", 3), ("typo_date", 3), ("typo_amount", 3),
    ("typo_check_code", 3),
    ("voided", 3), ("red_flushed", 3), ("other_taxpayer", 4), ("no_permission", 3), ("too_old", 3),
    ("unsupported", 3), ("quota_pressed", 6), ("typo_fresh", 6),
)
NUMBER_TYPOS = {"typo_confusable", "typo_digit", "typo_swap", "typo_fresh"}
FIELD_TYPOS = {"typo_date", "typo_amount", "typo_check_code"}
_CONFUSE = {"0": "8", "8": "6", "6": "8", "1": "7", "7": "1", "5": "6", "2": "7", "3": "8", "9": "0", "4": "1"}


@dataclass
class Case:
    n: int
    story: str
    family: str  # vat_special | vat_normal_e | digital
    uploaded_at: dt.datetime
    issued_at: dt.datetime
    visible_at: dt.datetime
    issued: dict  # the authority's fields
    reading: dict  # what the app is given
    state: str = "normal"
    presses: tuple[dt.datetime, ...] = ()
    team: str = "feed"  # feed: its buyer registered, the ledger pulled; plain: no buyer registered, look-ups only
    invoice_id: int | None = None
    seen: dict = field(default_factory=dict)  # moment label → (status, top-3 keys, truth)

    @property
    def key(self) -> str:
        return invoice_key(self.issued.get("invoice_code"), self.issued["invoice_number"])


def _numbers(rng: random.Random, family: str, region: str, year: int) -> tuple[str | None, str]:
    if family == "digital":
        return None, f"{year % 100:02d}{region}{rng.randint(1, 9)}{rng.randint(0, 10**15 - 1):015d}"
    if family == "vat_special":
        return f"{region}00{year % 100:02d}{rng.randint(1000, 9999)}", f"{rng.randint(0, 10**8 - 1):08d}"
    return f"0{region}00{year % 100:02d}{rng.randint(100, 999)}11", f"{rng.randint(0, 10**8 - 1):08d}"


def _issued_fields(rng: random.Random, family: str, region: str, issued_at: dt.datetime, buyer: str) -> dict:
    day = china_date(issued_at)
    code, number = _numbers(rng, family, region, day.year)
    amount = rng.randint(1_000, 2_000_000) / 100
    tax = round(amount * 0.13, 2)
    check = None if family == "vat_special" else f"{rng.randint(0, 10**20 - 1):020d}"
    return {"invoice_code": code, "invoice_number": number, "issue_date": day.isoformat(),
            "amount": f"{amount:.2f}", "tax": f"{tax:.2f}", "total": f"{amount + tax:.2f}", "check_code": check,
            "buyer_name": "上海某某有限公司", "buyer_tax_id": buyer, "seller_name": "某某销售公司",
            "seller_tax_id": f"9131{rng.randint(0, 10**14 - 1):014d}"}


def _slip_number(rng: random.Random, number: str, kind: str) -> str:
    """One slip in the number, as people and OCR make them (never the province/year digits of a 数电 number)."""
    lo = 5 if len(number) == 20 else 0
    while True:
        i = rng.randrange(lo, len(number) - 1)
        if kind == "typo_swap":
            if number[i] != number[i + 1]:
                return number[:i] + number[i + 1] + number[i] + number[i + 2:]
            continue
        new = _CONFUSE[number[i]] if kind in ("typo_confusable", "typo_fresh") else rng.choice(
            [d for d in "0123456789" if d != number[i]])
        return number[:i] + new + number[i + 1:]


def _reading(rng: random.Random, story: str, family: str, issued: dict) -> dict:
    read = dict(issued)
    if story in NUMBER_TYPOS:
        read["invoice_number"] = _slip_number(rng, issued["invoice_number"], story)
    elif story == "typo_date":
        day = dt.date.fromisoformat(issued["issue_date"]) + dt.timedelta(days=rng.choice((-1, 1)))
        read["issue_date"] = day.isoformat()
    elif story == "typo_amount":  # 价税合计 where 金额 belongs (paper), or 金额 where 价税合计 belongs (数电)
        if family == "digital":
            read["total"] = issued["amount"]
        else:
            read["amount"] = issued["total"]
    elif story == "typo_check_code":
        code = issued["check_code"]
        i = rng.randrange(14, 20)
        read["check_code"] = code[:i] + str((int(code[i]) + rng.randint(1, 9)) % 10) + code[i + 1:]
    return read


def _delay_hours(rng: random.Random, story: str) -> float:
    hours = 3.0 * math.exp(rng.gauss(0.0, 1.0))  # the simulator's own defaults (SimulatorSettings)
    hours = min(hours, 20.0)  # "hours to over ten hours": inside T+1
    if story == "offline":
        hours += 24.0 * (1 + rng.random())
    return hours


def population(n: int, seed: int, start: dt.datetime, spread_days: float = 3.0) -> list[Case]:
    rng = random.Random(seed)
    stories = [s for s, _ in MIX]
    weights = [w for _, w in MIX]
    cases = []
    for i in range(n):
        story = rng.choices(stories, weights)[0]
        family = "vat_normal_e" if story == "typo_check_code" else rng.choice(("vat_special", "vat_normal_e",
                                                                               "digital"))
        uploaded = start + dt.timedelta(seconds=rng.randint(0, int(spread_days * 86400)))
        young = story in ("fresh", "offline", "quota_pressed", "typo_fresh") or (
            story not in ("synced", "too_old") and rng.random() < 0.3)
        if story == "too_old":
            issued = uploaded - dt.timedelta(days=5 * 365 + rng.randint(3, 400), hours=rng.randint(0, 12))
        elif young:  # issued earlier the same day
            issued = uploaded - dt.timedelta(minutes=rng.randint(1, 60))
        else:
            issued = uploaded - dt.timedelta(days=rng.randint(2, 300), hours=rng.randint(0, 12))
        buyer = {"other_taxpayer": STRANGER, "no_permission": UNAUTHORISED}.get(story, OWN)
        region = UNSUPPORTED_REGION if story == "unsupported" else rng.choice(("11", "31", "32", "44"))
        fields = _issued_fields(rng, family, region, issued, buyer)
        visible = issued + dt.timedelta(hours=_delay_hours(rng, story))
        state = story if story in ("voided", "red_flushed") else "normal"
        presses = ()
        if story == "quota_pressed":  # impatient: "check now" again and again soon after the upload
            presses = tuple(uploaded + dt.timedelta(minutes=2 + 3 * k) for k in range(6))
        # A team that registered no buyer learns only by looking up (number slips need a ledger to be told).
        plain = story not in NUMBER_TYPOS | {"other_taxpayer", "no_permission"} and rng.random() < 0.35
        cases.append(Case(i, story, family, uploaded, issued, visible, fields, _reading(rng, story, family, fields),
                          state, presses, "plain" if plain else "feed"))
    return cases
