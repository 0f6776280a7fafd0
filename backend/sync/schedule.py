"""When to look again: back-off inside the sync window, within the daily quota, up to a limit.

All times are naive UTC. The platform's day (for the 5-look-ups quota) is the China calendar day.
`time_scale` shrinks every spacing for demos (1/120: an authority hour passes in 30 s), the platform's day
included: at a demo scale its quota turns every demo day (backend/clock.platform_day_start).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..clock import CHINA, platform_day_length, platform_day_start
from .types import Outcome

LADDER_HOURS = (1.0, 3.0, 12.0, 24.0)  # after the 1st, 2nd, 3rd, 4th look; then daily
RETRY_UNAVAILABLE_MINUTES = 10.0  # the connector failed: try again soon, it costs no quota
# An announced maintenance: wait for its announced end, and a little more (a platform reopens a few minutes late,
# and every waiting invoice is due at once then). An end further off than MAINTENANCE_AT_MOST is not believed.
AFTER_MAINTENANCE_MINUTES = 5.0
MAINTENANCE_AT_MOST = dt.timedelta(days=7)
AFTER_EXPECTED_MINUTES = 5.0  # look just after the sync window ends: "expected by" is then answered
LAST_OF_DAY_MINUTES = 30.0  # the day's last look-up, this long before the platform's day turns
# Past the sync window but not yet overdue (offline-issued invoices arrive a day or two late): look every few
# hours, as a person would, rather than once a day; 4 a day stays inside the platform's 5.
LATE_STEP_HOURS = 6.0
# Overdue: what a look-up would show has mostly been shown; every 3 days, as a person who has not given up would.
OVERDUE_STEP_HOURS = 72.0


@dataclass(frozen=True)
class Policy:
    window_hours: float = 24.0  # T+1
    overdue_hours: float = 72.0
    limit_days: int = 30
    daily_quota: int = 5
    time_scale: float = 1.0

    def scaled(self, hours: float) -> dt.timedelta:
        return dt.timedelta(hours=hours * self.time_scale)

    def day_start(self, now: dt.datetime) -> dt.datetime:
        """Start of the platform's day (its quota's) that holds `now`: a demo day at a demo scale."""
        return platform_day_start(now, self.time_scale)

    def next_day(self, now: dt.datetime) -> dt.datetime:
        """When the platform's day turns and its quota is given back."""
        return self.day_start(now) + platform_day_length(self.time_scale)


def china_day_start(now: dt.datetime) -> dt.datetime:
    """Start (UTC) of the China calendar day that contains `now` (UTC)."""
    return platform_day_start(now)


def believed_end(until: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """An announced maintenance's end, or None when there is none or it is too far off to believe."""
    return until if until is not None and until - now <= MAINTENANCE_AT_MOST else None


def resume_after_maintenance(until: dt.datetime | None, now: dt.datetime, policy: Policy) -> dt.datetime | None:
    """When to ask again after an announced maintenance ending `until`; None when there is no end to wait for
    (none announced, it and the margin after it past, or too far off to believe): then an outage's retry applies."""
    until = believed_end(until, now)
    resume = until + policy.scaled(AFTER_MAINTENANCE_MINUTES / 60) if until is not None else None
    if resume is None or resume <= now:
        return None
    return resume


def issued_at(issue_date: str | None, fallback: dt.datetime) -> dt.datetime:
    """Start of the issue day (UTC) when the date is known, else when we first saw the invoice."""
    try:
        day = dt.date.fromisoformat(issue_date) if issue_date else None
    except ValueError:
        day = None
    return dt.datetime(day.year, day.month, day.day) - CHINA if day else fallback


def expected_by(issued: dt.datetime, policy: Policy) -> dt.datetime:
    """When a normally synced invoice should be findable: end of the sync window (T+1)."""
    return issued + policy.scaled(policy.window_hours)


def overdue_at(issued: dt.datetime, policy: Policy) -> dt.datetime:
    return issued + policy.scaled(policy.overdue_hours)


def next_check(*, now: dt.datetime, outcome: Outcome, checks_done: int, pending_since: dt.datetime,
               quota_used_today: int, policy: Policy, expected_at: dt.datetime | None = None,
               maintenance_until: dt.datetime | None = None) -> dt.datetime | None:
    """The next automatic look-up, or None when there is nothing more to learn by asking.

    `expected_at`: when the invoice should be findable (end of its sync window); a look-up is placed just
    after it, so the premise "expected by …" is answered when it expires, not a ladder step later.
    `maintenance_until`: the announced end of the maintenance that made the connector unavailable."""
    limit_at = pending_since + policy.scaled(policy.limit_days * 24)
    if now >= limit_at:
        return None
    if outcome == Outcome.UNAVAILABLE:
        # Asking during an announced maintenance learns nothing: wait for its end. An outage says no end: retry.
        resume = resume_after_maintenance(maintenance_until, now, policy)
        return resume or now + policy.scaled(RETRY_UNAVAILABLE_MINUTES / 60)
    step = LADDER_HOURS[checks_done - 1] if 0 < checks_done <= len(LADDER_HOURS) else 24.0
    if expected_at is not None and expected_at <= now:
        late = now < expected_at + policy.scaled(policy.overdue_hours - policy.window_hours)
        step = min(step, LATE_STEP_HOURS) if late else max(step, OVERDUE_STEP_HOURS)
    when = now + policy.scaled(step)
    if expected_at is not None:
        after = expected_at + policy.scaled(AFTER_EXPECTED_MINUTES / 60)
        if now < after < when:
            when = after
    when = min(when, limit_at)  # the last look at the limit, not a long step past it
    day_turns = policy.next_day(now)
    if outcome == Outcome.QUOTA or quota_used_today >= policy.daily_quota:
        # The platform refuses until its day turns; asking before that only burns tomorrow's quota.
        return max(when, day_turns + policy.scaled(5 / 60))
    if quota_used_today == policy.daily_quota - 1 and when < day_turns:
        # The day's last look-up: as late as the day allows, never spent just before the invoice appears
        # (one was parked till the next day, its 5th check having run 14 s too early).
        when = max(when, day_turns - policy.scaled(LAST_OF_DAY_MINUTES / 60))
    return when
