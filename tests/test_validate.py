import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.validate import validate
from backend.validate.codes import Family, family_from_keys, region_of
from backend.validate.uscc import ALPHABET, check_char, is_valid, org_check_char
from backend.validate.words import amount_to_words, parse_money, words_to_amount

TODAY = dt.date(2026, 11, 27)
uscc17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999.99"), places=2)


@given(uscc17)
def test_generated_usccs_round_trip_their_check_digit(first17):
    code = first17 + check_char(first17)
    assert is_valid(code)
    wrong = ALPHABET[(ALPHABET.index(code[17]) + 1) % 31]
    assert not is_valid(code[:17] + wrong)


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_org_code_check_is_a_digit_or_x(first8):
    assert org_check_char(first8) in "0123456789X"


@given(money)
def test_amounts_round_trip_through_words(value):
    assert words_to_amount(amount_to_words(value)) == value


@pytest.mark.parametrize("words,value", [
    ("柒仟零壹拾捌圆捌角叁分", "7018.83"),
    ("陆佰圆整", "600.00"),
    ("陆佰元", "600.00"),
    ("壹拾万零叁佰圆整", "100300.00"),
    ("壹佰零捌圆零伍分", "108.05"),
    ("⊗贰佰贰拾陆圆整", "226.00"),
    ("叁角", "0.30"),
])
def test_printed_variants_compare_by_value(words, value):
    assert words_to_amount(words) == Decimal(value)


def test_canonical_words():
    assert amount_to_words(Decimal("7018.83")) == "柒仟零壹拾捌圆捌角叁分"
    assert amount_to_words(Decimal("600")) == "陆佰圆整"
    assert amount_to_words(Decimal("100300.00")) == "壹拾万零叁佰圆整"
    assert amount_to_words(Decimal("108.05")) == "壹佰零捌圆零伍分"


def test_not_words():
    assert words_to_amount("hello") is None and words_to_amount("") is None


def test_money_parsing():
    assert parse_money("¥1,234.5") == Decimal("1234.50") and parse_money("***") is None


def test_regions_and_families():
    assert region_of("1100171320") == "北京" and region_of("4403162130") == "深圳"
    assert region_of("012001800311") == "天津"
    assert region_of(None, "25327000000123456789") == "江苏"
    assert family_from_keys("1100171320", "12356976") == Family.VAT_NORMAL
    assert family_from_keys("012001800311", "33207675") == Family.VAT_E_NORMAL
    assert family_from_keys(None, "25327000000123456789") == Family.DIGITAL_NORMAL


def good_fields(**over):
    seller = "91110108" + "MA01ABCD" + "X"
    seller = seller + check_char(seller)
    f = {"invoice_code": "1100171320", "invoice_number": "12356976", "issue_date": "2017-04-25",
         "check_code": "68290471162609952523", "buyer_name": "甲", "buyer_tax_id": None,
         "seller_name": "乙", "seller_tax_id": seller, "amount": "566.04", "tax": "33.96",
         "total": "600.00", "total_in_words": "陆佰圆整"}
    f.update(over)
    return f


def keys(findings):
    return sorted(f.key for f in findings)


def test_a_consistent_invoice_has_no_findings():
    assert validate(good_fields(), Family.VAT_NORMAL, TODAY) == []


@pytest.mark.parametrize("over,key,severity", [
    ({"invoice_code": "11001713"}, "code_format", "error"),
    ({"invoice_number": "1235697"}, "number_format", "error"),
    ({"issue_date": "2027-01-01"}, "date_future", "error"),
    ({"issue_date": "2017-02-30"}, "date_format", "error"),
    ({"check_code": "6829047116260995252"}, "check_code_format", "error"),
    ({"total": "610.00", "total_in_words": "陆佰壹拾圆整"}, "sum_mismatch", "error"),
    ({"tax": "3.96", "total": "570.00", "total_in_words": "伍佰柒拾圆整"}, "tax_rate_unusual", "warning"),
    ({"total_in_words": "陆佰伍拾圆整"}, "words_mismatch", "error"),
    ({"seller_tax_id": "911101087000000001"}, "uscc_check_digit", "warning"),
    ({"seller_tax_id": "410305012345678"}, "tax_id_legacy", "warning"),
    ({"seller_tax_id": "91-11"}, "tax_id_format", "error"),
])
def test_each_rule_fires_alone(over, key, severity):
    findings = validate(good_fields(**over), Family.VAT_NORMAL, TODAY)
    assert keys(findings) == [key]
    assert findings[0].severity == severity


def test_special_invoices_need_no_check_code_and_digital_ones_no_code():
    assert validate(good_fields(check_code=None), Family.VAT_SPECIAL, TODAY) == []
    digital = good_fields(invoice_code=None, invoice_number="25327000000123456789", check_code=None)
    assert validate(digital, Family.DIGITAL_NORMAL, TODAY) == []
    assert keys(validate({**digital, "invoice_code": "1100171320"}, Family.DIGITAL_NORMAL, TODAY)) == [
        "code_not_expected"]


def test_every_rule_key_is_translated():
    import json
    from pathlib import Path

    import backend.validate as v

    src = Path(v.__file__).read_text()
    import re

    rule_keys = set(re.findall(r'_(?:err|warn)\("([a-z_]+)"', src))
    for lang in ("zh", "en"):
        catalog = json.loads((Path(v.__file__).parent.parent / "i18n" / f"{lang}.json").read_text())
        assert {f"validation.{k}" for k in rule_keys} <= set(catalog), lang
