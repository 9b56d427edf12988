"""The household list (农户信息): filters, search, scoping, masking, htmx and paging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dixian.common.paging import paginate
from dixian.common.testing import PASSWORD, fake_id
from dixian.registry.filters import Search
from dixian.registry.models import Household, HouseholdIncome, IncomeLine, Person
from dixian.registry.testing import household

pytestmark = pytest.mark.django_db
URL = "/households/"


def numbers(client, user, params=None, **headers) -> set[str]:
    client.login(username=user.username, password=PASSWORD)
    response = client.get(URL, params or {}, **headers)
    assert response.status_code == 200
    return {h.household_no for h in response.context["page"]}


def page_text(client, user, params=None, **headers) -> str:
    client.login(username=user.username, password=PASSWORD)
    response = client.get(URL, params or {}, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_list_url_is_household_list():
    assert reverse("registry:household_list") == URL


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_filters_by_kind_and_monitoring_category(client, world, people):
    Household.objects.filter(pk=world.home.pk).update(kind="ordinary")
    Household.objects.filter(pk=world.neighbour.pk).update(monitoring_category="edge")
    Household.objects.filter(pk=world.far.pk).update(monitoring_category="sudden_hardship")
    admin = people["city_admin"]
    assert numbers(client, admin, {"kind": "ordinary"}) == {world.home.household_no}
    assert numbers(client, admin, {"category": "monitored"}) == {
        world.neighbour.household_no,
        world.far.household_no,
    }
    assert numbers(client, admin, {"category": "edge"}) == {world.neighbour.household_no}
    assert numbers(client, admin, {"category": "none"}) == {world.home.household_no}
    assert numbers(client, admin, {"category": "monitored", "kind": "ex_poor"}) == {
        world.neighbour.household_no,
        world.far.household_no,
    }


def test_region_filter_narrows_inside_the_subtree(client, world, people):
    admin = people["city_admin"]
    assert numbers(client, admin, {"region": world.village.pk}) == {world.home.household_no}
    assert numbers(client, admin, {"region": world.county.pk}) == {
        world.home.household_no,
        world.neighbour.household_no,
    }
    # The cascade posts every level in order; the deepest consistent one wins.
    chain = [world.county.pk, world.township.pk, world.other_village.pk]
    assert numbers(client, admin, {"region": chain}) == {world.neighbour.household_no}


def test_stale_lower_region_is_dropped_when_the_upper_one_changes(client, world, people):
    # Without JavaScript: the county select was changed, the township select still holds the old township.
    got = numbers(client, people["city_admin"], {"region": [world.other_county.pk, world.township.pk]})
    assert got == {world.far.household_no}


def test_a_select_left_at_all_ends_the_chain(client, world, people):
    got = numbers(client, people["city_admin"], {"region": ["", world.village.pk]})
    assert got == {world.home.household_no, world.neighbour.household_no, world.far.household_no}


def test_region_outside_the_subtree_is_ignored_with_a_message(client, world, people):
    reviewer = people["county_reviewer"]
    html = page_text(client, reviewer, {"region": world.far_village.pk})
    assert "所选区划不在您的管辖范围内,已忽略" in html
    assert world.far.household_no not in html
    assert numbers(client, reviewer, {"region": world.far_village.pk}) == {
        world.home.household_no,
        world.neighbour.household_no,
    }
    # A region id that does not exist answers exactly the same: nothing to learn from the message.
    assert "所选区划不在您的管辖范围内,已忽略" in page_text(client, reviewer, {"region": 987654})


@pytest.mark.parametrize(
    "params",
    [
        {"region": "abc"},
        {"region": "99999999999999999999999999"},
        {"region": "-3"},
        {"region": ["1", "x", "2"]},
        {"page": "abc"},
        {"page": "-5"},
        {"page": "0"},
        {"page": str(10**30)},
        {"kind": "nobody"},
        {"category": "<script>alert(1)</script>"},
        {"guarantee": "all"},
        {"q": "x" * 500},
        {"q": "%_\\'\""},
        {"q": "0792-"},
        {"health": "ill"},
    ],
)
def test_garbage_filter_values_answer_200_without_leaking(client, world, people, params):
    html = page_text(client, people["village_officer"], params)
    assert world.far.household_no not in html
    assert world.neighbour.household_no not in html
    assert "<script>alert(1)</script>" not in html


def test_unknown_kind_is_ignored_with_a_message(client, world, people):
    html = page_text(client, people["village_officer"], {"kind": "nobody"})
    assert "「户类型」的取值无效,已忽略" in html
    assert world.home.household_no in html


def _ill(h: Household, status: str, seq: int, *, grade: int | None = None) -> None:
    Person.objects.create(
        household=h,
        region_code=h.region_code,
        id_number=fake_id(h.region_code[:6], dt.date(2001, 2, 3), seq),
        name=f"{h.head_name}子",
        sex="male",
        birth_date=dt.date(2001, 2, 3),
        relation="son",
        labour_skill="ordinary",
        health_status=status,
        disability_grade=grade,
        disability_category="physical" if status == "disabled" else "",
    )
    Household.objects.filter(pk=h.pk).update(
        has_illness=status in ("chronic", "major_illness") or h.has_illness,
        has_disability=status == "disabled" or h.has_disability,
    )
    h.refresh_from_db()


def test_health_and_disability_filters_for_an_account_with_pii(client, world, people):
    _ill(world.home, "chronic", 401)
    _ill(world.neighbour, "major_illness", 402)
    _ill(world.far, "disabled", 403, grade=1)
    _ill(world.home, "disabled", 404, grade=3)
    admin = people["city_admin"]
    assert numbers(client, admin, {"health": "ill"}) == {
        world.home.household_no,
        world.neighbour.household_no,
    }
    assert numbers(client, admin, {"health": "chronic"}) == {world.home.household_no}
    assert numbers(client, admin, {"health": "major_illness"}) == {world.neighbour.household_no}
    assert numbers(client, admin, {"disability": "disabled"}) == {
        world.home.household_no,
        world.far.household_no,
    }
    assert numbers(client, admin, {"disability": "severe"}) == {world.far.household_no}


def test_health_filters_need_the_pii_permission(client, world, people):
    _ill(world.neighbour, "major_illness", 402)
    reviewer = people["county_reviewer"]
    html = page_text(client, reviewer, {"health": "major_illness"})
    assert "按健康状况、残疾筛选需开通查看个人信息权限,已忽略" in html
    assert 'name="health"' not in html  # the select is not even offered
    assert numbers(client, reviewer, {"health": "major_illness"}) == {
        world.home.household_no,
        world.neighbour.household_no,
    }


def test_guarantee_and_water_filters(client, world, people):
    Household.objects.filter(pk=world.home.pk).update(education_ok=False)
    Household.objects.filter(pk=world.far.pk).update(water_ok=False)
    admin = people["city_admin"]
    assert numbers(client, admin, {"guarantee": "education"}) == {world.home.household_no}
    assert numbers(client, admin, {"guarantee": "water"}) == {world.far.household_no}
    assert numbers(client, admin, {"guarantee": "any"}) == {world.home.household_no, world.far.household_no}
    assert numbers(client, admin, {"guarantee": "housing"}) == set()


def test_search_by_name_from_its_first_characters_at_county_width(client, world, people):
    reviewer = people["county_reviewer"]
    assert numbers(client, reviewer, {"q": "李四"}) == {world.neighbour.household_no}
    assert numbers(client, reviewer, {"q": "张三妻"}) == {world.home.household_no}  # a member, not the head
    assert numbers(client, reviewer, {"q": "三妻"}) == set()  # not a substring search at this width
    html = page_text(client, reviewer, {"q": "李"})
    assert "请至少输入两个字" in html
    assert numbers(client, reviewer, {"q": "李"}) == set()


def test_search_by_any_part_of_a_name_inside_a_township(client, world, people):
    assert numbers(client, people["township_reviewer"], {"q": "四"}) == {world.neighbour.household_no}
    assert numbers(client, people["city_admin"], {"q": "三妻", "region": world.township.pk}) == {
        world.home.household_no
    }


def test_search_never_reaches_outside_the_scope(client, world, people):
    reviewer = people["county_reviewer"]
    far_head = Person.objects.get(household=world.far, relation="head")
    for q in ("王五", far_head.id_number, far_head.phone, world.far.household_no):
        assert numbers(client, reviewer, {"q": q}) == set()


def test_full_id_number_and_household_number_find_the_household_without_pii(client, world, people):
    reviewer = people["county_reviewer"]
    head = Person.objects.get(household=world.neighbour, relation="head")
    assert numbers(client, reviewer, {"q": head.id_number}) == {world.neighbour.household_no}
    # A phone number only with the personal-data right (docs/security.md §5; test_full_number_search.py).
    assert numbers(client, reviewer, {"q": head.phone}) == set()
    assert numbers(client, reviewer, {"q": world.neighbour.household_no}) == {world.neighbour.household_no}
    assert numbers(client, reviewer, {"q": world.neighbour.household_no[:12]}) == {
        world.neighbour.household_no
    }


def test_id_fragments_are_not_an_oracle_for_masked_accounts(client, world, people):
    head = Person.objects.get(household=world.home, relation="head")
    officer = people["village_officer"]  # narrow width, no PII permission
    html = page_text(client, officer, {"q": head.id_number[6:14]})
    assert "按身份证号或电话的片段查找需开通查看个人信息权限" in html
    assert numbers(client, officer, {"q": head.id_number[6:14]}) == set()
    assert numbers(client, officer, {"q": head.phone[3:9]}) == set()


def test_id_and_phone_fragments_for_an_account_with_pii(client, world, people):
    head = Person.objects.get(household=world.home, relation="head")
    admin = people["county_admin"]
    # Inside a township: any fragment.
    assert numbers(client, admin, {"q": head.id_number[-6:], "region": world.township.pk}) == {
        world.home.household_no
    }
    assert numbers(client, admin, {"q": head.phone[-4:], "region": world.village.pk}) == {
        world.home.household_no
    }
    # County width: the first 10+ digits of the ID number, not a tail.
    assert world.home.household_no in numbers(client, admin, {"q": head.id_number[:14]})
    assert numbers(client, admin, {"q": head.id_number[-6:]}) == set()


def test_search_terms_are_parameters_not_patterns(world):
    assert not Search(term="%", narrow_prefix=world.village.prefix, pii=True).household_ids().exists()
    assert not Search(term="_", narrow_prefix=world.village.prefix, pii=True).household_ids().exists()


def test_phone_is_masked_unless_the_account_may_see_it(client, world, people):
    masked = page_text(client, people["county_reviewer"])
    assert "138****0001" in masked
    assert "13800000001" not in masked
    assert "13800000001" in page_text(client, people["county_admin"])


def test_table_is_mobile_readable(client, world, people):
    html = page_text(client, people["village_officer"])
    assert 'class="responsive households"' in html
    for label in ("户编号", "户主", "所在村", "户类型", "监测类别", "人口", "三保障及饮水", "联系电话"):
        assert f'data-label="{label}"' in html


def test_shows_household_columns_and_guarantee_badges(client, world, people):
    Household.objects.filter(pk=world.home.pk).update(housing_ok=False, monitoring_category="edge")
    html = page_text(client, people["village_officer"])
    assert world.village.full_name in html
    assert "脱贫户" in html and "边缘易致贫户" in html
    assert '<span class="badge red">住房不安全</span>' in html  # the badge says what is wrong
    assert reverse("registry:household_detail", args=[world.home.pk]) in html


def test_htmx_request_gets_the_table_partial_and_pushes_the_canonical_url(client, world, people):
    client.login(username="city_admin", password=PASSWORD)
    response = client.get(
        URL,
        {"region": [world.county.pk, world.township.pk, ""], "kind": "nobody", "page": "1"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="household-results"' in html
    assert 'id="region-picker" class="region-picker" hx-swap-oob="true"' in html
    assert response["HX-Push-Url"] == f"{URL}?region={world.township.pk}"


def test_htmx_history_restore_gets_the_whole_page(client, world, people):
    client.login(username="city_admin", password=PASSWORD)
    response = client.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_region_picker_offers_only_regions_of_the_subtree(client, world, people):
    reviewer_page = page_text(client, people["county_reviewer"])
    assert f'<option value="{world.township.pk}"' in reviewer_page
    assert f'<option value="{world.other_county.pk}"' not in reviewer_page
    assert f'<option value="{world.county.pk}"' not in reviewer_page
    # Even a crafted selection outside the subtree never opens the other county's townships.
    crafted = page_text(client, people["county_reviewer"], {"region": world.far_village.pk})
    assert "都昌镇" not in crafted and "城西村" not in crafted
    assert 'name="region"' not in page_text(client, people["village_officer"])


def test_region_picker_shows_the_chain_of_a_linked_village(client, world, people):
    client.login(username="city_admin", password=PASSWORD)
    picker = client.get(URL, {"region": world.other_village.pk}).context["picker"]
    assert [level.label for level in picker] == ["县(市、区)", "乡镇", "村"]
    assert [level.selected for level in picker] == [
        world.county.pk,
        world.township.pk,
        world.other_village.pk,
    ]
    assert {r.pk for r in picker[2].options} == {world.village.pk, world.other_village.pk}


def test_helper_sees_only_assigned_households(client, world, people):
    assert numbers(client, people["helper"], {"region": world.township.pk}) == {world.home.household_no}


def test_pages_of_fifty(client, world, people):
    for i in range(120):
        household(f"3604241002029{i:03d}", world.other_village, f"户主{i}", 100 + i, members=1)
    admin = people["city_admin"]
    client.login(username=admin.username, password=PASSWORD)
    first = client.get(URL).context["page"]
    assert (len(first), first.count, first.num_pages, first.capped) == (50, 123, 3, False)
    third = client.get(URL, {"page": 3}).context["page"]
    assert len(third) == 23 and third.number == 3
    assert not {h.pk for h in first} & {h.pk for h in third}
    beyond = client.get(URL, {"page": 40}).context["page"]
    assert beyond.number == 3
    # A search result pages the same way, in the same order.
    searched = [
        client.get(URL, {"q": "户主", "region": world.township.pk, "page": n}).context["page"] for n in (1, 3)
    ]
    assert [(len(p), p.count, p.number) for p in searched] == [(50, 120, 1), (20, 120, 3)]
    in_order = list(Household.objects.filter(head_name__startswith="户主").order_by("region_code", "id"))
    assert list(searched[0]) == in_order[:50] and list(searched[1]) == in_order[100:]


def test_count_is_capped_and_pages_stop_at_the_cap(world):
    for i in range(12):
        household(f"3604241002020{i + 100:03d}", world.other_village, f"户主{i}", 200 + i, members=1)
    qs = Household.objects.order_by("region_code", "id")
    page = paginate(qs, "2", per_page=5, cap=10)
    assert (page.count, page.capped, page.num_pages, len(page)) == (10, True, 2, 5)
    assert paginate(qs, "9", per_page=5, cap=10).number == 2
    small = paginate(qs.filter(region_code=world.village.code), "1", per_page=5, cap=10)
    assert (small.count, small.capped, small.num_pages) == (1, False, 1)


def test_village_is_shown_below_the_accounts_own_region(client, world, people):
    assert ">修水县义宁镇良塘村</td>" in page_text(client, people["city_admin"])
    assert ">良塘村</td>" in page_text(client, people["township_reviewer"])
    assert ">九江市修水县义宁镇良塘村</td>" in page_text(client, people["village_officer"])


def test_a_search_matching_too_many_asks_for_more_precision(client, world, people, monkeypatch):
    from dixian.registry import filters

    monkeypatch.setattr(filters, "SEARCH_IDS_MAX", 1)
    admin = people["city_admin"]
    html = page_text(client, admin, {"q": "张三", "region": world.village.pk})  # 张三 and 张三妻: two matches
    assert "「张三」的匹配结果超过 1 条" in html
    assert numbers(client, admin, {"q": "张三", "region": world.village.pk}) == set()
    assert numbers(client, admin, {"q": world.neighbour.household_no}) == {world.neighbour.household_no}


def test_each_red_badge_says_what_is_wrong_not_what_should_be_secured(client, world, people):
    Household.objects.filter(pk=world.home.pk).update(
        education_ok=False, medical_ok=False, housing_ok=False, water_ok=False
    )
    Household.objects.filter(pk=world.neighbour.pk).update(water_ok=None)
    html = page_text(client, people["village_officer"])
    for wrong in ("有失学辍学", "有人未参保", "住房不安全", "饮水不安全"):
        assert f'<span class="badge red">{wrong}</span>' in html
    for name in ("义务教育", "基本医疗", "住房安全", "饮水安全"):
        assert f'<span class="badge red">{name}</span>' not in html
    county = page_text(client, people["county_reviewer"])
    assert '<span class="badge yellow">饮水情况未填</span>' in county


def test_income_filter_finds_households_below_the_line_of_their_region(client, world, people):
    HouseholdIncome.objects.filter(household=world.far).update(net_income_per_capita=Decimal("5000"))
    HouseholdIncome.objects.filter(household=world.neighbour).update(net_income_per_capita=Decimal("8000"))
    IncomeLine.objects.update_or_create(region=None, year=2025, defaults={"amount": Decimal("8200")})
    admin = people["city_admin"]
    assert numbers(client, admin, {"income": "below_line"}) == {
        world.far.household_no,
        world.neighbour.household_no,
    }
    # 修水县's own line (7,000) wins over the city's inside the county: 8,000 is above it.
    IncomeLine.objects.create(region=world.county, year=2025, amount=Decimal("7000"))
    assert numbers(client, admin, {"income": "below_line"}) == {world.far.household_no}
    IncomeLine.objects.filter(year=2025).delete()  # no line for the year: nobody is below it
    assert numbers(client, admin, {"income": "below_line"}) == set()
