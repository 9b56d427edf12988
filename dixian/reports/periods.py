"""Statistical months ("2026-10") and the comparisons the figures are shown with (docs/domain.md §21)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

# ASCII digits only (\d would take other scripts' digits) and a year a record can bear: 0000-01 and 9999-12
# would fail later in date arithmetic.
PERIOD_RE = re.compile(r"^((?:19|20|21)[0-9]{2})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period the user typed that is not a month."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = PERIOD_RE.match((text or "").strip())
        if not m:
            raise PeriodError(f"统计月份“{text}”无法识别:请写成“年-月”,例如 2026-10。")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: dt.date | dt.datetime) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def current(cls) -> Period:
        return cls.of(timezone.localdate())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def start(self) -> dt.datetime:
        """The month's first instant in the platform's time zone (flows: start <= t < next().start())."""
        return dt.datetime(self.year, self.month, 1, tzinfo=timezone.get_current_timezone())

    def end(self) -> dt.datetime:
        return self.next().start()

    def next(self) -> Period:
        return Period(self.year + (self.month == 12), self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def year_ago(self) -> Period:
        return Period(self.year - 1, self.month)

    def back(self, months: int) -> Period:
        p = self
        for _ in range(months):
            p = p.previous()
        return p

    def year_to_date(self) -> list[Period]:
        """January to this month: the months a 年累计 flow adds up."""
        return [Period(self.year, m) for m in range(1, self.month + 1)]

    def is_current(self) -> bool:
        return self == Period.current()
