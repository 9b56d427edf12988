"""联农带农 (docs/domain.md §22): business entities with a checked 统一社会信用代码, industry bases, the households
a source links (one by one, or a workbook imported whole or refused whole), and the distinct households
linked in a region and year — a household linked twice counts once."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from stdnum.cn import uscc

from dixian.funds import links as services
from dixian.funds.models import BenefitLink, BusinessEntity
from dixian.funds.selectors_links import LinkedHouseholds, linked_households
from dixian.funds.testing import funds_personas
from dixian.registry.models import Household

from .helpers_assets import accepted_project, credit_code

pytestmark = pytest.mark.django_db
D = Decimal
ORG = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9)


@given(
    st.sampled_from("123456789"),
    st.sampled_from("123459"),
    st.integers(0, 999_999).map("{:06d}".format),
    ORG,
)
def test_a_code_with_its_check_character_is_accepted_and_any_other_last_character_refused(
    kind, sub, region, org
):
    body = f"{kind}{sub}{region}{org}"
    good = body + uscc.calc_check_digit(body)
    assert services.credit_code_clean(good.lower()) == good
    for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if wrong != good[-1]:
            with pytest.raises(ValidationError):
                services.credit_code_clean(body + wrong)


@pytest.mark.parametrize(
    "raw", ["", "9136042", "91360424MA35XY12K", "91360424MA35XY12K67", "91360424MA35XY12KI"]
)
def test_a_short_long_or_misspelt_code_is_refused_with_a_message(raw):
    with pytest.raises(ValidationError) as exc:
        services.credit_code_clean(raw)
    assert "统一社会信用代码" in " ".join(exc.value.messages)


@pytest.fixture
def office(world, people):
    return funds_personas(world)


def test_an_entity_is_registered_once_in_the_accounts_scope(world, office):
    sector = office["sector"]
    entity = services.entity_create(
        actor=sector,
        name="良塘茶叶合作社",
        kind="cooperative",
        credit_code=credit_code(1),
        region=world.village,
    )
    assert entity.region_code == world.village.code
    with pytest.raises(ValidationError):
        services.entity_create(
            actor=sector, name="重复", kind="cooperative", credit_code=credit_code(1), region=world.village
        )
    with pytest.raises(ValidationError):
        services.entity_create(
            actor=sector, name="外县", kind="enterprise", credit_code=credit_code(2), region=world.far_village
        )


def test_a_household_linked_twice_counts_once_and_the_weak_are_counted_apart(world, office):
    sector = office["sector"]
    project = accepted_project(world.village, "P1")
    entity = services.entity_create(
        actor=sector, name="合作社", kind="cooperative", credit_code=credit_code(1), region=world.village
    )
    base = services.base_create(actor=sector, name="茶叶基地", region=world.village)
    Household.objects.filter(pk=world.neighbour.pk).update(kind="ordinary")
    services.link_record(
        actor=sector,
        source=project,
        household_no=world.home.household_no,
        year=2026,
        form="dividend",
        benefit=D("300"),
    )
    services.link_record(
        actor=sector,
        source=entity,
        household_no=world.home.household_no,
        year=2026,
        form="employment",
        benefit=D("1200.5"),
    )
    services.link_record(
        actor=sector,
        source=base,
        household_no=world.home.household_no,
        year=2026,
        form="land_transfer",
        benefit=D("0"),
    )
    services.link_record(
        actor=sector,
        source=entity,
        household_no=world.neighbour.household_no,
        year=2026,
        form="order",
        benefit=D("50"),
    )
    services.link_record(
        actor=sector,
        source=entity,
        household_no=world.neighbour.household_no,
        year=2025,
        form="order",
        benefit=D("50"),
    )
    with pytest.raises(ValidationError) as exc:
        services.link_record(
            actor=sector,
            source=entity,
            household_no=world.home.household_no,
            year=2026,
            form="employment",
            benefit=D("1"),
        )
    assert "已按“就业务工”登记过" in " ".join(exc.value.messages)
    assert linked_households(world.county.prefix, 2026) == LinkedHouseholds(2, 1)
    assert linked_households(world.county.prefix, 2026, source="entity") == LinkedHouseholds(2, 1)
    assert linked_households(world.county.prefix, 2026, source="project") == LinkedHouseholds(1, 1)
    assert linked_households(world.other_village.code, 2026) == LinkedHouseholds(1, 0)
    assert linked_households(world.other_county.prefix, 2026) == LinkedHouseholds(0, 0)
    # A monitored household counts among the weak even when it is not 脱贫户.
    Household.objects.filter(pk=world.neighbour.pk).update(monitoring_category="edge")
    assert linked_households(world.county.prefix, 2026) == LinkedHouseholds(2, 2)


def workbook(rows, header=("户编号", "户主姓名", "联结方式", "年度收益")) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("名单")
    for i, row in enumerate([header, *rows]):
        for j, value in enumerate(row):
            sheet.write(i, j, value)
    book.close()
    return out.getvalue()


def test_a_workbook_of_links_is_imported_whole_and_again_changes_nothing(world, office):
    sector = office["sector"]
    entity = BusinessEntity.objects.create(
        name="合作社",
        kind="cooperative",
        credit_code=credit_code(3),
        region=world.village,
        region_code=world.village.code,
    )
    book = workbook(
        [
            (world.home.household_no, "张三", "就业务工", "1,200.50"),
            (world.neighbour.household_no, "李四", "分红", 300),
        ]
    )
    result = services.links_import(actor=sector, source=entity, year=2026, content=book)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert BenefitLink.objects.get(household=world.home).benefit == D("1200.50")
    again = services.links_import(actor=sector, source=entity, year=2026, content=book)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert BenefitLink.objects.count() == 2


def test_a_workbook_with_a_bad_row_is_refused_whole_with_a_row_report(world, office):
    sector = office["sector"]
    entity = BusinessEntity.objects.create(
        name="合作社",
        kind="cooperative",
        credit_code=credit_code(4),
        region=world.village,
        region_code=world.village.code,
    )
    book = workbook(
        [
            (world.home.household_no, "张三", "就业务工", "100"),
            (
                world.neighbour.household_no,
                "王五",
                "分红",
                "100",
            ),  # the head's name disagrees with the registry
            (world.far.household_no, "王五", "分红", "100"),  # another county's household
            (world.home.household_no, "张三", "打工", "1.005"),
        ]
    )
    with pytest.raises(services.LinksRefused) as exc:
        services.links_import(actor=sector, source=entity, year=2026, content=book)
    refused = exc.value
    assert not BenefitLink.objects.exists()
    assert {row for row, _, _ in refused.errors} == {3, 4, 5}
    report = CalamineWorkbook.from_filelike(io.BytesIO(refused.report)).get_sheet_by_index(0).to_python()
    assert report[0][-3:] == ["错误行号", "错误列", "错误原因"]
    assert "户主姓名" in report[2][-2] and "不一致" in report[2][-1]
    assert "不存在" in report[3][-1]
    assert "联结方式" in report[4][-1] and "两位小数" in report[4][-1]
    with pytest.raises(services.LinksRefused):
        services.links_import(actor=sector, source=entity, year=2026, content=b"not a workbook")
    with pytest.raises(services.LinksRefused) as exc:
        services.links_import(
            actor=sector, source=entity, year=2026, content=workbook([], header=("户号", "姓名"))
        )
    assert "缺少必填列" in exc.value.message


def test_the_import_page_shows_the_refusal_and_offers_the_report(client, world, office):
    entity = BusinessEntity.objects.create(
        name="合作社",
        kind="cooperative",
        credit_code=credit_code(5),
        region=world.village,
        region_code=world.village.code,
    )
    client.force_login(office["sector"])
    upload = io.BytesIO(workbook([(world.home.household_no, "李四", "就业务工", "100")]))
    upload.name = "名单.xlsx"
    response = client.post(
        reverse("funds:link_import"),
        {"source": "entity", "source_pk": entity.pk, "year": "2026", "file": upload},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "整份文件未导入" in page and "base64," in page
    upload = io.BytesIO(workbook([(world.home.household_no, "张三", "就业务工", "100")]))
    upload.name = "名单.xlsx"
    response = client.post(
        reverse("funds:link_import"),
        {"source": "entity", "source_pk": entity.pk, "year": "2026", "file": upload},
    )
    assert response.status_code == 302 and BenefitLink.objects.count() == 1
    page = client.get(reverse("funds:entity_detail", args=[entity.pk])).content.decode()
    assert '带动农户</dt><dd id="linked-count">1 户' in page


def test_the_link_pages_are_scoped_and_their_queries_do_not_grow(
    client, world, office, django_assert_num_queries
):
    sector = office["sector"]
    entity = services.entity_create(
        actor=sector, name="修水合作社", kind="cooperative", credit_code=credit_code(6), region=world.village
    )
    services.link_record(
        actor=sector,
        source=entity,
        household_no=world.home.household_no,
        year=2026,
        form="order",
        benefit=D("1"),
    )
    client.force_login(office["other_finance"])
    assert client.get(reverse("funds:entity_detail", args=[entity.pk])).status_code == 404
    for name in ("funds:entity_list", "funds:link_list"):
        assert "修水合作社" not in client.get(reverse(name)).content.decode()
    client.force_login(office["finance"])
    url = reverse("funds:link_list")
    client.get(url)
    with django_assert_num_queries(LINK_LIST_QUERIES):
        client.get(url, {"year": "2026"})
    for n in range(6):
        services.link_record(
            actor=sector,
            source=entity,
            household_no=world.neighbour.household_no,
            year=2020 + n,
            form="order",
            benefit=D("1"),
        )
    with django_assert_num_queries(LINK_LIST_QUERIES):
        page = client.get(url, {"kind": "ex_poor_or_monitored"}).content.decode()
    assert "带动农户 2 户,其中脱贫户和监测对象 2 户(7 条联结记录" in page
    with django_assert_num_queries(ENTITY_LIST_QUERIES):
        assert "修水合作社" in client.get(reverse("funds:entity_list")).content.decode()


# Session, account, the region picker (two), the counts, the page's count and rows, the rows' villages.
LINK_LIST_QUERIES = 8
ENTITY_LIST_QUERIES = 6
