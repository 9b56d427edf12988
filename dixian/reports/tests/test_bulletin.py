"""The monthly bulletin shows the dashboard's figures, in its text, its .docx and its .xlsx, for the units
an account may see (docs/domain.md §21)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from decimal import Decimal

import docx
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from dixian.registry.testing import build_world, personas
from dixian.reports import catalogue
from dixian.reports.bulletin import (
    BY_UNIT,
    DASH,
    TextByUnit,
    TextFigure,
    TextInput,
    TextRank,
    bulletin_build,
    bulletin_docx,
    bulletin_xlsx,
    compose_text,
    number,
    region_lookup,
)
from dixian.reports.catalogue import Indicator, headline_indicators
from dixian.reports.models import Fact
from dixian.reports.periods import Period
from dixian.reports.producers import level_of, parent_of
from dixian.reports.selectors import figures_compared, last_refresh, ranking
from dixian.reports.services import facts_refresh

pytestmark = pytest.mark.django_db

P = Period.current()
# Indicators of other sources (alerts, cases, findings), registered for the test only: the bulletin must
# show whatever the catalogue holds, including the sections by unit it looks up by code.
TEST_INDICATORS = (
    Indicator(code="t_alerts", name="新增预警线索", group="三线预警", unit="条", numerator="t.alerts",
              flow=True, better="", headline=True),
    Indicator(code="t_timely", name="按时识别认定率", group="识别认定", unit="%", numerator="t.timely",
              denominator="t.due", flow=True, better="up", headline=True),
    Indicator(code="cases_overdue", name="超期未办结案件", group="识别认定", unit="件",
              numerator="t.overdue", better="down"),
    Indicator(code="findings_open", name="待核查疑点", group="疑点核查", unit="条", numerator="t.findings",
              better="down"),
)  # fmt: skip


def fact(period: Period, code: str, region_code: str, value: int) -> None:
    Fact.objects.create(
        period=str(period),
        code=code,
        region_code=region_code,
        level=level_of(region_code),
        parent_code=parent_of(region_code),
        value=value,
    )


def facts_of_counties(world, period: Period, code: str, county: int, other: int) -> None:
    """A fact for both counties and their sum for the city (what the refresh's roll-up would write)."""
    fact(period, code, world.county.code, county)
    fact(period, code, world.other_county.code, other)
    fact(period, code, world.city.code, county + other)


@pytest.fixture
def indicators(monkeypatch):
    for ind in TEST_INDICATORS:
        monkeypatch.setitem(catalogue.INDICATORS, ind.code, ind)
    return TEST_INDICATORS


@pytest.fixture
def figures(indicators):
    """A world with registry facts of this month and alerts, timeliness, overdue cases and findings for
    this month, the last and the same month of last year."""
    w = build_world()
    facts_refresh(periods=[P])
    for period, alerts, timely, overdue in ((P, (12, 3), (9, 2), (4, 1)), (P.previous(), (8, 2), (8, 1), (2, 2)),
                                            (P.year_ago(), (20, 5), (5, 1), (0, 0))):  # fmt: skip
        facts_of_counties(w, period, "t.alerts", *alerts)
        facts_of_counties(w, period, "t.timely", *timely)
        facts_of_counties(w, period, "t.due", 10, 4)
        facts_of_counties(w, period, "t.overdue", *overdue)
    facts_of_counties(w, P, "t.findings", 0, 6)
    return w


def decimal_of(text: str) -> Decimal | None:
    """A cell's text as the number it shows ("1,234" / "95.5" / "+25.0%" / "-1.0个百分点"); None for a dash."""
    text = text.strip()
    if text == DASH:
        return None
    return Decimal(re.sub(r"[,+%]|个百分点", "", text))


def docx_tables(content: bytes) -> list[list[list[str]]]:
    document = docx.Document(io.BytesIO(content))
    return [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


def docx_paragraphs(content: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]


def sheets(content: bytes) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {
        name: [list[object](row) for row in book.get_sheet_by_name(name).to_python()]
        for name in book.sheet_names
    }


def as_decimal(cell: object) -> Decimal | None:
    if cell == DASH:
        return None
    assert isinstance(cell, int | float), cell
    return Decimal(str(cell))


# ---- the figures are the dashboard's -----------------------------------------------------------------


def test_the_docx_headline_table_shows_the_figures_the_dashboard_reads(figures):
    w = figures
    expected = figures_compared(w.city, P, headline_indicators())
    assert {c.current.indicator.code for c in expected} >= {"ex_poor_households", "t_alerts", "t_timely"}
    table = docx_tables(bulletin_docx(bulletin_build(w.city, P)))[0]
    assert table[0] == ["指标", "单位", "本月", "上月", "环比", "去年同月", "同比"]
    rows = {row[0]: row for row in table[1:]}
    for c in expected:
        row = rows[c.current.indicator.name]
        assert decimal_of(row[2]) == c.current.value
        assert decimal_of(row[3]) == c.previous.value
        assert decimal_of(row[4]) == c.month_on_month
        assert decimal_of(row[5]) == c.year_ago.value
        assert decimal_of(row[6]) == c.year_on_year
    alerts = rows["新增预警线索"]
    assert alerts[2:] == ["15", "10", "+50.0%", "25", "-40.0%"]
    assert rows["按时识别认定率"][2:] == ["78.6", "64.3", "+14.3个百分点", "42.9", "+35.7个百分点"]


def test_the_xlsx_cells_are_the_dashboards_figures_and_the_units_their_rankings(figures):
    w = figures
    book = sheets(bulletin_xlsx(bulletin_build(w.city, P)))
    rows = {row[0]: row for row in book["主要指标"][1:]}
    for c in figures_compared(w.city, P, headline_indicators()):
        row = rows[c.current.indicator.name]
        got = [as_decimal(v) for v in row[2:7]]
        assert got == [c.current.value, c.previous.value, c.month_on_month, c.year_ago.value, c.year_on_year]
    units = book["各县(市、区)排名"]
    header, body = units[0], {row[0]: row for row in units[1:]}
    for ind in headline_indicators():
        col = header.index(f"{ind.name}({ind.unit})")
        for r in ranking(w.city, P, ind):
            row = body[r.region.code]
            assert as_decimal(row[col]) == r.figure.value
            assert row[col + 1] == (r.rank if r.rank is not None else DASH)
    # The city is ranked by timeliness: 修水县 9/10 is first, 都昌县 2/4 second.
    col = header.index("按时识别认定率(%)")
    assert (body[w.county.code][col], body[w.county.code][col + 1]) == (90.0, 1)
    assert (body[w.other_county.code][col], body[w.other_county.code][col + 1]) == (50.0, 2)


def test_the_units_table_of_the_docx_holds_each_units_figure_and_rank(figures):
    w = figures
    tables = docx_tables(bulletin_docx(bulletin_build(w.city, P)))
    unit_tables = [t for t in tables[1:] if t[0][0] == "县(市、区)" and "排名" in t[0]]
    seen = 0
    for ind in headline_indicators():
        title = f"{ind.name}({ind.unit})"
        table = next(t for t in unit_tables if title in t[0])
        col = table[0].index(title)
        body = {row[0]: row for row in table[1:]}
        for r in ranking(w.city, P, ind):
            assert decimal_of(body[r.region.name][col]) == r.figure.value
            assert body[r.region.name][col + 1] == (str(r.rank) if r.rank else DASH)
            seen += 1
    assert seen >= 6


def test_overdue_cases_and_open_findings_are_listed_by_unit_with_their_total(figures):
    w = figures
    content = bulletin_xlsx(bulletin_build(w.city, P))
    book = sheets(content)
    overdue = book["超期未办结案件"]
    assert overdue[1:] == [
        [w.county.code, "修水县", 4.0, 2.0],
        [w.other_county.code, "都昌县", 1.0, 1.0],  # fewer overdue cases rank first
        [w.city.code, "九江市(合计)", 5.0, ""],
    ]
    findings = book["待核查疑点"]
    assert findings[-1][2] == 6.0
    assert [row[2:] for row in findings[1:3]] == [[0.0, 1.0], [6.0, 2.0]]
    text = "\n".join(docx_paragraphs(bulletin_docx(bulletin_build(w.city, P))))
    assert "全市共有超期未办结案件5件,其中修水县4件、都昌县1件。" in text
    assert "全市共有待核查疑点6条,其中都昌县6条。" in text


def test_a_bulletin_made_before_the_overdue_and_findings_indicators_exist_says_they_are_not_available(
    figures, monkeypatch
):
    for code, _ in BY_UNIT:
        monkeypatch.delitem(catalogue.INDICATORS, code)
    b = bulletin_build(figures.city, P)
    assert [s.indicator for s in b.by_unit] == [None, None]
    paragraphs = docx_paragraphs(bulletin_docx(b))
    assert paragraphs.count("暂无此项统计(该指标尚未纳入平台),本节从略。") == 2
    book = sheets(bulletin_xlsx(b))
    assert book["未整改疑点"] == [["暂无此项统计(该指标尚未纳入平台),本节从略。"]]
    assert "四、超期未认定" in paragraphs
    assert not any("超期未办结案件" in p or "待核查疑点" in p for p in b.text)


def test_a_headline_figure_with_its_own_section_is_told_once(figures, monkeypatch):
    overdue = catalogue.INDICATORS["cases_overdue"]
    monkeypatch.setitem(catalogue.INDICATORS, "cases_overdue", replace(overdue, headline=True))
    b = bulletin_build(figures.city, P)
    assert "超期未办结案件" in [c.current.indicator.name for c in b.headline]
    assert "".join(b.text).count("超期未办结案件") == 1


def test_every_number_of_the_text_is_one_of_the_figures(figures):
    w = figures
    b = bulletin_build(w.city, P)
    allowed = {str(P.year), str(P.month), "0", "1", str(timezone.localdate(last_refresh().finished_at).day)}
    for c in b.headline:
        pct = c.current.indicator.is_percent
        allowed |= {number(c.current.value, percent=pct)}
        allowed |= {f"{abs(x):.1f}" for x in (c.month_on_month, c.year_on_year) if x is not None}
    for row in b.units:
        allowed |= {number(r.figure.value, percent=r.figure.indicator.is_percent) for r in row.figures}
    for s in b.by_unit:
        allowed |= {number(s.total.current.value)} | {number(r.figure.value) for r in s.rows}
    text = "".join(b.text)
    assert "截至" in text and "新增预警线索15条,较上月增加50.0%,同比减少40.0%" in text
    assert "按时识别认定率最高的是修水县(90.0%),最低的是都昌县(50.0%)" in text
    assert set(re.findall(r"\d[\d,]*(?:\.\d+)?", text)) <= allowed


def test_units_with_equal_figures_share_their_rank(figures):
    for ind in (catalogue.INDICATORS["t_alerts"], catalogue.INDICATORS["findings_open"]):
        ranked = {r.region.code: r.rank for r in ranking(figures.city, P.year_ago().previous(), ind)}
        assert ranked == {figures.county.code: 1, figures.other_county.code: 1}  # a month of zeros


def test_a_county_bulletin_ranks_its_townships_and_reads_the_countys_own_figures(figures):
    w = figures
    b = bulletin_build(w.county, P)
    assert b.unit_label == "乡镇" and [row.region for row in b.units] == [w.township]
    (alerts,) = [c for c in b.headline if c.current.indicator.code == "t_alerts"]
    assert alerts.current.value == 12
    assert b.text[0].startswith(f"截至{P.year}年{P.month}月") and ",全县共有脱贫户2户" in b.text[0]


def test_a_past_month_is_told_to_its_end_and_the_current_one_to_the_last_refresh(figures):
    w = figures
    last = P.previous()
    text = "".join(bulletin_build(w.city, last).text)
    assert f"截至{last.year}年{last.month}月底,全市" in text
    assert f"{last.month}月份,全市新增预警线索10条" in text
    day = timezone.localdate(last_refresh().finished_at).day
    text = "".join(bulletin_build(w.city, P).text)
    assert f"截至{P.year}年{P.month}月{day}日,全市共有脱贫户3户" in text
    assert f"{P.month}月1日至{day}日,全市新增预警线索15条" in text


def test_the_bulletin_reads_its_figures_in_a_few_queries(figures, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        bulletin_build(figures.city, P)


# ---- the text, on its own ------------------------------------------------------------------------------

NAMES = st.sampled_from(["脱贫户", "监测对象", "新增预警线索", "按时识别认定率", "走访覆盖率", "人均纯收入"])
VALUES = st.decimals(min_value=0, max_value=10**7, places=1, allow_nan=False, allow_infinity=False)
CHANGES = st.none() | st.decimals(min_value=-1000, max_value=1000, places=1, allow_nan=False)


@st.composite
def text_inputs(draw) -> TextInput:
    figures = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["stock", "flow", "ratio"]))
        unit = draw(st.sampled_from(["%", "元"])) if kind == "ratio" else draw(st.sampled_from(["户", "条"]))
        value = draw(VALUES)
        value = value if kind == "ratio" else value.to_integral_value()
        if kind == "ratio" and draw(st.booleans()):
            value = None
        figures.append(TextFigure(draw(NAMES), unit, kind, value, draw(CHANGES), draw(CHANGES)))
    by_unit = [
        TextByUnit(draw(NAMES), "件", draw(VALUES).to_integral_value(), (("修水县", Decimal(draw(st.integers(1, 99)))),))
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    ranks = [
        TextRank(draw(NAMES), "%", ("修水县", draw(VALUES)), ("都昌县", draw(VALUES)))
        for _ in range(draw(st.integers(0, 2)))
    ]
    until = draw(st.none() | st.dates(min_value=dt.date(2026, 10, 1), max_value=dt.date(2026, 10, 31)))
    return TextInput("全市", "县(市、区)", Period(2026, 10), tuple(figures), tuple(by_unit), tuple(ranks),
                     draw(st.booleans()), until)  # fmt: skip


def numbers_given(t: TextInput) -> set[str]:
    found = {"2026", "10", "0"}  # a zero is said to be zero
    if t.until:
        found |= {"1", str(t.until.day)}
    for f in t.figures:
        found.add(number(f.value, percent=f.percent))
        found |= {f"{abs(c):.1f}" for c in (f.month_on_month, f.year_on_year) if c is not None}
    for s in t.by_unit:
        found |= {number(s.total)} | {number(v) for _, v in s.top}
    for r in t.ranks:
        found |= {number(r.highest[1], percent=True), number(r.lowest[1], percent=True)}
    return found


@given(text_inputs())
def test_the_text_writes_no_number_that_is_not_one_of_its_figures(t):
    text = "".join(compose_text(t))
    assert set(re.findall(r"\d[\d,]*(?:\.\d+)?", text)) <= numbers_given(t)


def test_the_text_says_a_zero_is_zero_and_a_ratio_over_nothing_has_no_data():
    t = TextInput(
        "全县",
        "乡镇",
        Period(2026, 10),
        (
            TextFigure("脱贫户", "户", "stock", Decimal(1200)),
            TextFigure("监测对象", "户", "stock", Decimal(0)),
            TextFigure("新增预警线索", "条", "flow", Decimal(0), None, Decimal("-100.0")),
            TextFigure("按时识别认定率", "%", "ratio", None),
            TextFigure("走访覆盖率", "%", "ratio", Decimal("80.5"), Decimal("0.0"), Decimal("-2.5")),
        ),
        (TextByUnit("超期未办结案件", "件", Decimal(0)),),
    )
    assert compose_text(t) == [
        "截至2026年10月底,全县共有脱贫户1,200户,监测对象为0。",
        "10月份,全县新增预警线索为0。",
        "全县走访覆盖率为80.5%,与上月持平,同比下降2.5个百分点;按时识别认定率暂无数据。",
        "全县超期未办结案件为0。",
    ]


def test_a_count_is_named_the_way_a_bulletin_says_it():
    t = TextInput(
        "全市",
        "县(市、区)",
        Period(2026, 10),
        (
            TextFigure("预警线索(当月新增)", "条", "flow", Decimal(15)),
            TextFigure("风险消除户数", "户", "flow", Decimal(3)),
            TextFigure("走访次数", "次", "flow", Decimal(0)),
        ),
        (TextByUnit("超期未认定户数", "户", Decimal(5), (("修水县", Decimal(4)), ("都昌县", Decimal(1)))),),
    )
    assert compose_text(t) == [
        "10月份,全市新增预警线索15条;风险消除3户;走访次数为0。",
        "全市共有超期未认定5户,其中修水县4户、都昌县1户。",
    ]


def test_a_month_without_data_has_one_plain_sentence():
    t = TextInput(
        "全市", "县(市、区)", Period(2019, 3), (TextFigure("脱贫户", "户", "stock", Decimal(0)),), empty=True
    )
    assert compose_text(t) == [
        "2019年3月,全市暂无统计数据(统计数尚未生成,或当月没有发生相关业务),本通报各项均按0列示。"
    ]


# ---- a month without data, regions, the command --------------------------------------------------------


def test_a_month_without_data_makes_a_bulletin_of_zeros_with_a_note(indicators):
    w = build_world()
    b = bulletin_build(w.city, Period(2019, 3))
    assert b.empty and all(c.current.value in (0, None) for c in b.headline)
    paragraphs = docx_paragraphs(bulletin_docx(b))
    assert any("该月暂无统计数据" in p for p in paragraphs)
    book = sheets(bulletin_xlsx(b))
    assert all(row[2] in (0.0, DASH) for row in book["主要指标"][1:])
    assert "统计数尚未生成" in book["通报正文"][1][0]


def test_a_region_is_found_by_its_prefix_or_its_full_code_and_an_unknown_one_is_refused(indicators):
    w = build_world()
    assert region_lookup("3604") == w.city
    assert region_lookup("360424") == w.county
    assert region_lookup("360424100") == w.township
    assert region_lookup("360424100201") == w.village
    for text in ("3699", "36042", "abc", "０１", "", "36042410020101"):
        with pytest.raises(ValueError, match="区划"):
            region_lookup(text)


def test_the_command_writes_both_files(figures, tmp_path):
    out = tmp_path / "通报"
    call_command("report", period=str(P), region="3604", out=str(out))
    docx_file = out / f"九江市月度通报_{P}.docx"
    xlsx_file = out / f"九江市月度通报_{P}.xlsx"
    assert docx_file.exists() and xlsx_file.exists()
    assert (
        sheets(xlsx_file.read_bytes())["主要指标"][1:]
        == sheets(bulletin_xlsx(bulletin_build(figures.city, P)))["主要指标"][1:]
    )
    assert not list(out.glob("*.part"))


def test_the_command_writes_one_format_when_asked(figures, tmp_path):
    call_command("report", period=str(P), region="360424", out=str(tmp_path / "out"), format="xlsx")
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"修水县月度通报_{P}.xlsx"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"period": "2026-13", "region": "3604"}, "统计月份"),
        ({"period": str(P.next()), "region": "3604"}, "还没有到"),
        ({"period": "2026-10", "region": "9999"}, "没有区划代码为“9999”"),
        ({"period": "2026-10", "region": "36-04"}, "无法识别"),
        ({"period": "2026-10", "region": "3604", "format": "pdf"}, "docx、xlsx 或 both"),
    ],
)
def test_the_command_refuses_bad_input_in_chinese_and_writes_nothing(indicators, tmp_path, options, message):
    build_world()
    with pytest.raises(CommandError, match=message):
        call_command("report", out=str(tmp_path / "out"), **options)
    assert not (tmp_path / "out").exists()


# ---- the page ----------------------------------------------------------------------------------------


@pytest.fixture
def people(figures):
    return personas(figures)


def test_the_page_shows_the_bulletin_and_links_both_downloads(client, figures, people):
    client.force_login(people["leader"])
    response = client.get(reverse("reports:bulletin"), {"region": "3604", "period": str(P)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "九江市防止返贫动态监测月度通报" in page and "新增预警线索15条" in page
    assert f"/reports/bulletin/docx/?region=360400000000&amp;period={P}" in page
    docx_response = client.get(reverse("reports:bulletin_docx"), {"region": "3604", "period": str(P)})
    assert docx_response.status_code == 200 and "attachment" in docx_response["Content-Disposition"]
    assert (
        docx_tables(docx_response.content)[0]
        == docx_tables(bulletin_docx(bulletin_build(figures.city, P)))[0]
    )
    xlsx_response = client.get(reverse("reports:bulletin_xlsx"), {"region": "360400000000", "period": str(P)})
    assert (
        sheets(xlsx_response.content)["主要指标"]
        == sheets(bulletin_xlsx(bulletin_build(figures.city, P)))["主要指标"]
    )


def test_the_page_defaults_to_the_accounts_own_unit_and_the_last_complete_month(client, figures, people):
    client.force_login(people["county_reviewer"])
    response = client.get(reverse("reports:bulletin"))
    assert response.status_code == 200
    b = response.context["bulletin"]
    assert b.region == figures.county and b.period == P.previous()


@pytest.mark.parametrize("url", ["reports:bulletin", "reports:bulletin_docx", "reports:bulletin_xlsx"])
def test_a_unit_outside_the_accounts_subtree_answers_404_like_one_that_does_not_exist(
    client, figures, people, url
):
    client.force_login(people["county_reviewer"])
    for code in ("3604", "360428", "360428100201", "9999", "xyz"):
        assert client.get(reverse(url), {"region": code, "period": str(P)}).status_code == 404, code
    for code in ("360424", "360424100", "360424100201"):
        assert client.get(reverse(url), {"region": code, "period": str(P)}).status_code == 200, code


def test_a_bad_period_is_explained_on_the_page_and_no_file_is_made(client, figures, people):
    client.force_login(people["leader"])
    response = client.get(reverse("reports:bulletin"), {"region": "3604", "period": "2026-13"})
    assert response.status_code == 200 and "请写成“年-月”" in response.content.decode()
    assert response.context["bulletin"] is None
    response = client.get(reverse("reports:bulletin_xlsx"), {"region": "3604", "period": "十月"})
    assert response.status_code == 400 and "请写成“年-月”" in response.content.decode()
    response = client.get(reverse("reports:bulletin_docx"), {"region": "3604", "period": str(P.next())})
    assert response.status_code == 400 and "还没有到" in response.content.decode()


def test_an_account_without_the_reports_capability_is_refused(client, figures, people):
    client.force_login(people["department_uploader"])
    assert client.get(reverse("reports:bulletin")).status_code == 403


def test_a_village_bulletin_says_nothing_of_falling_townships_it_has_none_of():
    from dixian.reports.bulletin import employment_text

    employed = TextFigure("务工就业", "人", "stock", Decimal(120), code="employment_employed")

    def told(falling: Decimal | None) -> str:
        figure = TextFigure("下降乡镇", "个", "stock", falling, code="employment_falling_townships")
        return employment_text(TextInput("良塘村", "", Period(2026, 10), employment=(employed, figure)))

    assert "乡镇" not in told(None)  # a village: no townships below it, nothing to say
    assert "没有务工就业人数较上月下降的乡镇" in told(Decimal(0))
    assert "下降的乡镇2个" in told(Decimal(2))
