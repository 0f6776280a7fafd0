"""The pure parts of sync: status machine, re-check schedule, and each diagnosis rule on its own."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.clock import CHINA, platform_date, platform_day_start
from backend.sync import diagnosis as dg
from backend.sync import schedule
from backend.sync.machine import next_status
from backend.sync.schedule import Policy, china_day_start, issued_at, next_check
from backend.sync.types import Outcome

NOW = dt.datetime(2026, 3, 2, 4, 0)  # 12:00 in China
POLICY = Policy()


@pytest.mark.parametrize("outcome,expected", [
    (Outcome.FOUND, "found"), (Outcome.INCONSISTENT, "mismatch"), (Outcome.VOIDED, "voided"),
    (Outcome.RED_FLUSHED, "red_flushed"), (Outcome.TOO_OLD, "not_found"), (Outcome.NOT_FOUND, "pending_sync"),
    (Outcome.SAME_DAY, "pending_sync"), (Outcome.QUOTA, "pending_sync"), (Outcome.UNAVAILABLE, "pending_sync"),
])
def test_machine_inside_the_window(outcome, expected):
    assert next_status(outcome, now=NOW, overdue_at=NOW + dt.timedelta(hours=1), errors_in_row=0) == expected


def test_machine_overdue_and_repeated_errors():
    past = NOW - dt.timedelta(hours=1)
    assert next_status(Outcome.NOT_FOUND, now=NOW, overdue_at=past, errors_in_row=0) == "not_found"
    assert next_status(Outcome.UNAVAILABLE, now=NOW, overdue_at=past, errors_in_row=4) == "not_found"
    assert next_status(Outcome.UNAVAILABLE, now=NOW, overdue_at=past, errors_in_row=5) == "sync_error"
    assert next_status(Outcome.FOUND, now=NOW, overdue_at=past, errors_in_row=9) == "found"


def test_schedule_backs_off_then_goes_daily():
    gaps = []
    for done in range(1, 7):
        when = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=done, pending_since=NOW,
                          quota_used_today=0, policy=POLICY)
        gaps.append((when - NOW).total_seconds() / 3600)
    assert gaps == [1, 3, 12, 24, 24, 24]


def test_schedule_looks_when_the_window_ends_and_keeps_the_last_look_late():
    ends = NOW + dt.timedelta(hours=7)
    when = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=3, pending_since=NOW, quota_used_today=3,
                      policy=POLICY, expected_at=ends)
    assert when == ends + dt.timedelta(minutes=5)  # not 12 h later: "expected by" is answered when it expires
    last = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=1, pending_since=NOW, quota_used_today=4,
                      policy=POLICY)
    assert last == china_day_start(NOW) + dt.timedelta(days=1, minutes=-30)  # 23:30 in China, not 13:00
    assert next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=4, pending_since=NOW, quota_used_today=4,
                      policy=POLICY) == NOW + dt.timedelta(hours=24)  # already past the day's end
    late = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=6, pending_since=NOW, quota_used_today=1,
                      policy=POLICY, expected_at=NOW - dt.timedelta(hours=2))
    assert late == NOW + dt.timedelta(hours=6)  # a day late (offline-issued): every 6 h, not once a day
    overdue = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=9, pending_since=NOW, quota_used_today=1,
                         policy=POLICY, expected_at=NOW - dt.timedelta(days=3))
    assert overdue == NOW + dt.timedelta(days=3)  # overdue: every 3 days until the limit


def test_schedule_respects_quota_limit_and_scale():
    when = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=1, pending_since=NOW, quota_used_today=5,
                      policy=POLICY)
    assert when == china_day_start(NOW) + dt.timedelta(days=1, minutes=5)
    assert when == dt.datetime(2026, 3, 2, 16, 5)  # 00:05 next day in China
    assert next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=9, pending_since=NOW - dt.timedelta(days=31),
                      quota_used_today=0, policy=POLICY) is None
    fast = Policy(time_scale=1 / 120)
    when = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=1, pending_since=NOW, quota_used_today=0,
                      policy=fast)
    assert when - NOW == dt.timedelta(seconds=30)
    retry = next_check(now=NOW, outcome=Outcome.UNAVAILABLE, checks_done=1, pending_since=NOW, quota_used_today=0,
                       policy=POLICY)
    assert retry - NOW == dt.timedelta(minutes=10)


def test_an_announced_maintenance_is_waited_out_and_an_outage_retried():
    end = NOW + dt.timedelta(hours=2)
    margin = dt.timedelta(minutes=schedule.AFTER_MAINTENANCE_MINUTES)

    def after(until, policy=POLICY, now=NOW):
        return next_check(now=now, outcome=Outcome.UNAVAILABLE, checks_done=1, pending_since=NOW, quota_used_today=0,
                          policy=policy, maintenance_until=until)

    assert after(end) == end + margin  # not every 10 minutes until it is over
    assert after(NOW + dt.timedelta(minutes=1)) == NOW + dt.timedelta(minutes=1) + margin  # sooner than a retry
    assert after(end, now=end + dt.timedelta(minutes=1)) == end + margin  # inside the margin: still waiting
    assert after(end, Policy(time_scale=1 / 120)) == end + margin / 120
    assert after(None) == NOW + dt.timedelta(minutes=10)  # an outage names no end: its back-off
    assert after(NOW - margin) == NOW + dt.timedelta(minutes=10)  # over: asking is worth it again
    assert after(NOW + dt.timedelta(days=30)) == NOW + dt.timedelta(minutes=10)  # an end past belief
    assert schedule.resume_after_maintenance(end, NOW, POLICY) == end + margin


def test_the_platform_day_is_the_china_day_at_scale_one_and_a_demo_day_in_a_demo():
    for now in (NOW, dt.datetime(2026, 3, 2, 15, 59), dt.datetime(2026, 3, 2, 16, 0), dt.datetime(2019, 7, 1, 23)):
        local = now + CHINA
        assert platform_day_start(now) == dt.datetime(local.year, local.month, local.day) - CHINA
        assert platform_date(now) == local.date() and POLICY.day_start(now) == china_day_start(now)
    assert POLICY.next_day(NOW) == dt.datetime(2026, 3, 2, 16, 0)
    demo = Policy(time_scale=1 / 120)  # a demo day lasts 12 minutes
    start = demo.day_start(NOW)
    assert start <= NOW < demo.next_day(NOW) == start + dt.timedelta(minutes=12)
    assert demo.day_start(demo.next_day(NOW)) == demo.next_day(NOW)
    assert platform_date(NOW, 1 / 120) != platform_date(NOW + dt.timedelta(minutes=12), 1 / 120)
    # Its 5 look-ups spent, a demo invoice waits for the demo day to turn (+5 authority-minutes), not for 00:05.
    when = next_check(now=NOW, outcome=Outcome.QUOTA, checks_done=5, pending_since=NOW, quota_used_today=5,
                      policy=demo)
    assert when == demo.next_day(NOW) + dt.timedelta(seconds=2.5)
    last = next_check(now=NOW, outcome=Outcome.NOT_FOUND, checks_done=1, pending_since=NOW, quota_used_today=4,
                      policy=demo)
    assert last == max(NOW + dt.timedelta(seconds=30), demo.next_day(NOW) - dt.timedelta(seconds=15))


def test_issue_day_is_the_china_day():
    assert issued_at("2026-03-02", NOW) == dt.datetime(2026, 3, 1, 16, 0)
    assert issued_at(None, NOW) == NOW and issued_at("garbage", NOW) == NOW


def ctx(**kw) -> dg.Context:
    base = dict(now=NOW, status="pending_sync", last_outcome=Outcome.NOT_FOUND,
                fields={"invoice_number": "87654321", "invoice_code": "1100094140", "issue_date": "2026-03-01"})
    return dg.Context(**{**base, **kw})


def keys(c: dg.Context) -> list[str]:
    return [cause.key for cause in dg.diagnose(c)]


def test_each_rule_alone():
    later = NOW + dt.timedelta(hours=5)
    assert keys(ctx(expected_by=later, overdue_at=later)) == ["sync_window"]
    assert keys(ctx(fields={})) == ["missing_key"]
    assert keys(ctx(last_outcome=Outcome.VOIDED)) == ["voided"]
    assert keys(ctx(last_outcome=Outcome.RED_FLUSHED)) == ["red_flushed"]
    assert keys(ctx(last_outcome=Outcome.TOO_OLD)) == ["too_old"]
    old = {"invoice_number": "1", "issue_date": "2019-01-01"}
    assert keys(ctx(fields=old)) == ["too_old"]
    assert keys(ctx(fields=old, online=True, last_outcome=None)) == ["too_old"]
    # The platform answered "not found", which it never does past five years: the date's premise is gone.
    assert keys(ctx(fields=old, online=True)) == []
    assert keys(ctx(last_outcome=Outcome.UNSUPPORTED)) == ["unsupported"]
    assert keys(ctx(family="taxi")) == ["unsupported"]
    assert keys(ctx(last_outcome=Outcome.INCONSISTENT,
                    differences=({"field": "total", "ours": "1", "theirs": "2", "kind": "differs"},))) \
        == ["fields_differ"]
    assert keys(ctx(near=({"key": "k", "score": 0.9, "diffs": []},))) == ["near_miss"]
    ours = {"invoice_number": "1", "buyer_tax_id": "91110000000000000X", "buyer_name": "别家公司"}
    assert keys(ctx(fields=ours, entities=(("我们公司", "911100001234567890"),))) == ["other_taxpayer"]
    assert keys(ctx(fields=ours, entities=(("别家公司", "91110000000000000x"),))) == []
    assert keys(ctx(connector={"ok": False, "down_since": "x"})) == ["connector_down"]
    announced = {"ok": True, "failures": 1, "last_error": "connector.maintenance"}
    assert keys(ctx(connector=announced)) == ["maintenance"]
    assert keys(ctx(connector={**announced, "ok": False, "failures": 3})) == ["maintenance"]
    said = dg.diagnose(ctx(connector={**announced, "maintenance_until": "2026-03-02T06:00:00.000Z",
                                      "resumes_at": "2026-03-02T06:05:00.000Z"}))[0].params
    assert said["until"] == "2026-03-02T06:00:00.000Z" and said["resumes_at"] == "2026-03-02T06:05:00.000Z"
    assert dg.diagnose(ctx(connector=announced))[0].params["resumes_at"] == "—"  # it named no end
    waited = {"ok": False, "failures": 3, "last_error": "connector.timeout", "resumes_at": "2026-03-02T06:05:00.000Z"}
    assert keys(ctx(connector=waited)) == ["maintenance"]  # a timeout during it: its end is still waited for
    assert keys(ctx(connector={**waited, "resumes_at": None})) == ["connector_down"]  # waited out
    # A success during it (a call under way as it closed) clears the authority's down_since, not the maintenance's.
    answered = {"ok": True, "failures": 0, "down_since": None, "last_error": None,
                "resumes_at": "2026-03-02T06:05:00.000Z", "maintenance_since": "2026-03-02T04:00:00.000Z"}
    assert dg.diagnose(ctx(connector=answered))[0].params["since"] == "2026-03-02T04:00:00.000Z"
    assert dg.diagnose(ctx(connector={**answered, "maintenance_since": None}))[0].params["since"] == "—"
    # Nothing answered yet since the app started: "—", never "None" in the sentence.
    never = dg.diagnose(ctx(connector={"ok": False, "down_since": None, "last_ok_at": None}))[0].params
    assert never["since"] == "—" and never["last_ok_at"] == "—"
    assert dg.diagnose(ctx(connector=announced))[0].params["last_ok_at"] == "—"
    mine = {"invoice_number": "1", "buyer_tax_id": "911100001234567890"}
    refused = frozenset({"911100001234567890"})
    assert keys(ctx(fields=mine, entities=(("我们公司", "911100001234567890"),), refused=refused)) \
        == ["no_permission"]
    assert keys(ctx(fields=ours, entities=(("我们公司", "911100001234567890"),), refused=refused)) \
        == ["other_taxpayer"]  # not ours at all: another taxpayer's, whatever we are authorised for
    assert keys(ctx(quota_used_today=5)) == ["quota"]
    assert keys(ctx(last_outcome=Outcome.QUOTA)) == ["quota"]
    assert keys(ctx(doubtful=("amount",))) == ["reader_doubts"]
    assert keys(ctx(validation=({"key": "sum", "severity": "error", "fields": ["total"]},))) == ["reader_doubts"]
    assert keys(ctx(overdue_at=NOW - dt.timedelta(hours=1))) == ["overdue_unexplained"]


def test_found_has_no_causes_and_ranking_puts_certain_first():
    assert dg.diagnose(ctx(last_outcome=Outcome.FOUND, quota_used_today=9)) == []
    later = NOW + dt.timedelta(hours=5)
    ranked = dg.diagnose(ctx(expected_by=later, overdue_at=later, doubtful=("amount",),
                             near=({"key": "k", "score": 0.9, "diffs": []},)))
    assert [c.key for c in ranked] == ["near_miss", "sync_window", "reader_doubts"]
    assert ranked[0].action == "accept_near_miss" and ranked[0].params["candidate"]["key"] == "k"
    assert ranked[1].params["expected_by"].endswith("Z")
    weaker = dg.diagnose(ctx(expected_by=later, overdue_at=later, near=({"key": "k", "score": 0.6, "diffs": []},)))
    assert [c.key for c in weaker] == ["sync_window", "near_miss"]  # any digit, not a look-alike: too new first
    agreeing = {"key": "k", "score": 0.6, "diffs": [], "differences": []}  # ... unless all else agrees
    assert keys(ctx(expected_by=later, overdue_at=later, near=(agreeing,)))[:2] == ["near_miss", "sync_window"]
    down = {"ok": False, "down_since": "x", "last_error": "connector.down"}
    assert keys(ctx(expected_by=later, overdue_at=later, connector=down)) == ["connector_down", "sync_window"]
    mine = {"invoice_number": "1", "buyer_tax_id": "91110000000000000X", "buyer_name": "别家公司"}
    assert keys(ctx(fields=mine, entities=(("我们公司", "911100001234567890"),), connector=down))[0] \
        == "other_taxpayer"  # evidence of its own outranks an outage, which no answer would change
    assert keys(ctx(expected_by=later, overdue_at=later, quota_used_today=5))[0] == "quota"
    # "Expected by 03:56, nothing to do" once 03:56 has passed and the day's look-ups are spent: the quota says why.
    passed = dg.diagnose(ctx(expected_by=NOW - dt.timedelta(minutes=1), overdue_at=later, quota_used_today=5))
    assert [c.key for c in passed] == ["quota", "sync_window"] and "overdue_at" in passed[1].params


def test_every_rule_has_zh_and_en_text():
    from backend.i18n import catalog

    for lang in ("zh", "en"):
        for key, _, _ in dg.RULES:
            assert f"diagnosis.{key}" in catalog(lang), (lang, key)
            assert f"diagnosis.{key}.next" in catalog(lang), (lang, key)


@pytest.mark.parametrize("until", ["0001-01-01T00:00:00+14:00", "tomorrow", 5, None])
def test_a_maintenance_with_an_odd_end_is_still_a_connector_error(until):
    """The far side's `until` is parsed, never trusted: a time UTC cannot hold, or no time, is an announced
    maintenance of unknown end (the checks retry as for an outage), not an exception out of the connector."""
    import json

    from backend.sync.connector import ConnectorError, HttpConnector

    class Answers503:
        def request(self, *args, **kwargs):
            body = json.dumps({"error": "maintenance", "until": until}).encode()
            return type("Res", (), {"status_code": 503, "json": lambda self: json.loads(body)})()

    with pytest.raises(ConnectorError) as failed:
        HttpConnector("http://authority", 5, Answers503(), token="t").changes(None, ["91110000MA00000001"])
    assert failed.value.key == "connector.maintenance" and failed.value.params["until"] is None
