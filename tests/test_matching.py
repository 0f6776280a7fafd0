"""Matching: exact keys win, any single confusion slip is found as a near miss, ranked with evidence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backend.sync.matching import CONFUSION_GROUPS, differences, invoice_key, match, near_misses, variants

number8 = st.text("0123456789", min_size=8, max_size=8)
code10 = st.text("0123456789", min_size=10, max_size=10)
pairs = [(a, b) for g in CONFUSION_GROUPS for a in g for b in g if a != b]


def lookup_in(rows: dict):
    return lambda keys: {k: rows[k] for k in keys if k in rows}


def row(code, number, **extra):
    return {"invoice_code": code, "invoice_number": number, "issue_date": "2026-01-03", "amount": "100.00",
            "total": "113.00", **extra}


@given(code10, number8, st.sampled_from(pairs), st.integers(0, 7))
def test_any_single_confusion_substitution_is_found(code, number, pair, pos):
    a, b = pair
    real = number[:pos] + a + number[pos + 1:]
    typed = number[:pos] + b + number[pos + 1:]
    rows = {invoice_key(code, real): row(code, real)}
    ours = row(code, typed)
    found = near_misses(invoice_key(code, typed), ours, lookup_in(rows))
    assert [m.key for m in found] == [invoice_key(code, real)]
    assert found[0].kind == "confusion"
    assert found[0].diffs[0].as_dict() == {"field": "invoice_number", "position": pos, "ours": b, "theirs": a}


@given(code10, number8, st.integers(0, 7), st.sampled_from("0123456789"))
def test_exact_key_always_wins(code, number, pos, digit):
    near = number[:pos] + digit + number[pos + 1:]
    rows = {invoice_key(code, number): row(code, number), invoice_key(code, near): row(code, near)}
    m = match(row(code, number), lookup_in(rows))
    assert m.exact is not None and m.exact["invoice_number"] == number
    assert m.near == ()


def test_transposed_neighbours_and_code_slips_are_found():
    rows = {"1100094140-87654321": row("1100094140", "87654321")}
    by_swap = near_misses("1100094140-87654312", row("1100094140", "87654312"), lookup_in(rows))
    assert by_swap[0].kind == "transposition"
    by_code = near_misses("1100094148-87654321", row("1100094148", "87654321"), lookup_in(rows))
    assert by_code[0].kind == "confusion" and by_code[0].diffs[0].field == "invoice_code"


def test_twenty_digit_numbers_have_no_code():
    number = "25112000000012345678"
    assert invoice_key(None, number) == number
    assert all("-" not in v.key for v in variants(number))


def test_ranking_prefers_confusion_with_agreeing_fields():
    ours = row("1100094140", "87654321")
    rows = {
        "1100094140-87654327": row("1100094140", "87654327"),  # 1 → 7 confusion, fields agree
        "1100094140-87654322": row("1100094140", "87654322", amount="999.00", total="1128.87"),  # one edit
    }
    found = near_misses("1100094140-87654321", ours, lookup_in(rows))
    assert [m.key for m in found] == ["1100094140-87654327", "1100094140-87654322"]
    assert found[0].score > found[1].score


def test_differences_name_date_off_by_one_and_pre_tax_vs_total():
    ours = {"issue_date": "2026-01-04", "total": "100.00", "check_code": "12345678901234567890"}
    theirs = {"issue_date": "2026-01-03", "amount": "100.00", "total": "113.00",
              "check_code": "12345678901234999999"}
    kinds = {d.field: d.kind for d in differences(ours, theirs)}
    assert kinds == {"issue_date": "date_off_by_one", "total": "pre_tax_vs_total", "check_code": "tail_differs"}
    assert differences(theirs, theirs) == ()
