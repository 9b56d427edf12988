"""The 12 feeds of docs/feeds.md §三 as data, and header mapping with aliases."""

from __future__ import annotations

import pytest

from dixian.feeds import catalogue


def test_the_catalogue_has_the_twelve_feeds_of_the_agreement() -> None:
    assert [f.code for f in catalogue.FEEDS] == [
        "medical",
        "major_illness",
        "assistance",
        "disability",
        "education",
        "housing",
        "disaster",
        "employment",
        "civil_registry",
        "water",
        "loan",
        "petition",
    ]
    for f in catalogue.FEEDS:
        fields = set(f.fields)
        assert len(fields) == len(f.columns), f.code
        assert set(f.record_key) <= fields, f.code
        assert f.date_field in fields, f.code
        assert all(c.type in catalogue.TYPES for c in f.columns)
        assert all(c.choices for c in f.columns if c.type == catalogue.CHOICE), f.code
        assert (f.person_key is None) == (f.code == "water")


def test_required_headers_follow_the_agreement() -> None:
    medical = catalogue.feed("medical")
    required = [c.header for c in medical.columns if c.required]
    assert required == ["结算单号", "姓名", "就诊类别", "结算日期", "医疗总费用", "个人负担"]
    assert catalogue.feed("civil_registry").column("id_number").required
    assert catalogue.feed("housing").column("id_number").header == "户主证件号码"


@pytest.mark.parametrize("header", ["证件号码", "身份证号", "身份证号码", "公民身份号码", " 身份证号码 "])
def test_id_aliases_map_to_the_same_field(header: str) -> None:
    mapping = catalogue.header_map("petition", ["姓名", header, "来访日期", "诉求类别"])
    assert mapping[header] == "id_number"


def test_units_in_headers_and_unknown_columns_are_tolerated() -> None:
    mapping = catalogue.header_map(
        "disaster", ["户主姓名", "灾害类型", "发生日期", "直接经济损失(元)", "备注"]
    )
    assert mapping == {
        "户主姓名": "name",
        "灾害类型": "disaster_type",
        "发生日期": "occurred_on",
        "直接经济损失(元)": "loss",
    }


def test_missing_and_duplicate_headers_reject_the_delivery() -> None:
    with pytest.raises(catalogue.FeedSchemaError) as err:
        catalogue.header_map("loan", ["借款人姓名", "身份证号", "证件号码", "贷款类型", "逾期金额"])
    assert err.value.problems == [
        "列“证件号码”与“身份证号”重复,都表示“证件号码”",
        "缺少必填列:逾期天数、数据日期",
    ]


def test_describe_gives_plain_data_for_documentation() -> None:
    described = catalogue.describe()
    assert len(described) == 12
    assert described[0]["columns"][0] == {
        "field": "settlement_no",
        "header": "结算单号",
        "aliases": ["结算流水号", "结算ID", "结算编号", "单据号"],
        "type": "text",
        "required": True,
        "choices": [],
        "meaning": "医保系统的结算单号,记录键",
    }
