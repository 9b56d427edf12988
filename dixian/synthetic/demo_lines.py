"""The demo's three lines of early warning (三线预警), so that the village worker's queue shows all three:

1. 部门筛查预警: the generated feeds are delivered (channel "generated", by the demo department account)
   and the period is screened through the screening service, linkage included;
2. 农户自主申报: a few declarations from people of the demo village, through the public page's service
   (one from a person the registry does not hold, as happens);
3. 干部常态排查: a few visits by the village officer with risks ticked, through the visit service — one of
   them in a household the department data already flagged for the same risk, so that one alert shows
   evidence from two lines.

Each step is idempotent: deliveries by content, the run adds nothing new, declarations and visits are
skipped when already there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from dixian.accounts.models import User
from dixian.cases.models import Alert, Channel
from dixian.regions.models import Region
from dixian.registry.models import Household, Person

from .generate import Manifest
from .quality_db import feeds_deliver

Say = Callable[[str], None]
DEMO_IP = "198.51.100.26"  # documentation range (RFC 5737): the demo's declarations come from "a phone"

# (difficulty, description) of the declarations, first two from registry persons of the demo village.
DECLARATIONS = (
    ("illness", "丈夫今年查出尿毒症,每周透析,家里看病花了很多钱,孩子还在读书,请求帮助。"),
    ("job_loss", "在外打工的工厂倒闭了,回家几个月没找到活,家里没有别的收入。"),
    ("housing", "老房子下大雨后墙体开裂,一家人不敢住,想申请危房改造。"),
)
# (risks ticked, notes) of the visits; the first goes to a household already flagged by the department data.
VISITS: tuple[tuple[list[str], str], ...] = (
    (["illness"], "入户核实:户主住院治疗后在家休养,医药费负担重,已告知医疗救助政策。"),
    (["housing", "water"], "房屋后墙有裂缝,雨季漏水;自来水近一个月时断时续。"),
    (["job_loss", "income_drop"], "两名劳动力今年先后失业返乡,家庭收入明显下降。"),
    ([], "常规走访,家庭情况稳定,未发现风险。"),
)


@dataclass
class LinesResult:
    deliveries: int
    alerts_new: int
    declarations: int
    visits: int


def demo_three_lines(
    directory: Path, manifest: Manifest, users: dict[str, User], village: str, *, say: Say
) -> LinesResult:
    from dixian.screening.models import ScreeningRun
    from dixian.screening.services import screening_run

    say(f"部门数据报送({manifest.period})")
    deliveries = feeds_deliver(directory, period=manifest.period, source=users["dept_uploader"], say=say)
    alerts_new = 0
    if not ScreeningRun.objects.filter(period=manifest.period, status=ScreeningRun.Status.DONE).exists():
        say(f"筛查 {manifest.period}(含概率匹配)")
        run = screening_run(period=manifest.period, trigger=ScreeningRun.Trigger.MANUAL, actor=users["admin"])
        alerts_new = run.alerts_new
        say(f"  {run.message}")
    region = Region.objects.get(code=village)
    declarations = demo_declarations(region, say=say)
    visits = demo_visits(region, users["village_officer"], say=say)
    return LinesResult(len(deliveries), alerts_new, declarations, visits)


def demo_declarations(village: Region, *, say: Say) -> int:
    """Up to three declarations in the village; returns how many were made now."""
    from dixian.declarations.models import Declaration
    from dixian.declarations.services import DeclarationInput, declaration_submit

    if Declaration.objects.filter(region_code=village.code).exists():
        return 0
    # Adults with a phone of households with no open alert yet, so each declaration opens its own alert.
    flagged = Alert.objects.filter(status__in=Alert.OPEN_STATUSES, household__isnull=False).values(
        "household_id"
    )
    candidates = list(
        Person.objects.filter(
            household__region_code__startswith=village.code,
            relation="head",
            birth_date__lte=dt.date(1990, 1, 1),
            birth_date__gte=dt.date(1960, 1, 1),
        )
        .exclude(phone="")
        .exclude(household_id__in=flagged)
        .order_by("household__household_no")[:2]
    )
    people = [(p.name, p.id_number, p.phone) for p in candidates]
    # A person the registry does not hold (a household that moved back, never registered): 应纳未纳.
    people.append(("冯桂兰", "360424197203154527", "17012345678"))
    made = 0
    now = timezone.now()
    for (name, id_number, phone), (difficulty, description) in zip(people, DECLARATIONS, strict=False):
        declaration = declaration_submit(
            data=DeclarationInput(
                name=name,
                id_number=id_number,
                phone=phone,
                village=village,
                difficulty=difficulty,
                description=description,
                consent=True,
            ),
            ip=DEMO_IP,
            at=now,
        )
        made += 1
        say(f"  自主申报 {declaration.reference}:{declaration.get_difficulty_display()}")
    return made


def demo_visits(village: Region, officer: User, *, say: Say) -> int:
    """A few visits by the village officer; the first in a household the department data flagged for illness."""
    from dixian.visits.models import Visit
    from dixian.visits.services import visit_record

    if Visit.objects.filter(region_code__startswith=village.code).exists():
        return 0
    in_village = Household.objects.filter(region_code__startswith=village.code)
    flagged_ill = Alert.objects.filter(
        household__in=in_village, risk_code="01", status__in=Alert.OPEN_STATUSES
    )
    department_ill: list[int] = [
        a.household_id  # type: ignore[misc]  # household__in above: never None
        for a in flagged_ill.order_by("id")
        if Channel.DEPARTMENT in (a.channels or [])
    ]
    taken = set(department_ill[:1])
    others = list(
        in_village.exclude(pk__in=taken)
        .exclude(alerts__status__in=Alert.OPEN_STATUSES)
        .order_by("household_no")
        .values_list("pk", flat=True)[: len(VISITS)]
    )
    targets = (department_ill[:1] + others)[: len(VISITS)]
    today = timezone.localdate()
    made = 0
    for index, (pk, (risks, notes)) in enumerate(zip(targets, VISITS, strict=False)):
        visit_record(
            household=Household.objects.get(pk=pk),
            visit_date=today - dt.timedelta(days=2 + index),
            method=Visit.Method.HOME,
            risks=risks,
            notes=notes,
            photos=[],
            actor=officer,
        )
        made += 1
    say(f"  走访记录 {made} 次(村干部),其中发现风险 {sum(1 for r, _ in VISITS[:made] if r)} 次")
    return made


def village_channels(village: str) -> dict[str, int]:
    """Open alerts of the village by the line that found them (an alert may count under several)."""
    counts = {c.value: 0 for c in Channel}
    for channels in Alert.objects.filter(
        region_code__startswith=village, status__in=Alert.OPEN_STATUSES
    ).values_list("channels", flat=True):
        for channel in channels or []:
            counts[channel] = counts.get(channel, 0) + 1
    return counts
