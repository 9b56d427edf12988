"""Reading whole deliveries: formats, encodings, headers, row checks, and the canonical table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from dixian.common.testing import fake_id
from dixian.domain import catalogue
from dixian.feeds import ingest

from .helpers import MEDICAL_HEADERS, csv_bytes, json_rows, medical_rows, xlsx_bytes

TODAY = dt.date(2026, 11, 29)


def ingest_csv(rows, headers=MEDICAL_HEADERS, **kw):
    return ingest.ingest_file("medical", csv_bytes(rows, headers, **kw), file_name="a.csv", today=TODAY)


def test_a_valid_csv_becomes_the_canonical_typed_table():
    result = ingest_csv(medical_rows(3))
    assert result.ok and result.errors == []
    table = result.table
    assert table.column_names == [
        "settlement_no",
        "name",
        "id_number",
        "visit_type",
        "settlement_date",
        "total_cost",
        "fund_paid",
        "out_of_pocket",
    ]
    assert table.schema.field("settlement_date").type == pa.date32()
    assert table.schema.field("total_cost").type == pa.decimal128(18, 2)
    assert table.schema.field("id_number").type == pa.string()
    assert table.column("total_cost").to_pylist() == [Decimal("1000.50")] * 3
    assert table.column("settlement_date").to_pylist() == [dt.date(2026, 10, 8)] * 3
    assert result.row_count == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(encoding):
    result = ingest_csv(medical_rows(2), encoding=encoding)
    assert result.ok
    assert result.table.column("name").to_pylist() == ["患者1", "患者2"]


def test_headers_may_come_in_any_order_and_as_aliases():
    headers = [
        "个人自付",
        "结算流水号",
        "身份证号码",
        "患者姓名",
        "就医类别",
        "结算时间",
        "总费用",
        "统筹支付",
    ]
    rows = [[r[7], r[0], r[2], r[1], r[3], r[4], r[5], r[6]] for r in medical_rows(2)]
    result = ingest_csv(rows, headers)
    assert result.ok
    assert result.columns["out_of_pocket"] == "个人自付"
    assert result.table.column("settlement_no").to_pylist() == ["JS00000001", "JS00000002"]


def test_unknown_columns_reject_the_whole_file_naming_them_and_the_expected_headers():
    with pytest.raises(ingest.FeedFileError) as exc:
        ingest_csv([[*r, "x"] for r in medical_rows(1)], [*MEDICAL_HEADERS, "科室"])
    text = ";".join(exc.value.problems)
    assert "无法识别的列:“科室”" in text
    assert "表头应为:结算单号(必填)、姓名(必填)" in text


def test_missing_required_columns_reject_the_whole_file():
    with pytest.raises(ingest.FeedFileError) as exc:
        ingest_csv([r[:6] for r in medical_rows(1)], MEDICAL_HEADERS[:6])
    assert "缺少必填列:个人负担" in ";".join(exc.value.problems)


def test_two_columns_meaning_the_same_field_reject_the_whole_file():
    with pytest.raises(ingest.FeedFileError) as exc:
        ingest_csv([[*r, r[2]] for r in medical_rows(1)], [*MEDICAL_HEADERS, "身份证号"])
    assert "列“证件号码”和“身份证号”重复" in ";".join(exc.value.problems)


def test_a_counter_column_and_our_own_report_columns_are_ignored():
    rows = [[i, *r, "", "", ""] for i, r in enumerate(medical_rows(2), start=1)]
    result = ingest_csv(rows, ["序号", *MEDICAL_HEADERS, "错误行号", "错误列", "错误原因"])
    assert result.ok


def test_a_file_with_only_headers_is_refused():
    with pytest.raises(ingest.FeedFileError, match="没有数据行"):
        ingest_csv([])


def test_a_renamed_non_workbook_is_refused_with_a_sentence():
    with pytest.raises(ingest.FeedFileError, match="不是 Excel 工作簿"):
        ingest.ingest_file("medical", b"not a workbook", file_name="a.xlsx", today=TODAY)


def test_bad_cells_are_reported_per_row_with_the_header_as_sent():
    rows = medical_rows(6)
    rows[0][2] = "36042419700101ABCD"  # letters: not an ID
    rows[1][2] = "3604241970"  # wrong length
    rows[2][4] = "2026-02-30"  # no such day
    rows[3][4] = "2027-01-01"  # in the future
    rows[4][5] = "-100"  # negative
    rows[5][5] = "999999999"  # absurd (and so 个人负担 no longer adds up; reported once, on the amount)
    result = ingest_csv(rows)
    assert not result.ok and result.table is None
    got = [(e.row, e.column) for e in result.errors]
    assert got == [
        (2, "证件号码"),
        (3, "证件号码"),
        (4, "结算日期"),
        (5, "结算日期"),
        (6, "医疗总费用"),
        (7, "医疗总费用"),
    ]
    assert "不是身份证号" in result.errors[0].message
    assert "不存在" in result.errors[2].message
    assert "将来" in result.errors[3].message
    assert "负数" in result.errors[4].message
    assert "过大" in result.errors[5].message


def test_a_required_value_left_empty_is_a_row_error():
    rows = medical_rows(2)
    rows[1][1] = "  "
    result = ingest_csv(rows)
    assert [(e.row, e.column, e.message) for e in result.errors] == [(3, "姓名", "姓名是必填项,不能为空")]


def test_out_of_pocket_must_equal_total_minus_the_payments_within_a_cent():
    rows = medical_rows(3)
    rows[0][7] = "200.51"  # within 0.01
    rows[1][7] = "200.52"  # off by 0.02
    result = ingest_csv(rows)
    assert [(e.row, e.column) for e in result.errors] == [(3, "个人负担")]
    assert "应为 200.50 元,实为 200.52 元" in result.errors[0].message


def test_identity_numbers_that_can_still_be_linked_are_accepted_and_counted():
    rows = medical_rows(6)
    good = rows[0][2]
    rows[1][2] = ""  # missing
    rows[2][2] = "3.60424E+17"  # a spreadsheet's damage
    rows[3][2] = good[:10] + str((int(good[10]) + 1) % 10) + good[11:]  # one digit mistyped
    rows[4][2] = good[:6] + good[8:17]  # the old 15-digit number
    rows[5][2] = good.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # full-width
    result = ingest_csv(rows)
    assert result.ok
    assert result.notes == {"missing": 1, "old15": 1, "checksum": 1, "damaged": 1}
    ids = result.table.column("id_number").to_pylist()
    assert ids[1] is None and ids[2] == "3.60424E+17" and ids[3] == rows[3][2]  # kept as sent, never repaired


def test_identical_repeats_count_once_and_a_changed_repeat_is_an_error():
    rows = medical_rows(2)
    result = ingest_csv([*rows, rows[0]])
    assert result.ok and result.rows_read == 3 and result.row_count == 2
    changed = [*rows[0][:5], "1000.50", "700", "300.50"]
    result = ingest_csv([*rows, changed])
    assert [(e.row, e.column) for e in result.errors] == [(4, "结算单号")]
    assert "与第 2 行相同" in result.errors[0].message


def test_a_workbook_with_title_rows_number_cells_and_date_cells_is_read():
    rows = medical_rows(3)
    rows[0][4] = dt.date(2026, 10, 8)  # a date cell
    rows[1][4] = 46303.0  # an Excel serial typed as a number: 2026-10-08
    rows[2][4] = 20261008  # 20261008 typed into a number cell
    rows[0][5], rows[0][6], rows[0][7] = 1000.5, 800, 200.5
    rows[1][2] = 360424197001010000.0  # an 18-digit ID stored as a number
    rows[2][0] = 12345678.0  # a settlement number stored as a number
    result = ingest.ingest_file("medical", xlsx_bytes(rows, title_rows=2), file_name="a.xlsx", today=TODAY)
    assert result.ok, result.errors
    assert result.table.column("settlement_date").to_pylist() == [dt.date(2026, 10, 8)] * 3
    assert result.table.column("id_number").to_pylist()[1] == "3.6042419700101E+17"
    assert result.notes["damaged"] == 1
    assert result.table.column("settlement_no").to_pylist()[2] == "12345678"


def test_workbook_errors_carry_the_excel_row_number():
    rows = medical_rows(2)
    rows[1][3] = "急诊"
    result = ingest.ingest_file("medical", xlsx_bytes(rows, title_rows=1), file_name="a.xlsx", today=TODAY)
    assert [(e.row, e.column) for e in result.errors] == [(4, "就诊类别")]
    assert "可填:住院、门诊慢特病、普通门诊" in result.errors[0].message


def test_json_rows_use_headers_or_field_names_and_number_rows_from_one():
    rows = json_rows(medical_rows(2))
    rows[1] = {("total_cost" if k == "医疗总费用" else k): v for k, v in rows[1].items()}
    with pytest.raises(ingest.FeedFileError, match="重复"):
        ingest.ingest_rows("medical", rows, today=TODAY)
    rows = json_rows(medical_rows(2))
    rows[1]["医疗总费用"] = 1000.5  # a JSON number
    rows[0]["结算日期"] = "soon"
    result = ingest.ingest_rows("medical", rows, today=TODAY)
    assert [(e.row, e.column) for e in result.errors] == [(1, "结算日期")]


def test_every_feed_accepts_a_row_of_its_own_example_values():
    examples = {
        catalogue.TEXT: "示例",
        catalogue.ID: fake_id("360424", dt.date(1980, 5, 6), 7),
        catalogue.DATE: "2026-10-01",
        catalogue.MONEY: "12.50",
        catalogue.INT: "3",
    }
    for spec in catalogue.FEEDS:
        row = {c.header: c.choices[0] if c.choices else examples[c.type] for c in spec.columns}
        if spec.code == "medical":
            row.update(
                {
                    "医疗总费用": "100",
                    "统筹基金支付": "50",
                    "大病保险支付": "10",
                    "医疗救助支付": "10",
                    "补充保险支付": "5",
                    "个人负担": "25",
                }
            )
        result = ingest.ingest_rows(spec.code, [row], today=TODAY)
        assert result.ok, (spec.code, result.errors)
        assert result.table.schema == ingest.arrow_schema(spec, spec.fields)


def test_the_screening_engine_reads_the_canonical_table():
    from dixian.screening.engine.backends import source_schema

    result = ingest_csv(medical_rows(2))
    mapping = catalogue.header_map("medical", source_schema(result.table).names)
    assert set(mapping.values()) == set(result.table.column_names)
