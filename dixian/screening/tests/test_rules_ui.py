"""The rules pages: list and history per region, edits that make a new version, and who may edit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dixian.common.models import ChangeLog
from dixian.screening.models import Rule, RuleVersion

pytestmark = pytest.mark.django_db


def r01_post(**overrides: object) -> dict[str, object]:
    base = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    data: dict[str, object] = {
        "region_prefix": "",
        "grade": base.grade,
        "template": base.template,
        "valid_from": timezone.localdate().isoformat(),
        "note": "县政府文件调整阈值",
        "p_window_months": "12",
        "p_threshold_ex_poor": "5000",
        "p_threshold_ordinary": "20000",
        "p_red_income_share": "50",
        "p_visit_types": ["住院", "门诊慢特病", "普通门诊"],
    }
    data.update(overrides)
    return data


def test_the_rule_list_shows_every_rule_with_thresholds_in_chinese_with_units(client, world, people):
    client.force_login(people["village_officer"])
    html = client.get(reverse("rules:list")).content.decode()
    assert html.count('class="card" id="rule-R') == Rule.objects.count() == 17
    assert "一般农户阈值 20,000 元" in html
    assert "脱贫户、监测户阈值 5,000 元" in html
    assert "升为红色:占家庭年纯收入的比例 50%" in html
    assert "计入的就诊类别:住院、门诊慢特病、普通门诊" in html
    assert "2026年 8,500 元/人·年" in html  # R12's income line
    assert f'href="{reverse("rules:edit", args=["R01"])}"' not in html


def test_a_county_admin_saves_a_new_version_for_its_county_and_the_old_one_is_unchanged(
    client, world, people
):
    admin = people["county_admin"]
    client.force_login(admin)
    old = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    old_state = (old.params, old.template, old.grade, old.region_prefix)
    response = client.post(
        reverse("rules:edit", args=["R01"]),
        r01_post(region_prefix=world.county.prefix, p_threshold_ordinary="18000", p_red_income_share="40"),
    )
    assert response.status_code == 302
    new = RuleVersion.objects.get(rule__rule_id="R01", version=2)
    assert new.region_prefix == "360424"
    assert new.params["threshold_ordinary"] == 18000
    assert new.params["red_income_share"] == pytest.approx(0.4)
    assert new.params["visit_types"] == ["住院", "门诊慢特病", "普通门诊"]
    assert new.created_by == admin and new.note == "县政府文件调整阈值"
    assert new.escalations == old.escalations and new.risk_code == old.risk_code
    old.refresh_from_db()
    assert (old.params, old.template, old.grade, old.region_prefix) == old_state
    log = ChangeLog.objects.get(entity="rule_version", entity_id=new.pk)
    assert log.actor == admin and log.changes["threshold_ordinary"] == [20000, 18000]
    # The county's version replaces the default in the county only; the engine sees it.
    engine = new.to_engine()
    assert engine.version == 2 and engine.region == "360424"
    detail = client.get(response["Location"].split("#")[0]).content.decode()
    assert 'id="v2"' in detail and "修水县" in detail and "一般农户阈值 18,000 元" in detail


def test_a_county_admin_cannot_set_a_version_for_the_whole_city_or_another_county(client, world, people):
    client.force_login(people["county_admin"])
    for prefix in ("", world.other_county.prefix):
        response = client.post(reverse("rules:edit", args=["R01"]), r01_post(region_prefix=prefix))
        assert response.status_code == 200
        assert "只能为本级及下级区域设置规则" in response.content.decode()
    assert not RuleVersion.objects.filter(rule__rule_id="R01", version=2).exists()


def test_the_city_admin_may_edit_for_the_whole_city_or_any_county(client, world, people):
    client.force_login(people["city_admin"])
    page = client.get(reverse("rules:edit", args=["R01"])).content.decode()
    assert "九江市全市(默认)" in page and "都昌县" in page and "修水县" in page
    assert client.post(reverse("rules:edit", args=["R01"]), r01_post()).status_code == 302
    assert (
        client.post(
            reverse("rules:edit", args=["R01"]), r01_post(region_prefix=world.other_county.prefix)
        ).status_code
        == 302
    )
    assert list(
        RuleVersion.objects.filter(rule__rule_id="R01")
        .order_by("version")
        .values_list("version", "region_prefix")
    ) == [(1, ""), (2, ""), (3, "360428")]


@pytest.mark.parametrize(
    "persona",
    ["county_reviewer", "township_reviewer", "village_officer", "helper", "leader", "department_uploader"],
)
def test_only_city_and_county_admins_may_edit_rules(client, world, people, persona):
    client.force_login(people[persona])
    assert client.get(reverse("rules:edit", args=["R01"])).status_code == 403
    assert client.post(reverse("rules:edit", args=["R01"]), r01_post()).status_code == 403
    assert RuleVersion.objects.filter(rule__rule_id="R01").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"p_threshold_ordinary": "-1"}, "p_threshold_ordinary", "不能为负数"),
        ({"p_threshold_ordinary": "两万"}, "p_threshold_ordinary", "应为数字"),
        ({"p_window_months": "0"}, "p_window_months", "不能为负数或小于 1"),
        ({"p_visit_types": []}, "p_visit_types", "至少选一项"),
        ({"p_visit_types": ["急诊"]}, "p_visit_types", "只能从数据目录的取值中选择"),
        ({"template": "{window}{name}自付 {amout} 元"}, "template", "{amout} 无法识别"),
        ({"template": "自付 {amount 元"}, "template", "花括号不成对"),
        ({"template": "自付 {amount:,} 元"}, "template", "不支持格式说明"),
        ({"note": ""}, "note", "请写明为什么修改"),
        ({"grade": "紫"}, "grade", ""),
    ],
)
def test_a_bad_edit_is_refused_with_a_chinese_message_and_makes_no_version(
    client, world, people, overrides, field, message
):
    client.force_login(people["city_admin"])
    response = client.post(reverse("rules:edit", args=["R01"]), r01_post(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert RuleVersion.objects.filter(rule__rule_id="R01").count() == 1


def test_the_template_can_use_the_rules_own_placeholders_and_parameters(client, world, people):
    client.force_login(people["city_admin"])
    template = "{window}{name}({kind})个人负担 {amount} 元,超过 {threshold_ordinary} 元{note}(规则 {rule_id} 第{version}版)"
    assert client.post(reverse("rules:edit", args=["R01"]), r01_post(template=template)).status_code == 302
    assert RuleVersion.objects.get(rule__rule_id="R01", version=2).template == template


def test_the_edit_form_derives_typed_fields_from_each_rules_parameters(client, world, people):
    client.force_login(people["city_admin"])
    cases = {
        "R04": ["p_grades", "p_window_months"],
        "R05": ["p_assistance_types", "p_only_unmonitored"],
        "R09": ["p_loss_threshold", "p_risk_codes__0", "p_red_income_share"],
        "R12": ["p_income_line__2026", "p_income_line__2027", "p_only_unmonitored"],
        "R11": ["p_event_types", "p_reemployed_type"],
    }
    for rule_id, fields in cases.items():
        form = client.get(reverse("rules:edit", args=[rule_id])).context["form"]
        for name in fields:
            assert name in form.fields, (rule_id, name)
    form = client.get(reverse("rules:edit", args=["R04"])).context["form"]
    assert [c for c, _ in form.fields["p_grades"].choices] == ["一级", "二级", "三级", "四级"]
    form = client.get(reverse("rules:edit", args=["R12"])).context["form"]
    assert form.fields["p_income_line__2027"].required is False


@time_machine.travel(dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC), tick=False)  # 2027 is still ahead
def test_a_new_years_income_line_is_added_by_a_new_version(client, world, people):
    client.force_login(people["city_admin"])
    base = RuleVersion.objects.get(rule__rule_id="R12", version=1)
    data = {
        "region_prefix": "",
        "grade": base.grade,
        "template": base.template,
        "valid_from": "2027-01-01",
        "note": "录入2027年监测线",
        "p_only_unmonitored": "on",
        **{f"p_income_line__{y}": str(a) for y, a in base.params["income_line"].items()},
        "p_income_line__2027": "8800",
    }
    assert client.post(reverse("rules:edit", args=["R12"]), data).status_code == 302
    new = RuleVersion.objects.get(rule__rule_id="R12", version=2)
    assert new.params["income_line"]["2027"] == 8800
    assert new.valid_from == dt.date(2027, 1, 1)
    # Not yet in force: the list shows it as upcoming.
    html = client.get(reverse("rules:list")).content.decode()
    assert "第2版 将于 2027-01-01 生效" in html


def test_a_village_officer_sees_its_countys_version_but_not_another_countys(client, world, people):
    base = RuleVersion.objects.get(rule__rule_id="R07", version=1)
    for version, prefix, threshold in ((2, "360424", 8000), (3, "360428", 12000)):
        RuleVersion.objects.create(
            rule=base.rule,
            version=version,
            region_prefix=prefix,
            risk_code=base.risk_code,
            grade=base.grade,
            template=base.template,
            params={**base.params, "threshold": threshold},
        )
    client.force_login(people["village_officer"])
    html = client.get(reverse("rules:detail", args=["R07"])).content.decode()
    assert 'id="v2"' in html and 'id="v1"' in html and 'id="v3"' not in html
    assert "阈值 8,000 元" in html and "12,000" not in html


def test_an_unknown_rule_answers_404(client, world, people):
    client.force_login(people["city_admin"])
    assert client.get(reverse("rules:detail", args=["R99"])).status_code == 404
    assert client.get(reverse("rules:edit", args=["R99"])).status_code == 404


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    share=st.decimals(min_value=-50, max_value=2000, places=2, allow_nan=False, allow_infinity=False),
)
def test_a_threshold_is_kept_exactly_when_valid_and_refused_when_negative_or_absurd(
    world, people, amount, share
):
    from dixian.screening.forms_rules import RuleVersionForm

    rule = Rule.objects.get(rule_id="R01")
    base = RuleVersion.objects.get(rule=rule, version=1)
    form = RuleVersionForm(
        r01_post(p_threshold_ordinary=str(amount), p_red_income_share=str(share)),
        rule=rule,
        base=base,
        user=people["city_admin"],
    )
    amount_ok = 0 <= amount <= 100_000_000
    share_ok = 0 <= share <= 1000
    assert form.is_valid() == (amount_ok and share_ok), form.errors
    if amount_ok and share_ok:
        params = form.cleaned_data["params"]
        assert Decimal(str(params["threshold_ordinary"])) == amount
        assert Decimal(str(params["red_income_share"])) * 100 == pytest.approx(share)
    else:
        wrong = {"p_threshold_ordinary"} if not amount_ok else set()
        wrong |= {"p_red_income_share"} if not share_ok else set()
        assert wrong <= set(form.errors)


def _initial_post(form) -> dict[str, object]:
    data: dict[str, object] = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = value
        elif value is not None:
            data[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return data


def test_every_shipped_rule_can_be_saved_unchanged_as_a_new_version_with_the_same_parameters(
    client, world, people
):
    client.force_login(people["city_admin"])
    for rule in Rule.objects.order_by("rule_id"):
        url = reverse("rules:edit", args=[rule.rule_id])
        response = client.get(url)
        assert response.status_code == 200, rule.rule_id
        data = _initial_post(response.context["form"])
        data["note"] = "原样另存"
        data.pop("p_income_line__2027", None)  # the optional new year, left empty
        response = client.post(url, data)
        assert response.status_code == 302, (rule.rule_id, response.context["form"].errors)
        old, new = RuleVersion.objects.filter(rule=rule).order_by("version")
        assert new.version == 2
        assert new.params == old.params, rule.rule_id
        assert (new.template, new.grade, new.risk_code, new.escalations) == (
            old.template,
            old.grade,
            old.risk_code,
            old.escalations,
        )
