"""The finance office's workbook: allocations, projects, arrangements and payments, all or nothing
(docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from python_calamine import CalamineWorkbook

from dixian.domain import funds as fd
from dixian.funds.imports import funds_import, template_workbook
from dixian.funds.models import (
    Allocation,
    Arrangement,
    FundsImportBatch,
    Payment,
    Project,
    ProjectBudget,
    ProjectTransition,
)
from dixian.funds.testing import funds_personas, funds_workbook

D = Decimal
pytestmark = pytest.mark.django_db

ALLOC_HEAD = [
    "资金年度",
    "资金级次",
    "指标文号",
    "下达日期",
    "接收单位",
    "金额(万元)",
    "用途",
    "是否直达资金",
]
PROJ_HEAD = [
    "项目编号",
    "项目名称",
    "计划年度",
    "项目类型",
    "乡镇",
    "村",
    "实施单位",
    "中央资金",
    "省级资金",
    "实际开工日期",
]
ARR_HEAD = ["文号", "级次", "项目编号", "安排金额", "安排日期"]
PAY_HEAD = ["项目编号", "支付日期", "支付金额", "资金用途", "收款方类别", "凭证号"]


def messy_book(tmp_path: Path, **changes: Sequence[Sequence[object]]) -> Path:
    """A county finance office's book as it comes: 万元 amounts, names instead of codes, full-width digits,
    spellings of levels and types, a blank row."""
    sheets: dict[str, Sequence[Sequence[object]]] = {
        "资金下达": [
            ["2026年衔接资金下达表"],  # a title row above the header
            ALLOC_HEAD,
            [
                2026,
                "中央财政",
                "赣财农指〔2026〕8号",
                dt.date(2026, 2, 15),
                "修水县",
                12.3456,
                "衔接资金",
                "是",
            ],
            [None] * 8,  # a blank row
            ["２０２６", "省", "赣财农指〔2026〕9号", "2026年2月20日", "修水县", "５０", "", "否"],
        ],
        "项目": [
            PROJ_HEAD,
            [
                "XS001",
                "良塘村蔬菜大棚",
                2026,
                "产业",
                "义宁镇",
                "良塘村",
                "义宁镇人民政府",
                100000,
                "２０,０００",
                dt.date(2026, 3, 1),
            ],
            [
                "XS002",
                "桃坪村道路硬化",
                2026,
                "基础设施类",
                "义宁",
                "桃坪",
                "义宁镇人民政府",
                "30000.5",
                None,
                dt.date(2026, 3, 5),
            ],
        ],
        "资金安排": [
            ARR_HEAD,
            ["赣财农指〔2026〕8号", "中央", "XS001", 100000, dt.date(2026, 3, 2)],
            ["赣财农指〔2026〕8号", "中央", "XS002", "23,456.00", dt.date(2026, 3, 6)],
        ],
        "资金支付": [
            PAY_HEAD,
            ["XS001", dt.date(2026, 4, 1), 50000, "建筑安装工程", "施工企业", "记-1"],
            ["XS001", dt.date(2026, 5, 1), "70000", "材料采购", "供应商", "记-2"],
            ["XS002", dt.date(2026, 4, 2), 30000.5, "construction", "", "记-3"],
        ],
    }
    sheets.update({name.replace("_", ""): rows for name, rows in changes.items()})
    return funds_workbook(tmp_path / "资金.xlsx", sheets)


@pytest.fixture
def offices(world):
    return funds_personas(world)


@pytest.fixture
def finance(offices):
    return offices["finance"]


def run(path: Path, user, world) -> FundsImportBatch:
    return funds_import(path=path, actor=user, scope=world.county)


def reasons(batch: FundsImportBatch) -> str:
    return "\n".join(f"{e['sheet']}!{e['row']} {e['column']}: {e['reason']}" for e in batch.errors)


def test_a_messy_book_is_imported_whole(tmp_path, world, finance):
    batch = run(messy_book(tmp_path), finance, world)
    assert batch.status == "imported", reasons(batch)
    central = Allocation.objects.get(level=fd.CENTRAL)
    # 12.3456 万元 is exactly 123,456.00 元; the province's full-width ５０ 万元 is 500,000.00 元.
    assert central.amount == D("123456.00") and central.direct and central.region_code == world.county.code
    assert Allocation.objects.get(level=fd.PROVINCE).amount == D("500000.00")
    xs1 = Project.objects.get(code="XS001")
    assert xs1.state == fd.IN_PLAN and xs1.region_code == world.village.code and xs1.kind == fd.INDUSTRY
    assert xs1.budget_total == D("120000.00")
    assert dict(ProjectBudget.objects.filter(project=xs1).values_list("level", "amount")) == {
        fd.CENTRAL: D("100000.00"),
        fd.PROVINCE: D("20000.00"),
    }
    assert Project.objects.get(code="XS002").region_code == world.other_village.code
    transition = ProjectTransition.objects.get(project=xs1)
    assert transition.action == "import" and str(batch.pk) in transition.reason
    assert Arrangement.objects.count() == 2 and Payment.objects.count() == 3
    assert Payment.objects.get(voucher_no="记-3").amount == D("30000.50")
    assert batch.uploaded_by == finance and len(batch.checksum) == 64


def test_reimporting_the_same_book_changes_nothing(tmp_path, world, finance):
    path = messy_book(tmp_path)
    assert run(path, finance, world).status == "imported"
    before = [m.objects.count() for m in (Allocation, Project, Arrangement, Payment, ProjectTransition)]
    again = run(path, finance, world)
    assert again.status == "imported", reasons(again)
    assert [
        m.objects.count() for m in (Allocation, Project, Arrangement, Payment, ProjectTransition)
    ] == before
    assert again.counts["unchanged"] == {"allocations": 2, "projects": 2, "arrangements": 2, "payments": 3}


def test_a_forbidden_payment_refuses_the_whole_book_with_the_rule(tmp_path, world, finance):
    path = messy_book(
        tmp_path,
        资金_支付=[PAY_HEAD, ["XS001", dt.date(2026, 4, 1), 5000, "购置车辆", "供应商", "记-9"]],
    )
    batch = run(path, finance, world)
    assert batch.status == "rejected"
    assert "不得用于购置交通工具" in reasons(batch) and batch.errors[0]["column"] == "资金用途"
    assert Allocation.objects.count() == Project.objects.count() == Payment.objects.count() == 0
    report = CalamineWorkbook.from_path(str(Path(settings.DATA_DIR) / batch.report_file))
    rows = report.get_sheet_by_name("资金支付").to_python()
    assert rows[0][-3:] == ["错误行号", "错误列", "错误原因"]
    assert rows[1][-2] == "资金用途" and "负面清单" in rows[1][-1]


def test_arranging_more_than_issued_is_refused(tmp_path, world, finance):
    path = messy_book(
        tmp_path,
        资金_安排=[
            ARR_HEAD,
            ["赣财农指〔2026〕8号", "中央", "XS001", 100000, dt.date(2026, 3, 2)],
            ["赣财农指〔2026〕8号", "中央", "XS002", 23456.01, dt.date(2026, 3, 6)],
        ],
    )
    batch = run(path, finance, world)
    assert batch.status == "rejected"
    assert "资金安排!3" in reasons(batch) and "最多还可安排 23,456.00 元" in reasons(batch)
    assert Arrangement.objects.count() == 0


def test_a_payment_before_the_start_or_beyond_the_budget_is_refused(tmp_path, world, finance):
    path = messy_book(
        tmp_path,
        资金_支付=[
            PAY_HEAD,
            ["XS001", dt.date(2026, 2, 28), 100, "建筑安装工程", "施工企业", "a"],
            ["XS001", dt.date(2026, 4, 1), 120000, "建筑安装工程", "施工企业", "b"],
            ["XS001", dt.date(2026, 4, 2), 0.01, "建筑安装工程", "施工企业", "c"],
        ],
    )
    batch = run(path, finance, world)
    text = reasons(batch)
    assert "资金支付!2 支付日期: 支付日期 2026-02-28 早于项目开工日期 2026-03-01" in text
    assert "资金支付!3" not in text  # exactly the budget
    assert "资金支付!4" in text and "超过项目总投资" in text
    assert Payment.objects.count() == 0


def test_bad_cells_and_places_are_reported_per_row(tmp_path, world, finance):
    path = messy_book(
        tmp_path,
        资金_下达=[
            ALLOC_HEAD,
            [2026, "中央", "X1", "2026-02-30", "修水县", 1, "", ""],
            [2026, "乡级", "X2", dt.date(2026, 2, 1), "修水县", 1, "", ""],
            [2026, "中央", "X3", dt.date(2026, 2, 1), "都昌县", 1, "", ""],
            [2026, "中央", "X4", dt.date(2026, 2, 1), "修水县", "1.0000001", "", ""],
            [2026, "中央", "X5", dt.date(2026, 2, 1), "修水县", "-3", "", ""],
        ],
        资金_支付=[PAY_HEAD, ["XS999", dt.date(2026, 4, 1), 1, "建筑安装工程", "", ""]],
    )
    batch = run(path, finance, world)
    text = reasons(batch)
    assert "资金下达!2 下达日期" in text and "不存在" in text
    assert "资金下达!3 资金级次" in text and "无法识别" in text
    assert "资金下达!4 接收单位" in text and "找不到名为「都昌县」" in text
    assert "资金下达!5 金额(万元)" in text and "6位小数" in text
    assert "资金下达!6" in text and "不能为负数" in text
    assert "资金支付!2 项目编号: 找不到项目编号「XS999」" in text
    assert FundsImportBatch.objects.get().status == "rejected" and Allocation.objects.count() == 0


def test_another_countys_book_is_out_of_reach(tmp_path, world, offices, finance):
    other = offices["other_finance"]
    assert run(messy_book(tmp_path), finance, world).status == "imported"
    path = funds_workbook(
        tmp_path / "b.xlsx",
        {"资金支付": [PAY_HEAD, ["XS001", dt.date(2026, 6, 1), 1, "建筑安装工程", "", "z"]]},
    )
    batch = funds_import(path=path, actor=other, scope=world.other_county)
    assert batch.status == "rejected" and "找不到项目编号「XS001」" in reasons(batch)


def test_an_existing_record_with_other_values_is_refused_not_overwritten(tmp_path, world, finance):
    assert run(messy_book(tmp_path), finance, world).status == "imported"
    changed = messy_book(
        tmp_path,
        资金_下达=[
            ALLOC_HEAD,
            [2026, "中央", "赣财农指〔2026〕8号", dt.date(2026, 2, 15), "修水县", 13, "衔接资金", "是"],
        ],
    )
    batch = run(changed, finance, world)
    assert batch.status == "rejected" and "下达金额与系统中的不同" in reasons(batch)
    assert Allocation.objects.get(level=fd.CENTRAL).amount == D("123456.00")


def test_a_file_that_is_no_workbook_fails_without_writing(tmp_path, world, finance):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    batch = run(path, finance, world)
    assert batch.status == "failed" and "不是 Excel 工作簿" in batch.message


def test_the_template_imports_as_it_is(tmp_path, world, finance):
    path = tmp_path / "template.xlsx"
    template_workbook(str(path))
    batch = run(path, finance, world)
    assert batch.status == "imported", reasons(batch)
    assert Payment.objects.get().amount == D("120000.00")
