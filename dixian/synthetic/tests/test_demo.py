"""`load_demo` (idempotent, accounts per role) and `demo_serve` (worker and web server together)."""

from __future__ import annotations

import datetime as dt
import signal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dixian.accounts.capabilities import Capability
from dixian.accounts.models import Role, User
from dixian.cases.models import Alert
from dixian.common.models import ChangeLog
from dixian.domain import funds as fd
from dixian.domain import lifecycle as lc
from dixian.employment.models import Employment
from dixian.employment.roll import roll
from dixian.environment import figures as env_figures
from dixian.environment.models import WeeklyReport, WeekSum
from dixian.feeds.models import FeedDelivery
from dixian.funds.models import Distribution, Payment, Project
from dixian.monitoring.models import CaseTransition, Measure, MonitoringCase
from dixian.registry.models import HelperAssignment, Household, Person
from dixian.relocation.models import RelocationSite
from dixian.synthetic.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_logins
from dixian.synthetic.demo_lines import village_channels
from dixian.synthetic.management.commands import demo_serve

pytestmark = pytest.mark.django_db
SEED = 11


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", "--scale", "village", "--seed", str(SEED), stdout=out)
    return out.getvalue()


def test_load_demo_loads_the_village_and_the_accounts(data_dir) -> None:
    output = load_demo()
    assert "演示数据加载完成" in output and DEMO_PASSWORD in output
    assert (data_dir / "demo" / f"village-{SEED}" / "registry.xlsx").exists()
    village = Household.objects.order_by("household_no").first().region.parent
    assert village.level == "village"
    users = {u.username: u for u in User.objects.select_related("region")}
    # The generated cases' helpers: one account per county, nobody signs in as it (docs/synthetic.md).
    pairing = {n for n in users if n.startswith("synthetic_helper_")}
    assert pairing == {"synthetic_helper_360424"}
    assert not users["synthetic_helper_360424"].has_usable_password()
    assert users["synthetic_helper_360424"].roles == [Role.HELPER]
    assert set(users) - pairing == {a.username for a in DEMO_ACCOUNTS}
    expect = {
        "city_admin": (Role.CITY_ADMIN, "360400000000", True),
        "xs_admin": (Role.COUNTY_ADMIN, "360424000000", True),
        "xs_reviewer": (Role.COUNTY_REVIEWER, "360424000000", False),
        "township_reviewer": (Role.TOWNSHIP_REVIEWER, village.code[:9] + "000", False),
        "village_officer": (Role.VILLAGE_OFFICER, village.code, False),
        "helper": (Role.HELPER, village.code, False),
        "dept_uploader": (Role.DEPARTMENT_UPLOADER, "360424000000", False),
        "xs_finance": (Role.FINANCE_OFFICER, "360424000000", False),
        "xs_sector": (Role.SECTOR_OFFICER, "360424000000", False),
        "leader": (Role.LEADER, "360400000000", False),
    }
    for name, (role, code, pii) in expect.items():
        user = users[name]
        assert (user.roles, user.region.code, user.can_view_pii) == ([role], code, pii), name
        assert user.check_password(DEMO_PASSWORD) and not user.is_superuser
    assert (
        users["admin"].is_superuser
        and users["admin"].is_staff
        and users["admin"].check_password(DEMO_PASSWORD)
    )
    assignments = HelperAssignment.objects.filter(helper=users["helper"])
    # Ten households paired up front; the demo's cases pair the helper with the households they approve.
    assert assignments.count() >= 10
    assert all(a.household.region_code.startswith(village.code) for a in assignments)
    assert Person.objects.filter(region_code__startswith=village.code).count() > 300
    assert "三线预警" in output
    # 衔接资金: the generated chain, and the demo village's project bank in every state (docs/synthetic.md).
    assert "衔接资金" in output and Payment.objects.exists() and Distribution.objects.exists()
    states = set(Project.objects.filter(region_code=village.code).values_list("state", flat=True))
    assert states == set(fd.PROJECT_STATES)
    # Employment (docs/synthetic.md "Employment and relocation"): the village officer records the survey; the
    # period's month is recorded but for a few workers of the roll. (Households the demo's cases made monitored
    # joined the roll after the generator: their workers are still to record in every month.)
    assert users["village_officer"].can(Capability.EMPLOYMENT_SURVEY)
    assert "就业监测" in output and RelocationSite.objects.exists()
    missing = {}
    for month in (dt.date(2026, 10, 1), dt.date(2026, 9, 1)):
        recorded = set(
            Employment.objects.filter(region_code__startswith=village.code, month=month).values_list(
                "person_id", flat=True
            )
        )
        on_roll = set(roll(month, prefix=village.code).values_list("pk", flat=True))
        assert recorded <= on_roll and len(recorded) > 10, month
        missing[month] = on_roll - recorded
    assert missing[dt.date(2026, 9, 1)] < missing[dt.date(2026, 10, 1)]
    assert len(missing[dt.date(2026, 10, 1)] - missing[dt.date(2026, 9, 1)]) == 3
    # 人居环境: the bulk-loaded weekly reports come with their townships' week sums (docs/domain.md §27).
    monday = WeeklyReport.objects.order_by("-week").values_list("week", flat=True).first()
    assert monday is not None and WeekSum.objects.filter(week=monday).exists()
    for length in (4, 6, 9):
        stored = env_figures.stored_sums("3604", monday, length)
        assert {k: {f: int(n) for f, n in v.items()} for k, v in stored.items()} == {
            k: {f: int(n) for f, n in v.items()}
            for k, v in env_figures.recount_sums("3604", monday, length).items()
        }


def test_the_village_officers_queue_shows_alerts_from_all_three_lines_with_reasons(data_dir, client) -> None:
    load_demo()
    officer = User.objects.get(username="village_officer")
    village = officer.region.code
    counts = village_channels(village)
    assert counts["department"] >= 5 and counts["self_declared"] >= 2 and counts["cadre_visit"] >= 3, counts
    open_alerts = list(Alert.objects.filter(region_code__startswith=village, status=Alert.Status.OPEN))
    # One household flagged by the 医保 data and by the officer's visit has one alert with both lines.
    assert any({"department", "cadre_visit"} <= set(a.channels) for a in open_alerts)
    # The generated deliveries are stored as deliveries of the demo department account, and screened.
    deliveries = FeedDelivery.objects.filter(channel=FeedDelivery.Channel.GENERATED)
    assert deliveries.count() == 12 and not deliveries.exclude(status=FeedDelivery.Status.SCREENED).exists()
    assert set(deliveries.values_list("source__username", flat=True)) == {"dept_uploader"}

    client.force_login(officer)
    for channel in ("department", "self_declared", "cadre_visit"):
        # The queue filtered by line, as the officer would filter it: the line's alerts with their reasons.
        page = client.get(reverse("cases:alert_queue"), {"channel": channel}).content.decode()
        shown = [a for a in open_alerts if channel in a.channels]
        assert any(a.reason.split("；")[0][:20] in page for a in shown), channel


def test_the_demo_holds_cases_in_every_state_moved_by_the_accounts_that_own_each_step(data_dir) -> None:
    output = load_demo()
    officer = User.objects.get(username="village_officer")
    village = officer.region.code
    cases = MonitoringCase.objects.filter(region_code__startswith=village)
    states = set(cases.values_list("state", flat=True))
    assert states == set(lc.STEPS), f"missing: {set(lc.STEPS) - states}"
    assert "监测帮扶档案" in output
    today = timezone.localdate()
    colours = {
        lc.deadline_colour(c.due_on, today, done=c.state not in lc.IDENTIFYING)
        for c in cases.filter(state__in=lc.IDENTIFYING)
    }
    assert {lc.RED, lc.ORANGE, lc.GREEN} <= colours
    # Monitored households have their plans; the monitored households of the registry all have a case.
    assert Measure.objects.filter(case__in=cases.filter(state=lc.MONITORING)).exists()
    monitored = Household.objects.exclude(monitoring_category="")
    assert monitored.exists()
    assert not monitored.exclude(monitoring_cases__state__in=lc.MONITORED_STATES).exists()
    # Every step was done by a demo account that owns it, on a day not after today.
    owners = {
        "village_officer": lc.VILLAGE,
        "township_reviewer": lc.TOWNSHIP,
        "xs_reviewer": lc.COUNTY_CHECK,
        "xs_admin": lc.COUNTY,
    }
    advances = CaseTransition.objects.filter(case__in=cases, action=CaseTransition.Action.ADVANCE)
    for t in advances.select_related("actor"):
        assert owners[t.actor.username] == lc.STEPS[t.from_state].owner, (t.from_state, t.actor.username)
        assert t.on <= today
    # The notices of the village print the households in 公示.
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("monitoring:notice_village", args=[village, "identification"]))
    in_notice = cases.get(state=lc.PUBLIC_NOTICE).household.head_name
    assert page.status_code == 200 and in_notice in page.content.decode()


def test_load_demo_twice_says_so_and_writes_nothing(data_dir) -> None:
    load_demo()
    before = (
        ChangeLog.objects.count(),
        list(Person.objects.order_by("id").values_list("id", "updated_at")),
        HelperAssignment.objects.count(),
        list(User.objects.order_by("id").values_list("id", "password")),
        Project.objects.count(),
        Payment.objects.count(),
    )
    output = load_demo()
    assert "已加载" in output and "无需重复加载" in output and "生成演示数据" not in output
    after = (
        ChangeLog.objects.count(),
        list(Person.objects.order_by("id").values_list("id", "updated_at")),
        HelperAssignment.objects.count(),
        list(User.objects.order_by("id").values_list("id", "password")),
        Project.objects.count(),
        Payment.objects.count(),
    )
    assert after == before


def test_load_demo_completes_a_partial_load(data_dir) -> None:
    load_demo()
    Person.objects.filter(relation="grandchild").delete()
    output = load_demo()
    assert "演示数据加载完成" in output
    assert "无需重复加载" in load_demo()


def test_login_table_lines_up_chinese_text(data_dir) -> None:
    load_demo()
    rows: list[tuple[str, ...]] = [("用户名", "角色", "所属区划", "说明"), *demo_logins()]
    table = demo_serve.login_table(rows).splitlines()
    assert len(table) == len(rows) + 1
    assert table[2].startswith("city_admin") and "市级管理员" in table[2]
    # Every column starts at the same display position on each line.
    position = demo_serve._width(table[0].split("角色")[0])
    for line in table[2:]:
        role = (
            next(label for label in dict(Role.choices).values() if label in line)
            if "超级" not in line
            else "超级"
        )
        assert demo_serve._width(line.split(role)[0]) == position


class FakeProcess:
    def __init__(self, args: list[str], exit_code: int | None = None) -> None:
        self.args, self.exit_code = args, exit_code
        self.signals: list[int] = []

    def poll(self) -> int | None:
        return self.exit_code

    def wait(self, timeout: float | None = None) -> int:
        if self.exit_code is None:
            raise KeyboardInterrupt  # the user pressed Ctrl+C while the server ran
        return self.exit_code

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        self.exit_code = -sig

    def kill(self) -> None:
        self.exit_code = -9


@pytest.mark.parametrize("server_exit", [None, 0])
def test_demo_serve_runs_the_worker_beside_the_server_and_stops_it(
    data_dir, monkeypatch, server_exit
) -> None:
    load_demo()
    started: list[FakeProcess] = []

    def popen(args, env=None, start_new_session=False):
        process = FakeProcess(args, exit_code=server_exit if "gunicorn" in args else None)
        started.append(process)
        return process

    monkeypatch.setattr(demo_serve.subprocess, "Popen", popen)
    out = StringIO()
    call_command("demo_serve", "--port", "8123", stdout=out)
    worker, server = started
    assert worker.args[-1] == "run_worker" and "gunicorn" in server.args and "127.0.0.1:8123" in server.args
    assert worker.signals == [signal.SIGTERM]  # stopped together with the server
    text = out.getvalue()
    assert "village_officer" in text and DEMO_PASSWORD in text and "已停止" in text
