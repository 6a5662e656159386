"""5-field cron schedules as the Kubernetes CronJob controller reads them (Pulumi-free).

The controller parses `.spec.schedule` with robfig/cron v3's standard parser: minute, hour, day of
month, month, day of week; `*`, `?`, lists, ranges, `/` steps, month and weekday names, and the
`@hourly`-style descriptors. When both day fields are restricted a day matches either of them,
otherwise both (robfig/cron spec.go `dayMatches`).
https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax

`max_interval_seconds` finds the longest gap between two runs, which sizes the missing-report alarm.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from dataclasses import dataclass

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6))
_MONTHS = {name.upper(): index for index, name in enumerate(calendar.month_abbr) if name}
_DAYS = {name: index for index, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_WINDOW_START = dt.date(2024, 1, 1)
_WINDOW_DAYS = (dt.date(2032, 1, 1) - _WINDOW_START).days
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: the values each field matches."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_star: bool
    dow_star: bool

    def runs_on(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = (day.isoweekday() % 7) in self.days_of_week
        return dom and dow if self.dom_star or self.dow_star else dom or dow


def _value(text: str, names: dict[str, int], field: str) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"{field} {text!r} is not a number")
    return int(text)


def _field(text: str, index: int) -> tuple[frozenset[int], bool]:
    field, low, high = _FIELDS[index]
    names = _MONTHS if index == 3 else _DAYS if index == 4 else {}
    values: set[int] = set()
    star = text.startswith(("*", "?"))
    for part in text.split(","):
        body, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{field} step {step_text!r} must be a positive number")
            step = int(step_text)
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _value(first, names, field), _value(last, names, field)
        else:
            start = _value(body, names, field)
            # robfig: "N/step" means N through the maximum.
            end = high if slash else start
        # Days of week are 0-6 (robfig/cron spec.go `dow` bounds): 7 is an error, not Sunday.
        if not low <= start <= end <= high:
            raise ValueError(f"{field} {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values), star


def parse(schedule: str) -> Schedule:
    """Parse a 5-field schedule, or raise ValueError saying what is wrong."""
    text = schedule.strip()
    if text.upper().startswith(("TZ=", "CRON_TZ=")):
        # Kubernetes rejects time zones inside the schedule; `.spec.timeZone` sets them.
        raise ValueError("set no time zone in the schedule (Kubernetes rejects TZ= and CRON_TZ=)")
    text = _DESCRIPTORS.get(text.lower(), text)
    if text.startswith("@"):
        raise ValueError(f"unknown descriptor {text!r}")
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"a schedule has 5 fields (minute hour day-of-month month day-of-week), not {len(fields)}")
    parsed = [_field(value, index) for index, value in enumerate(fields)]
    result = Schedule(
        minutes=parsed[0][0],
        hours=parsed[1][0],
        days_of_month=parsed[2][0],
        months=parsed[3][0],
        days_of_week=parsed[4][0],
        dom_star=parsed[2][1],
        dow_star=parsed[4][1],
    )
    if not any(result.runs_on(_WINDOW_START + dt.timedelta(days=d)) for d in range(_WINDOW_DAYS)):
        raise ValueError(f"{schedule!r} never runs")
    return result


def max_interval_seconds(schedule: str) -> int:
    """The longest time between two consecutive runs of `schedule` over eight years (every weekday
    and leap-year combination a schedule can depend on within that span)."""
    parsed = parse(schedule)
    times = sorted(h * 60 + m for h in parsed.hours for m in parsed.minutes)
    within_day = max((b - a for a, b in itertools.pairwise(times)), default=0)
    run_days = [d for d in range(_WINDOW_DAYS) if parsed.runs_on(_WINDOW_START + dt.timedelta(days=d))]
    # Across days: from one run day's last run to the next run day's first.
    across = max(((b - a) * 1440 - times[-1] + times[0] for a, b in itertools.pairwise(run_days)), default=0)
    return max(within_day, across) * 60


# Time for a finished run's PUT to show in S3 request metrics and for a pod to start, on top of
# the schedule's gap and the run's deadline.
ALARM_GRACE_SECONDS = 900
# CloudWatch: Period x EvaluationPeriods at most 7 days, and at most 1 day for periods under an
# hour (PutMetricAlarm, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
_MAX_EVALUATION_SECONDS = 7 * 86400
_MAX_SHORT_PERIOD_EVALUATION_SECONDS = 86400


def missing_run_alarm_window(schedule: str, deadline_seconds: int) -> tuple[int, int]:
    """(period, evaluation periods) of an alarm that fires when no run has finished for longer
    than the schedule's longest gap plus the run deadline plus `ALARM_GRACE_SECONDS`.

    Raises ValueError when that window exceeds what a CloudWatch alarm can evaluate (7 days)."""
    window = max_interval_seconds(schedule) + deadline_seconds + ALARM_GRACE_SECONDS
    if window <= _MAX_SHORT_PERIOD_EVALUATION_SECONDS:
        period = 300
    elif window <= _MAX_EVALUATION_SECONDS:
        period = 3600
    else:
        raise ValueError(
            f"{schedule!r} can go {window // 3600} hours (gap, deadline and grace) without a report; "
            "a CloudWatch alarm evaluates at most 7 days, so the missing-report alarm cannot watch it"
        )
    return period, -(-window // period)
