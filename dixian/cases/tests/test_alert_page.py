"""An alert's page: the household, the evidence by channel with its rule version and the feed rows read
from the delivery's Parquet file (masked, health data only with the right), and the verification actions."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.urls import reverse

from dixian.cases.evidence_rows import evidence_rows
from dixian.cases.models import Alert
from dixian.common.access import mask_id_number, mask_phone
from dixian.common.models import ChangeLog
from dixian.feeds.models import FeedDelivery

from .helpers import raise_alert, rule_version

pytestmark = pytest.mark.django_db


def delivery(world, feed: str, table: pa.Table, name: str = "rows.parquet") -> FeedDelivery:
    path = Path(settings.DATA_DIR) / "feeds" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return FeedDelivery.objects.create(
        feed=feed,
        period="2026-10",
        channel=FeedDelivery.Channel.UPLOAD,
        region=world.county,
        file_name=f"{feed}.xlsx",
        checksum=name.ljust(64, "0")[:64],
        row_count=table.num_rows,
        rows_file=f"feeds/{name}",
        status=FeedDelivery.Status.ACCEPTED,
    )


def medical_table(id_number: str) -> pa.Table:
    money = pa.decimal128(18, 2)
    return pa.table(
        {
            "settlement_no": pa.array(["JS001", "JS002", "JS003"]),
            "name": pa.array(["张三", "张三", "别人"]),
            "id_number": pa.array([id_number, id_number, "360424199001011234"]),
            "phone": pa.array(["13800001111", None, None]),
            "visit_type": pa.array(["住院", "住院", "普通门诊"]),
            "settlement_date": pa.array([dt.date(2026, 9, 3), dt.date(2026, 10, 8), dt.date(2026, 10, 9)]),
            "total_cost": pa.array([Decimal("30000.00"), Decimal("12000.00"), Decimal("300.00")], money),
            "out_of_pocket": pa.array([Decimal("15400.00"), Decimal("8000.00"), Decimal("100.00")], money),
        }
    )


def page(client, user, alert: Alert) -> str:
    client.force_login(user)
    response = client.get(reverse("cases:alert_detail", args=[alert.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def medical_alert(world):
    head = world.home.members.get(relation="head")
    d = delivery(world, "medical", medical_table(head.id_number))
    alert = raise_alert(
        world.home,
        grade="红",
        delivery=d,
        record_keys=["JS001", "JS002"],
        id_number=head.id_number,
        amount=Decimal("23400"),
        threshold=Decimal("20000"),
    )
    return alert, head


def test_the_evidence_rows_are_read_from_the_deliverys_parquet_with_chinese_headers(
    client, world, people, medical_alert
):
    alert, head = medical_alert
    html = page(client, people["county_admin"], alert)  # may see personal data
    assert "结算单号" in html and "个人负担" in html and "结算日期" in html
    assert "JS001" in html and "JS002" in html and "JS003" not in html
    assert "15,400.00" in html and "2026-10-08" in html
    assert head.id_number in html and "13800001111" in html


def test_without_the_pii_right_health_feed_rows_are_hidden_and_the_page_says_so(
    client, world, people, medical_alert
):
    alert, head = medical_alert
    html = page(client, people["village_officer"], alert)
    assert "JS001" not in html and "15,400.00" not in html
    assert "需开通查看个人信息权限" in html
    assert head.id_number not in html and mask_id_number(head.id_number) in html


def test_a_non_health_feed_is_shown_with_ids_and_phones_masked(world):
    table = pa.table(
        {
            "name": pa.array(["张三"]),
            "id_number": pa.array(["360424197001010013"]),
            "phone": pa.array(["13912345678"]),
            "loan_type": pa.array(["脱贫人口小额信贷"]),
            "overdue_amount": pa.array([Decimal("5000.00")], pa.decimal128(18, 2)),
            "overdue_days": pa.array([120], pa.int32()),
            "data_date": pa.array([dt.date(2026, 10, 31)]),
        }
    )
    d = delivery(world, "loan", table, "loan.parquet")
    key = "张三|360424197001010013|脱贫人口小额信贷|2026-10-31"  # the engine's composite record key
    shown = evidence_rows(d, [key], pii=False)
    assert shown.problem == "" and not shown.hidden
    assert shown.headers[:3] == ["借款人姓名", "证件号码", "联系电话"]
    row = dict(zip(shown.headers, shown.rows[0], strict=True))
    assert row["证件号码"] == mask_id_number("360424197001010013")
    assert row["联系电话"] == mask_phone("13912345678")
    assert row["逾期天数"] == "120" and row["逾期金额"] == "5,000.00"
    assert evidence_rows(d, [key], pii=True).rows[0][1] == "360424197001010013"
    assert evidence_rows(d, ["nobody"], pii=True).rows == []


def test_a_missing_parquet_file_is_explained_not_a_crash(client, world, people, medical_alert):
    alert, _ = medical_alert
    (Path(settings.DATA_DIR) / "feeds" / "rows.parquet").unlink()
    html = page(client, people["county_admin"], alert)
    assert "数据文件不存在或已被移走" in html


def test_the_page_names_the_rule_version_and_links_to_it(client, world, people, medical_alert):
    alert, _ = medical_alert
    html = page(client, people["village_officer"], alert)
    version = rule_version("R01")
    assert version.label in html
    assert f'href="{reverse("rules:detail", args=["R01"])}#v{version.version}"' in html
    assert "医保局 · 医保结算" in html


def test_evidence_is_grouped_by_channel(client, world, people, medical_alert):
    alert, _ = medical_alert
    raise_alert(world.home, channel="cadre_visit", grade="橙", reason="走访发现户主住院,家中无人务工")
    raise_alert(world.home, channel="self_declared", grade="黄", reason="户主申报因病支出大")
    html = page(client, people["village_officer"], alert)
    dept = html.index("部门筛查预警(1)")
    decl = html.index("农户自主申报(1)")
    visit = html.index("干部常态排查(1)")
    assert dept < decl < visit
    assert html.rindex("走访发现户主住院") > visit  # (the merged reason at the top names it too)


def test_the_household_summary_masks_the_phone_without_the_right(client, world, people, medical_alert):
    alert, _ = medical_alert
    html = page(client, people["village_officer"], alert)
    assert world.home.household_no in html and mask_phone(world.home.phone) in html
    assert world.home.phone not in html


def test_the_village_officer_starts_verification_then_proposes(client, world, people, medical_alert):
    """开始核实, then 拟纳入 (monitoring's page): the alert joins the household's case; 已纳入监测 is no
    longer a choice on the alert (only the case's county approval sets it, docs/domain.md §20)."""
    from dixian.monitoring.models import MonitoringCase

    alert, _ = medical_alert
    officer = people["village_officer"]
    client.force_login(officer)
    url = reverse("cases:alert_status", args=[alert.pk])
    response = client.post(url, {"status": "verifying", "note": ""}, follow=True)
    html = response.content.decode()
    assert "已开始核实" in html
    assert "纳入监测</button>" not in html and f'formaction="{reverse("monitoring:alerts_propose")}"' in html
    alert.refresh_from_db()
    assert alert.status == Alert.Status.VERIFYING
    response = client.post(url, {"status": "confirmed", "note": "入户核实属实"}, follow=True)
    assert "处理方式无效" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.VERIFYING
    response = client.post(
        reverse("monitoring:alerts_propose"),
        {
            "alert": [alert.pk],
            "note": "入户初步了解属实",
            "next": reverse("cases:alert_detail", args=[alert.pk]),
        },
        follow=True,
    )
    alert.refresh_from_db()
    case = MonitoringCase.objects.get(household=world.home)
    assert alert.status == Alert.Status.PROPOSED and list(case.alerts.all()) == [alert]
    assert response.redirect_chain[-1][0] == reverse("monitoring:case_detail", args=[case.pk])
    assert "已拟纳入 1 条预警线索,涉及 1 户:新建监测帮扶档案 1 份" in response.content.decode()
    assert ChangeLog.objects.filter(entity="alert", entity_id=alert.pk, actor=officer).count() == 2
    # A proposed alert is worked by its case: no buttons on its page, a link to the case, and the alert's own
    # transitions are refused in Chinese.
    html = client.get(reverse("cases:alert_detail", args=[alert.pk])).content.decode()
    assert "开始核实</button>" not in html and "核实排除</button>" not in html
    assert reverse("monitoring:case_detail", args=[case.pk]) in html
    response = client.post(url, {"status": "dismissed", "note": "重复"}, follow=True)
    assert "该预警线索已拟纳入监测,由监测帮扶档案办理" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PROPOSED


def test_dismissing_needs_a_reason(client, world, people, medical_alert):
    alert, _ = medical_alert
    client.force_login(people["township_reviewer"])
    response = client.post(
        reverse("cases:alert_status", args=[alert.pk]), {"status": "dismissed", "note": " "}
    )
    assert response.status_code == 200
    assert "核实排除必须填写理由" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_an_unknown_action_is_refused_in_chinese(client, world, people, medical_alert):
    alert, _ = medical_alert
    client.force_login(people["village_officer"])
    response = client.post(reverse("cases:alert_status", args=[alert.pk]), {"status": "open"})
    assert "处理方式无效" in response.content.decode()


@pytest.mark.parametrize("persona", ["leader", "helper"])
def test_readers_who_do_not_verify_see_the_alert_but_cannot_act(
    client, world, people, medical_alert, persona
):
    alert, _ = medical_alert
    html = page(client, people[persona], alert)
    assert "开始核实</button>" not in html
    response = client.post(reverse("cases:alert_status", args=[alert.pk]), {"status": "verifying"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_an_alert_outside_the_scope_answers_404_like_a_missing_one(client, world, people):
    far = raise_alert(world.far)
    client.force_login(people["village_officer"])
    assert client.get(reverse("cases:alert_detail", args=[far.pk])).status_code == 404
    assert client.get(reverse("cases:alert_detail", args=[10**9])).status_code == 404
    assert (
        client.post(reverse("cases:alert_status", args=[far.pk]), {"status": "verifying"}).status_code == 404
    )
    far.refresh_from_db()
    assert far.status == Alert.Status.OPEN


def test_a_declaration_without_household_shows_the_declarant(client, world, people):
    alert = raise_alert(
        None,
        region=world.village,
        subject_name="钱七",
        channel="self_declared",
        grade="黄",
        reason="申报因病",
    )
    html = page(client, people["village_officer"], alert)
    assert "钱七" in html and "尚未在农户信息库中登记" in html


def test_the_evidence_links_to_its_delivery_declaration_and_visit_pages(client, world, people, medical_alert):
    from dixian.declarations.models import Declaration
    from dixian.visits.models import Visit

    alert, head = medical_alert
    officer = people["village_officer"]
    visit = Visit.objects.create(
        household=world.home,
        region_code=world.home.region_code,
        visit_date=dt.date(2026, 10, 20),
        visitor=officer,
        risks=[],
    )
    declaration = Declaration.objects.create(
        reference="SB2611-X00001",
        village=world.village,
        region_code=world.village.code,
        name=head.name,
        id_number=head.id_number,
        phone=world.home.phone,
        difficulty="illness",
        description="住院花费大",
        consent=True,
        household=world.home,
    )
    raise_alert(world.home, channel="cadre_visit", grade="橙", reason="走访发现", visit=visit)
    raise_alert(world.home, channel="self_declared", grade="黄", reason="申报", declaration=declaration)
    html = page(client, officer, alert)
    delivery_pk = alert.evidences.exclude(delivery=None).get().delivery_id
    assert f'href="{reverse("feeds:delivery_detail", args=[delivery_pk])}"' in html
    assert f'href="{reverse("visits:detail", args=[visit.pk])}"' in html
    assert f'href="{reverse("declarations:detail", args=[declaration.pk])}"' in html


def test_a_record_key_column_the_delivery_left_out_counts_as_empty_as_in_the_engine(world):
    table = pa.table(
        {
            "name": pa.array(["李四"]),
            "loan_type": pa.array(["脱贫人口小额信贷"]),
            "overdue_amount": pa.array([Decimal("800.00")], pa.decimal128(18, 2)),
            "overdue_days": pa.array([95], pa.int32()),
            "data_date": pa.array([dt.date(2026, 10, 31)]),
        }
    )
    d = delivery(world, "loan", table, "loan-no-id.parquet")
    shown = evidence_rows(d, ["李四||脱贫人口小额信贷|2026-10-31"], pii=False)
    assert "证件号码" not in shown.headers
    assert dict(zip(shown.headers, shown.rows[0], strict=True))["逾期天数"] == "95"


def test_a_diagnosis_in_a_reason_is_shown_only_with_the_pii_right_on_every_page_and_in_the_export(
    client, world, people
):
    """A run's R03 alert names the disease. The household's village sees that a member has a major illness
    and what to check, but the diagnosis only with the right: queue, alert page, household page, export."""
    from python_calamine import CalamineWorkbook

    from dixian.screening.models import ScreeningRun
    from dixian.screening.services import screening_run
    from dixian.screening.tests.run_fixtures import PERIOD, deliver, head, major_illness_row

    deliver("major_illness", [major_illness_row(head(world.home), "艾滋病")], region=world.county)
    screening_run(period=PERIOD, trigger=ScreeningRun.Trigger.MANUAL)
    alert = Alert.objects.get(household=world.home, risk_code="01")
    pages = {
        "queue": reverse("cases:alert_queue"),
        "alert": reverse("cases:alert_detail", args=[alert.pk]),
        "household": reverse("registry:household_detail", args=[world.home.pk]),
        "export": reverse("cases:alert_export"),
    }

    def seen(user) -> dict[str, str]:
        client.force_login(user)
        out = {}
        for name, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, name
            if name == "export":
                book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
                out[name] = str(book.get_sheet_by_name("预警线索").to_python())
            else:
                out[name] = response.content.decode()
        return out

    for name, text in seen(people["village_officer"]).items():
        assert "确诊大病专项救治病种“***”" in text, name
        assert "艾滋病" not in text and "\ue000" not in text and "\ue001" not in text, name
    for name, text in seen(people["county_admin"]).items():
        assert "确诊大病专项救治病种“艾滋病”" in text, name
        assert "\ue000" not in text and "\ue001" not in text, name
