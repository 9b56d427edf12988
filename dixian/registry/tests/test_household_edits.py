"""Editing on the household page: who may, what they see in the forms, and what the page shows after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dixian.common.access import mask_id_number
from dixian.common.models import ChangeLog
from dixian.common.testing import PASSWORD, fake_id
from dixian.registry.models import HouseholdIncome, Person

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def person_post(person: Person, **changes) -> dict[str, object]:
    """The member form as the browser sends it (non-PII accounts leave ID and phone empty)."""
    data: dict[str, object] = {
        "id_number": "",
        "name": person.name,
        "relation": person.relation,
        "ethnicity": person.ethnicity,
        "education": person.education,
        "student_status": person.student_status,
        "labour_skill": person.labour_skill,
        "work_place": person.work_place,
        "months_worked": person.months_worked or "",
        "medical_insurance": person.medical_insurance,
        "pension_insurance": person.pension_insurance,
        "phone": "",
    }
    if person.dibao:
        data["dibao"] = "on"
    data.update(changes)
    return data


def edit_urls(world) -> list[str]:
    spouse = world.home.members.get(relation="spouse")
    return [
        reverse("registry:household_edit", args=[world.home.pk]),
        reverse("registry:person_add", args=[world.home.pk]),
        reverse("registry:person_edit", args=[world.home.pk, spouse.pk]),
        reverse("registry:person_move", args=[world.home.pk, spouse.pk]),
        reverse("registry:income_edit", args=[world.home.pk]),
    ]


@pytest.mark.parametrize("persona", ["leader", "helper"])
def test_read_only_accounts_get_403_on_every_edit_url(client, world, people, persona):
    login(client, people[persona])
    assert client.get(reverse("registry:household_detail", args=[world.home.pk])).status_code == 200
    for url in edit_urls(world):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "x", "household_no": "x", "year": 2024}).status_code == 403, url
    assert ChangeLog.objects.count() == 0


def test_read_only_accounts_see_no_edit_buttons(client, world, people):
    login(client, people["leader"])
    html = client.get(reverse("registry:household_detail", args=[world.home.pk])).content.decode()
    assert "修改农户信息" not in html and "新增成员" not in html


def test_editor_of_another_village_gets_404_not_403(client, world, people):
    login(client, people["village_officer"])
    spouse = world.neighbour.members.get(relation="spouse")
    assert client.post(reverse("registry:household_edit", args=[world.neighbour.pk]), {}).status_code == 404
    assert (
        client.post(reverse("registry:person_edit", args=[world.neighbour.pk, spouse.pk]), {}).status_code
        == 404
    )


def test_member_of_another_household_under_an_editable_household_is_404(client, world, people):
    login(client, people["township_reviewer"])
    stranger = world.neighbour.members.get(relation="spouse")
    url = reverse("registry:person_edit", args=[world.home.pk, stranger.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, person_post(stranger, name="偷改")).status_code == 404
    assert Person.objects.get(pk=stranger.pk).name == stranger.name


def test_village_officer_edits_a_member_through_htmx_and_sees_it_in_history(client, world, people):
    login(client, people["village_officer"])
    spouse = world.home.members.get(relation="spouse")
    url = reverse("registry:person_edit", args=[world.home.pk, spouse.pk])
    form = client.get(url, headers=HTMX)
    assert form.status_code == 200 and "<html" not in form.content.decode()
    response = client.post(url, person_post(spouse, education="senior"), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#profile" and response["HX-Reselect"] == "#profile"
    html = response.content.decode()
    assert "成员 张三妻 的信息已保存" in html
    assert "文化程度" in html and "未填写 → <strong>高中</strong>" in html
    spouse.refresh_from_db()
    assert spouse.education == "senior"
    assert spouse.id_number.startswith("360424")  # kept: the empty ID input means "unchanged"


def test_plain_form_post_without_javascript_redirects_back(client, world, people):
    login(client, people["village_officer"])
    url = reverse("registry:household_edit", args=[world.home.pk])
    page = client.get(url)
    assert "<html" in page.content.decode() and "修改农户信息" in page.content.decode()
    data = {
        "kind": "ex_poor",
        "year_out_of_poverty": "2019",
        "monitoring_category": "",
        "phone": "",
        "address": "良塘村3组",
        "housing_grade": "B",
        "water_ok": "true",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:household_detail", args=[world.home.pk]
    )
    world.home.refresh_from_db()
    assert (world.home.year_out_of_poverty, world.home.address, world.home.phone) == (
        2019,
        "良塘村3组",
        "13800000001",
    )


def test_edit_form_never_sends_full_id_or_phone_to_an_account_without_pii(client, world, people):
    login(client, people["village_officer"])
    spouse = world.home.members.get(relation="spouse")
    spouse.phone = "13912345678"
    spouse.save()
    html = client.get(
        reverse("registry:person_edit", args=[world.home.pk, spouse.pk]), headers=HTMX
    ).content.decode()
    assert spouse.id_number not in html and "13912345678" not in html
    assert mask_id_number(spouse.id_number) in html
    assert 'name="health_status"' not in html


def test_account_with_pii_edits_health_data(client, world, people):
    login(client, people["county_admin"])
    spouse = world.home.members.get(relation="spouse")
    url = reverse("registry:person_edit", args=[world.home.pk, spouse.pk])
    assert spouse.id_number in client.get(url, headers=HTMX).content.decode()
    data = person_post(
        spouse,
        id_number=spouse.id_number,
        health_status="chronic",
        disability_category="",
        disability_grade="",
    )
    assert client.post(url, data, headers=HTMX).status_code == 200
    world.home.refresh_from_db()
    assert world.home.has_illness is True


def test_validation_errors_are_shown_in_chinese_next_to_the_field(client, world, people):
    login(client, people["village_officer"])
    spouse = world.home.members.get(relation="spouse")
    url = reverse("registry:person_edit", args=[world.home.pk, spouse.pk])
    response = client.post(
        url, person_post(spouse, id_number="360424197205060041", relation="head"), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert "校验位不对" in html
    assert ChangeLog.objects.count() == 0


def test_service_rule_error_lands_on_its_field(client, world, people):
    login(client, people["village_officer"])
    spouse = world.home.members.get(relation="spouse")
    response = client.post(
        reverse("registry:person_edit", args=[world.home.pk, spouse.pk]),
        person_post(spouse, relation="head"),
        headers=HTMX,
    )
    assert "本户已有户主" in response.content.decode()
    assert Person.objects.get(pk=spouse.pk).relation == "spouse"


def test_adding_a_member_derives_sex_and_birth_date(client, world, people):
    login(client, people["village_officer"])
    number = fake_id("360424", dt.date(2001, 7, 8), 3, female=True)
    data = {
        "id_number": number,
        "name": "新成员",
        "relation": "daughter",
        "ethnicity": "汉族",
        "labour_skill": "ordinary",
        "medical_insurance": "resident",
        "phone": "",
    }
    response = client.post(reverse("registry:person_add", args=[world.home.pk]), data, headers=HTMX)
    html = response.content.decode()
    assert "已新增成员 新成员" in html
    assert "<dt>家庭人口</dt><dd>3人</dd>" in html  # the refreshed derived count, not the stale one
    person = Person.objects.get(id_number=number)
    assert (person.sex, person.birth_date, person.household) == ("female", dt.date(2001, 7, 8), world.home)


def test_moving_a_member_only_into_households_in_scope(client, world, people):
    login(client, people["village_officer"])
    spouse = world.home.members.get(relation="spouse")
    url = reverse("registry:person_move", args=[world.home.pk, spouse.pk])
    response = client.post(url, {"household_no": world.neighbour.household_no, "relation": ""}, headers=HTMX)
    assert "不在您的管辖范围内" in response.content.decode()
    assert Person.objects.get(pk=spouse.pk).household == world.home

    client.logout()
    login(client, people["township_reviewer"])
    response = client.post(url, {"household_no": world.neighbour.household_no, "relation": ""}, headers=HTMX)
    assert response.status_code == 200 and "已迁至" in response.content.decode()
    assert Person.objects.get(pk=spouse.pk).household == world.neighbour


def test_income_form_upserts_a_year(client, world, people):
    login(client, people["village_officer"])
    url = reverse("registry:income_edit", args=[world.home.pk])
    form = client.get(url + "?year=2025", headers=HTMX).content.decode()
    assert 'value="20000.00"' in form
    data = {
        "year": "2025",
        "members": "",
        "wages": "8000",
        "business": "",
        "property": "",
        "transfers": "1000",
        "production_costs": "",
        "eligible_out_of_pocket": "",
        "insurance_payout": "",
    }
    html = client.post(url, data, headers=HTMX).content.decode()
    assert "人均纯收入 4500.00 元" in html and "低于监测线" in html
    assert HouseholdIncome.objects.get(household=world.home, year=2025).net_income_per_capita == 4500


def test_negative_income_is_refused(client, world, people):
    login(client, people["village_officer"])
    data = {"year": "2024", "wages": "-5"}
    html = client.post(
        reverse("registry:income_edit", args=[world.home.pk]), data, headers=HTMX
    ).content.decode()
    assert "金额不能为负数" in html
    assert not HouseholdIncome.objects.filter(household=world.home, year=2024).exists()


def _guess(client, world, number: str) -> str:
    """The member form with a guessed ID number, made to fail on another rule (a second head): the attack
    reads only whether the number is said to exist, and saves nothing."""
    data = {
        "id_number": number,
        "name": "试探",
        "relation": "head",
        "ethnicity": "汉族",
        "labour_skill": "ordinary",
        "medical_insurance": "resident",
        "health_status": "healthy",  # asked only of an account with the right
        "phone": "",
    }
    return client.post(
        reverse("registry:person_add", args=[world.home.pk]), data, headers=HTMX
    ).content.decode()


def test_the_member_form_is_no_oracle_for_guessing_a_masked_id_number(client, world, people):
    # docs/security.md §1: from the masked number and the age ~33 candidates remain; the form's "已在系统中
    # 登记" would tell the right one. Without the right, a day's failed guesses are limited like searches.
    from dixian.registry.filters import FULL_NUMBER_MISSES_PER_DAY

    login(client, people["village_officer"])
    target = world.neighbour.members.order_by("pk").first().id_number
    for n in range(FULL_NUMBER_MISSES_PER_DAY):
        html = _guess(client, world, fake_id("360424", dt.date(1970, 1, 1) + dt.timedelta(days=n), 7))
        assert "本户已有户主" in html and "已在系统中登记" not in html
    html = _guess(client, world, target)
    assert "已在系统中登记" not in html
    assert "核对身份证号的次数已达上限" in html
    assert not Person.objects.filter(name="试探").exists()


def test_an_editor_with_the_right_is_not_limited_by_the_guessing_guard(client, world, people):
    from dixian.registry.filters import FULL_NUMBER_MISSES_PER_DAY

    login(client, people["county_admin"])
    target = world.neighbour.members.order_by("pk").first().id_number
    for n in range(FULL_NUMBER_MISSES_PER_DAY):
        _guess(client, world, fake_id("360424", dt.date(1970, 1, 1) + dt.timedelta(days=n), 7))
    assert "已在系统中登记" in _guess(client, world, target)
