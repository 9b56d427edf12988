"""Each rule's yield (规则成效) as a table: per rule version and feed, the alerts it raised and what became of
them, read from the facts of reports/producers_alerts.py (docs/domain.md §21), never from the evidence.

A county reported about 800 department alerts for 6 identified households in a year (docs/domain.md §4):
this table shows the city which thresholds flood villages with clues that lead nowhere and which find the
households that matter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from dixian.feeds.labels import feed_label
from dixian.regions.models import Region
from dixian.screening.models import Rule

from .catalogue import INDICATORS
from .models import Fact
from .periods import Period
from .producers_alerts import YIELD_IDENTIFIED, YIELD_RAISED, YIELD_RULED_OUT, rule_dim_parse
from .selectors import Mode, months_of


@dataclass(frozen=True)
class RuleYield:
    rule_id: str
    rule_name: str
    version: int
    feed: str
    feed_label: str
    raised: int
    ruled_out: int
    identified: int

    @staticmethod
    def _share(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def share_identified(self) -> Decimal | None:
        """Of the alerts raised, the % taken into monitoring (None when it raised none)."""
        return self._share(self.identified, self.raised)

    @property
    def share_ruled_out(self) -> Decimal | None:
        return self._share(self.ruled_out, self.raised)

    @property
    def label(self) -> str:
        return f"{self.rule_id} 第{self.version}版"


def rule_yield(region: Region, period: Period, mode: Mode = "month") -> list[RuleYield]:
    """The rule versions that raised alerts in `region` in the month (or January to it), by rule, version
    and feed, in two queries."""
    months = [str(p) for p in months_of(INDICATORS["rule_yield_raised"], period, mode)]
    rows = (
        Fact.objects.filter(
            region_code=region.code,
            period__in=months,
            code__in=(YIELD_RAISED, YIELD_RULED_OUT, YIELD_IDENTIFIED),
            dim__startswith="rule=",
        )
        .values_list("dim", "code")
        .annotate(total=Sum("value"))
        .order_by()
    )
    counts: dict[tuple[str, int, str], dict[str, int]] = defaultdict(dict)
    for dim, code, total in rows:
        key = rule_dim_parse(dim)
        if key is not None:
            counts[key][code] = int(total)
    names = dict(Rule.objects.filter(rule_id__in={k[0] for k in counts}).values_list("rule_id", "name"))
    found = [
        RuleYield(
            rule_id=rule_id,
            rule_name=names.get(rule_id, ""),
            version=version,
            feed=feed,
            feed_label=feed_label(feed) if feed else "",
            raised=c.get(YIELD_RAISED, 0),
            ruled_out=c.get(YIELD_RULED_OUT, 0),
            identified=c.get(YIELD_IDENTIFIED, 0),
        )
        for (rule_id, version, feed), c in counts.items()
    ]
    return sorted(found, key=lambda r: (r.rule_id, -r.version, r.feed))
