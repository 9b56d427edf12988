"""The demo: generated data, one account per role at sensible regions, and the registry loaded.

`demo_load` is idempotent: when the accounts exist and the database already holds the generated
households, persons and incomes, it says so and returns without writing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import polars as pl
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command, get_commands
from django.db import transaction

from dixian.accounts.models import Role, User
from dixian.domain import catalogue
from dixian.domain import lifecycle as lc
from dixian.regions.models import Region
from dixian.registry.models import HelperAssignment, Household, HouseholdIncome, Person

from .demo_cases import demo_cases, demo_cases_loaded
from .demo_funds import demo_projects, demo_projects_loaded
from .demo_rectification import demo_rectification, demo_rectification_loaded
from .employment_loading import employment_load, employment_loaded
from .funds_loading import funds_load, funds_loaded
from .generate import SCALES, Manifest, generate, read_manifest
from .governance_loading import governance_load, governance_loaded
from .labels import registry_labels
from .loading import lifecycle_load, regions_load, registry_load_directory
from .rectification_loading import rectification_load, rectification_loaded
from .supervision_loading import supervision_load, supervision_loaded
from .tree import CITY_CODE, single_village_tree

DEMO_PASSWORD = "dixian-demo-2026"  # noqa: S105 - published demo credential, shown on the console
DEMO_COUNTY = "360424000000"  # 修水县
HELPER_HOUSEHOLDS = 10
# The leaders' figures the demo computes at the end (docs/domain.md §21): 24 months, so that a month and
# its year-to-date both compare with the same period of the year before (同比).
FACT_MONTHS = 24
Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # Role value; "" for the Django superuser
    level: str  # which demo region: city, county, township, village
    pii: bool = False
    note: str = ""
    # A department account's feeds (docs/security.md §3): the codes of catalogue.FEEDS it may deliver.
    feeds: tuple[str, ...] = ()


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("city_admin", Role.CITY_ADMIN, "city", pii=True),
    DemoAccount("xs_admin", Role.COUNTY_ADMIN, "county", pii=True),
    DemoAccount("xs_reviewer", Role.COUNTY_REVIEWER, "county"),
    DemoAccount("township_reviewer", Role.TOWNSHIP_REVIEWER, "township"),
    DemoAccount("village_officer", Role.VILLAGE_OFFICER, "village"),
    DemoAccount("helper", Role.HELPER, "village", note="结对帮扶演示村的监测户和脱贫户"),
    # The county's data-sharing office relays every department's feeds (the demo's generated deliveries
    # are stored as its deliveries); the 医保局's account sends only its own.
    DemoAccount(
        "dept_uploader",
        Role.DEPARTMENT_UPLOADER,
        "county",
        note="县数据共享办:报送各部门数据",
        feeds=tuple(f.code for f in catalogue.FEEDS),
    ),
    DemoAccount(
        "xs_yibao", Role.DEPARTMENT_UPLOADER, "county", note="县医保局:只能报送医保结算", feeds=("medical",)
    ),
    # 衔接资金 (docs/domain.md §22): the county's finance office issues and arranges funds; a sector office
    # (农业农村局) runs the projects in the plan, their payments and assets.
    DemoAccount("xs_finance", Role.FINANCE_OFFICER, "county", note="县财政局:资金下达与资金安排"),
    DemoAccount("xs_sector", Role.SECTOR_OFFICER, "county", note="县农业农村局:项目实施、支付与资产"),
    DemoAccount("leader", Role.LEADER, "city"),
    DemoAccount("admin", "", "city", pii=True, note="系统后台超级管理员"),
)


def demo_dir(scale: str, seed: int) -> Path:
    return Path(settings.DATA_DIR) / "demo" / f"{scale}-{seed}"


def demo_village_code(directory: Path) -> str:
    """The populated village the village-level accounts belong to: the village of the village scale
    (the first key 村) when it has households, else the first village that has."""
    codes = pl.read_parquet(directory / "households.parquet", columns=["region_code"])[
        "region_code"
    ].str.slice(0, 12)
    preferred = single_village_tree(pl.read_parquet(directory / "regions.parquet"))
    village = preferred.filter(pl.col("level") == "village")["code"]
    if village.len() and codes.is_in(village.implode()).any():
        return str(village[0])
    return str(codes.min())


def _scope_prefix(manifest: Manifest, village: str) -> str:
    spec = SCALES[manifest.scale]
    if spec.single_village:
        return village
    return DEMO_COUNTY[:6] if spec.counties == (DEMO_COUNTY[:6],) else CITY_CODE[:4]


def demo_loaded(manifest: Manifest, village: str) -> bool:
    """True when every demo account exists and the scope holds exactly the generated registry."""
    names = [a.username for a in DEMO_ACCOUNTS]
    if User.objects.filter(username__in=names).count() != len(names):
        return False
    prefix = _scope_prefix(manifest, village)
    upper = prefix + "~"
    households = Household.objects.filter(region_code__gte=prefix, region_code__lt=upper)
    return (
        households.count() == manifest.households
        and Person.objects.filter(region_code__gte=prefix, region_code__lt=upper).count() == manifest.persons
        and HouseholdIncome.objects.filter(
            household__region_code__gte=prefix, household__region_code__lt=upper
        ).count()
        == manifest.incomes
    )


def demo_regions(village: str) -> dict[str, Region]:
    codes = {
        "city": CITY_CODE,
        "county": village[:6] + "000000",
        "township": village[:9] + "000",
        "village": village,
    }
    found = {r.code: r for r in Region.objects.filter(code__in=codes.values())}
    return {level: found[code] for level, code in codes.items()}


def demo_accounts(village: str) -> list[User]:
    """Create or update the demo accounts (one password hash, computed once)."""
    regions = demo_regions(village)
    password = make_password(DEMO_PASSWORD)
    labels = dict(Role.choices)
    users = []
    for account in DEMO_ACCOUNTS:
        region = regions[account.level]
        user, _ = User.objects.get_or_create(username=account.username)
        user.region = region
        user.roles = [account.role] if account.role else [Role.CITY_ADMIN]
        user.can_view_pii = account.pii
        user.feeds = list(account.feeds)
        user.first_name = f"{labels.get(account.role, '超级管理员')}(演示)"
        user.password = password
        user.is_active = True
        user.is_staff = user.is_superuser = account.username == "admin"
        user.save()
        users.append(user)
    return users


def demo_helper_assignments(helper: User, village: str) -> int:
    """Pair the helper with up to ten households of the village, monitored and ex-poor ones first."""
    if HelperAssignment.objects.filter(helper=helper).exists():
        return 0
    households = list(
        Household.objects.filter(region_code__startswith=village).order_by(
            "-monitoring_category", "kind", "household_no"
        )[:HELPER_HOUSEHOLDS]
    )
    HelperAssignment.objects.bulk_create(
        HelperAssignment(
            household=h, helper=helper, unit="修水县农业农村局(演示)", start_date=dt.date(2025, 1, 1)
        )
        for h in households
    )
    return len(households)


def demo_load(*, scale: str, seed: int, say: Say) -> bool:
    """Load the demo; False when it was already loaded (nothing written)."""
    directory = demo_dir(scale, seed)
    manifest = read_manifest(directory)
    if manifest is None or manifest.seed != seed or manifest.scale != scale:
        say(f"生成演示数据({scale}, seed={seed})→ {directory}")
        manifest = generate(scale=scale, seed=seed, out=directory, labels=registry_labels(), progress=say)
    else:
        say(f"使用已生成的演示数据 {directory}")
    village = demo_village_code(directory)
    if Region.objects.filter(code=village).exists() and demo_loaded(manifest, village):
        lifecycle_load(directory, say=say)  # completes a load interrupted before it; writes nothing after
        lines, cases = demo_lines_loaded(manifest, village), demo_cases_loaded(village)
        funds = funds_loaded(directory) and demo_projects_loaded(village)
        jobs = employment_loaded(directory)
        governance = governance_loaded(directory)
        ledgers = demo_rectification_loaded(village) and rectification_loaded()
        if lines and cases and funds and jobs and supervision_loaded() and governance and ledgers:
            say(f"演示数据已加载({manifest.households:,} 户,{manifest.persons:,} 人),无需重复加载。")
            return False
        users = {u.username: u for u in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])}
        if not lines:
            _lines(directory, manifest, users, village, say)
        _cases(users, village, say)
        _funds(directory, manifest, users, village, say)
        _employment(directory, say)
        _ledgers(directory, users, village, say)
        _supervision(directory, say)
        governance_load(directory, say=say)
        _environment(directory, say)
        _facts(say)
        return True
    say("加载行政区划")
    regions_load(pl.read_parquet(directory / "regions.parquet"), say=say)
    say("创建演示账号")
    with transaction.atomic():
        users = {u.username: u for u in demo_accounts(village)}
    say(f"加载农户信息({manifest.households:,} 户,{manifest.persons:,} 人)")
    result = registry_load_directory(
        directory, actor=users["admin"], reference=f"demo:{scale}-{seed}", say=say
    )
    paired = demo_helper_assignments(users["helper"], village)
    say("加载监测帮扶档案")
    lifecycle_load(directory, say=say)
    say(
        f"完成:新增 {result.households_created:,} 户、{result.persons_created:,} 人、"
        f"{result.incomes_created:,} 条年度收入;更新 {result.households_updated:,} 户;帮扶结对 {paired} 户。"
    )
    _lines(directory, manifest, users, village, say)
    _cases(users, village, say)
    _funds(directory, manifest, users, village, say)
    _employment(directory, say)
    _ledgers(directory, users, village, say)
    _supervision(directory, say)
    governance_load(directory, say=say)
    _environment(directory, say)
    _facts(say)
    return True


def demo_lines_loaded(manifest: Manifest, village: str) -> bool:
    """True when the period was screened and the village has a declaration and a visit."""
    from dixian.declarations.models import Declaration
    from dixian.screening.models import ScreeningRun
    from dixian.visits.models import Visit

    return (
        ScreeningRun.objects.filter(period=manifest.period, status=ScreeningRun.Status.DONE).exists()
        and Declaration.objects.filter(region_code=village).exists()
        and Visit.objects.filter(region_code__startswith=village).exists()
    )


def _lines(directory: Path, manifest: Manifest, users: dict[str, User], village: str, say: Say) -> None:
    from .demo_lines import demo_three_lines, village_channels

    started = time.monotonic()
    result = demo_three_lines(directory, manifest, users, village, say=say)
    counts = village_channels(village)
    say(
        f"三线预警:报送部门数据 {result.deliveries} 类,新增预警 {result.alerts_new:,} 条;"
        f"自主申报 {result.declarations} 件;走访 {result.visits} 次;用时 {time.monotonic() - started:.1f} 秒。"
        f"演示村待核实预警:部门筛查 {counts.get('department', 0)} 条、自主申报 {counts.get('self_declared', 0)} 条、"
        f"干部排查 {counts.get('cadre_visit', 0)} 条。"
    )


def _cases(users: dict[str, User], village: str, say: Say) -> None:
    started = time.monotonic()
    # Who does each owner's steps of a case (docs/domain.md §20).
    actors = {
        lc.VILLAGE: users["village_officer"],
        lc.TOWNSHIP: users["township_reviewer"],
        lc.COUNTY_CHECK: users["xs_reviewer"],
        lc.COUNTY: users["xs_admin"],
    }
    result = demo_cases(actors, users["helper"], village, say=say)
    if result.imported or result.walked:
        say(f"监测帮扶档案:用时 {time.monotonic() - started:.1f} 秒。")


def _funds(directory: Path, manifest: Manifest, users: dict[str, User], village: str, say: Say) -> None:
    """The generated funds chain, then the demo village's project bank (demo_funds.py); each only once."""
    started = time.monotonic()
    say("加载衔接资金、项目、资产与联农带农")
    funds_load(directory, actor=users["admin"], say=say)
    # Who does each owner's steps of the project bank (fd.PROJECT_MOVES).
    actors = {
        "village": users["village_officer"],
        "township": users["township_reviewer"],
        "county": users["xs_admin"],
    }
    demo_projects(actors, village, year=dt.date.fromisoformat(manifest.as_of).year, say=say)
    say(f"衔接资金与项目:用时 {time.monotonic() - started:.1f} 秒。")


# What the employment app offers to run after a bulk load (docs/synthetic.md "Employment and relocation"): the
# departments' facts copied from the accepted deliveries, then the key groups recomputed over the whole roll.
EMPLOYMENT_JOBS = (
    ("employment_facts_rebuild", "部门就业与户籍信息"),
    ("employment_keygroups_refresh", "重点群体"),
)


def _employment(directory: Path, say: Say) -> None:
    """The generated survey, 公益性岗位 and relocation sites (once), then the employment app's own refreshes,
    each only if this installation has its command."""
    started = time.monotonic()
    say("加载就业监测与易地搬迁")
    if employment_load(directory, notify=False, say=say) is None:
        return
    commands = get_commands()
    for name, label in EMPLOYMENT_JOBS:
        if name not in commands:
            say(f"  未找到命令 {name},跳过{label}的刷新。")
            continue
        out = StringIO()
        try:
            call_command(name, stdout=out)
        except CommandError as exc:
            say(f"  {label}刷新未完成:{exc}")
            continue
        say(f"  {label}已刷新。")
    say(f"就业监测与易地搬迁:用时 {time.monotonic() - started:.1f} 秒。")


def _supervision(directory: Path, say: Say) -> None:
    """The generated leaders, units, stationed cadres, experts and visits (once); the visits' findings enter the
    rectification ledger (docs/domain.md §26)."""
    started = time.monotonic()
    say("加载组织保障与督导")
    if supervision_load(directory, say=say) is not None:
        say(f"组织保障与督导:用时 {time.monotonic() - started:.1f} 秒。")


def _environment(directory: Path, say: Say) -> None:
    """The generated living-environment plans and weekly reports (once), and the corridor fund's projects."""
    from .environment_loading import environment_load

    say("加载人居环境台账")
    if not environment_load(directory, say=say):
        say("  人居环境台账已加载或未生成,跳过。")


def _ledgers(directory: Path, users: dict[str, User], village: str, say: Say) -> None:
    """The work ledgers of issue 19 (docs/domain.md §25): the generated findings, tasks and reviews in bulk
    (reviewed by the demo county's reviewer and the city admin, elsewhere by synthetic accounts), then the
    walkthrough of the plan through the services in the demo county; each once."""
    started = time.monotonic()
    accounts = {DEMO_COUNTY: users["xs_reviewer"], CITY_CODE: users["city_admin"]}
    rectification_load(directory, accounts=accounts, say=say)
    demo_rectification(users, village, say=say)
    say(f"问题整改台账:用时 {time.monotonic() - started:.1f} 秒。")


def _facts(say: Say) -> None:
    """The figures of the last FACT_MONTHS months, every producer, after everything else is in: the loaders'
    bulk writes mark no village (reports/triggers.py). A past month gets its flows (alerts, cases, visits
    by their dates); registry stocks exist only from this month on, as they are snapshots (§21)."""
    from dixian.reports.periods import Period
    from dixian.reports.services import facts_refresh

    started = time.monotonic()
    current = Period.current()
    stats = facts_refresh(periods=[current.back(i) for i in range(FACT_MONTHS - 1, -1, -1)], scope="演示数据")
    say(
        f"统计指标:{FACT_MONTHS} 个月,写入 {stats.rows:,} 条统计数,用时 {time.monotonic() - started:.1f} 秒。"
    )


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, role, region, note) of the demo accounts present in the database."""
    labels = dict(Role.choices)
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).select_related(
            "region"
        )
    }
    rows = []
    for account in DEMO_ACCOUNTS:
        user = users.get(account.username)
        if user is None:
            continue
        role = labels.get(account.role, "超级管理员") if account.role else "超级管理员(后台)"
        note = "、".join(x for x in (account.note, "可查看完整证件号和电话" if account.pii else "") if x)
        rows.append((account.username, role, user.region.full_name if user.region else "", note))
    return rows
