"""The finance office's workbook after review (issue 16): over-long cells, an unexpected failure, and the
rules the web forms keep (docs/domain.md §22)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dixian.funds import imports
from dixian.funds.imports import funds_import
from dixian.funds.models import Allocation, FundsImportBatch, Payment, Project
from dixian.funds.testing import funds_workbook
from dixian.funds.tests.test_allocations_import import (
    ARR_HEAD,
    PAY_HEAD,
    PROJ_HEAD,
    messy_book,
    reasons,
    run,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(offices):
    return offices["finance"]


@pytest.fixture
def offices(world):
    from dixian.funds.testing import funds_personas

    return funds_personas(world)


def project_row(
    code: str = "XS001", name: str = "良塘村蔬菜大棚", owner: str = "义宁镇人民政府"
) -> list[object]:
    return [code, name, 2026, "产业", "义宁镇", "良塘村", owner, 100000, 20000, dt.date(2026, 3, 1)]


def test_an_over_long_text_cell_is_a_row_error_naming_the_column_and_its_limit(tmp_path, world, finance):
    # ASCII cells take the fast readers: they too must keep to the model's max_length.
    path = messy_book(
        tmp_path,
        项目=[PROJ_HEAD, project_row(name="N" * 201), project_row("XS002", owner="u" * 101)],
        资金_支付=[PAY_HEAD, ["XS001", dt.date(2026, 4, 1), 1, "建筑安装工程", "", "V" * 61]],
    )
    batch = run(path, finance, world)
    text = reasons(batch)
    assert batch.status == "rejected", text
    assert "项目!2 项目名称: 项目名称最多200个字" in text
    assert "项目!3 实施单位: 实施单位最多100个字" in text
    assert "资金支付!2 凭证号: 凭证号最多60个字" in text
    assert Project.objects.count() == Payment.objects.count() == 0


def test_a_project_code_longer_than_the_model_allows_is_refused(tmp_path, world, finance):
    path = messy_book(tmp_path, 项目=[PROJ_HEAD, project_row("X" * 41)])
    batch = run(path, finance, world)
    assert batch.status == "rejected" and "项目!2 项目编号: 项目编号最多40个字" in reasons(batch)
    assert Project.objects.count() == 0


def boom(*args, **kwargs):
    raise RuntimeError("database went away")


def test_an_unexpected_failure_marks_the_batch_failed_with_a_chinese_message(
    tmp_path, world, finance, monkeypatch
):
    monkeypatch.setattr(imports, "_check_and_write", boom)
    batch = run(messy_book(tmp_path), finance, world)
    batch.refresh_from_db()
    assert batch.status == "failed" and "意外错误" in batch.message and "database" not in batch.message


def test_the_page_shows_an_unexpected_failure_instead_of_a_500(client, tmp_path, world, finance, monkeypatch):
    monkeypatch.setattr(imports, "_check_and_write", boom)
    client.force_login(finance)
    with messy_book(tmp_path).open("rb") as fh:
        response = client.post(reverse("funds:import"), {"file": fh})
    assert response.status_code == 200 and "意外错误" in response.content.decode()
    assert FundsImportBatch.objects.get().status == "failed"


def test_the_command_exits_2_on_an_unexpected_failure(tmp_path, world, finance, monkeypatch, capsys):
    monkeypatch.setattr(imports, "_check_and_write", boom)
    with pytest.raises(SystemExit) as exc:
        call_command("import_funds", str(messy_book(tmp_path)), "--user", "finance")
    assert exc.value.code == 2 and "意外错误" in capsys.readouterr().err
    assert FundsImportBatch.objects.get().status == "failed"


@pytest.mark.skipif(not connection.features.has_select_for_update, reason="SQLite's writers take turns")
def test_a_project_the_book_relists_is_row_locked_before_its_payments_are_checked(tmp_path, world, finance):
    assert run(messy_book(tmp_path), finance, world).status == "imported"
    pks = sorted(Project.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        batch = run(messy_book(tmp_path), finance, world)  # the same book again: its payments are checked
    assert batch.status == "imported", reasons(batch)
    table = Project._meta.db_table
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"] and f'FROM "{table}"' in q["sql"]]
    # Both re-listed projects are locked, in pk order (the payments services lock the same way).
    assert locks and all(str(pk) in locks[0] for pk in pks) and 'ORDER BY "funds_project"."id"' in locks[0]


def test_a_payment_or_a_progress_date_after_today_is_refused_as_on_the_forms(tmp_path, world, finance):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    late = project_row("XS001")
    late[-1] = tomorrow
    path = messy_book(
        tmp_path,
        项目=[PROJ_HEAD, late, project_row("XS002")],
        资金_支付=[
            PAY_HEAD,
            ["XS002", tomorrow, 1, "建筑安装工程", "施工企业", "记-1"],
            ["XS002", timezone.localdate(), 1, "建筑安装工程", "施工企业", "记-2"],
        ],
        资金_安排=[ARR_HEAD],
    )
    batch = run(path, finance, world)
    text = reasons(batch)
    assert batch.status == "rejected"
    assert f"项目!2 实际开工日期: 实际开工日期 {tomorrow:%Y-%m-%d} 晚于今天" in text
    assert f"资金支付!2 支付日期: 支付日期 {tomorrow:%Y-%m-%d} 晚于今天" in text
    assert "资金支付!3" not in text  # today is fine
    assert Project.objects.count() == Payment.objects.count() == 0


def test_another_countys_allocation_is_not_found_nor_locked_by_an_arrangement_row(
    tmp_path, world, offices, finance
):
    assert run(messy_book(tmp_path), finance, world).status == "imported"
    other = offices["other_finance"]
    path = funds_workbook(
        tmp_path / "b.xlsx",
        {"资金安排": [ARR_HEAD, ["赣财农指〔2026〕8号", "中央", "XS001", 1, dt.date(2026, 3, 2)]]},
    )
    with CaptureQueriesContext(connection) as queries:
        batch = funds_import(path=path, actor=other, scope=world.other_county)
    text = reasons(batch)
    assert batch.status == "rejected" and "找不到文号「赣财农指〔2026〕8号」" in text
    assert "管辖范围" not in text
    table = Allocation._meta.db_table
    assert not [
        q for q in queries if f'FROM "{table}"' in q["sql"] and world.other_county.prefix not in q["sql"]
    ]
