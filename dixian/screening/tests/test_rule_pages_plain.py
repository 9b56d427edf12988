"""The rules pages in plain Chinese: templates read as the sentence an alert carries, only what applies
today is 现行, and the edit form shows the stored date and percentages so a rule saves unchanged."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from dixian.screening.models import Rule, RuleVersion
from dixian.screening.rule_text import template_readable
from dixian.screening.services import DEFAULT_RULE_NOTE

pytestmark = pytest.mark.django_db

relabel_migration = importlib.import_module("dixian.screening.migrations.0003_default_rule_note_in_chinese")


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_a_template_reads_as_the_sentence_of_an_alert_with_the_rules_values_put_in(world):
    v1 = RuleVersion.objects.select_related("rule").get(rule__rule_id="R01", version=1)
    text = template_readable(v1.template, v1)
    assert "{" not in text and "}" not in text
    assert text.startswith("【筛查时间窗】【成员姓名】医疗个人负担 【金额】 元")
    assert text.endswith("(规则 R01 第1版)")
    escalation = template_readable(v1.escalations[0]["note"], v1)
    assert escalation == "达到家庭年纯收入 【收入金额】 元的 50% 以上"


def test_the_rule_page_shows_no_placeholder_code_or_file_name(client, world, people):
    client.force_login(people["village_officer"])
    text = visible(client.get(reverse("rules:detail", args=["R01"])).content.decode())
    assert "{" not in text and ".md" not in text  # no document file name
    assert "medical" not in text and "medical_out_of_pocket" not in text
    assert "医保局医保结算" in text
    assert DEFAULT_RULE_NOTE in text


def test_the_edit_form_still_lists_the_placeholders_it_accepts_in_chinese(client, world, people):
    client.force_login(people["city_admin"])
    text = visible(client.get(reverse("rules:edit", args=["R01"])).content.decode())
    assert "{kind}(农户类别)" in text and "{income}(收入金额)" in text
    assert "本规则提供" not in text


def _county_version(base: RuleVersion, prefix: str, **fields) -> RuleVersion:
    return RuleVersion.objects.create(
        rule=base.rule,
        version=fields.pop("version", 2),
        region_prefix=prefix,
        risk_code=base.risk_code,
        grade=base.grade,
        template=base.template,
        params=base.params,
        **fields,
    )


def states(client, user, rule_id: str) -> dict[str, str]:
    client.force_login(user)
    html = client.get(reverse("rules:detail", args=[rule_id])).content.decode()
    return dict(
        re.findall(r'<h3 id="v\d+-title">(R\d+ 第\d+版) <span class="badge[^"]*">([^<]+)</span>', html)
    )


def test_only_the_version_that_applies_today_is_current(client, world, people):
    v1 = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    _county_version(v1, world.county.prefix)
    # The county's own version replaces the city default in the county.
    assert states(client, people["county_admin"], "R01") == {
        "R01 第2版": "现行",
        "R01 第1版": "本辖区已改用第2版",
    }
    # The city sees both in force, each named with its region.
    city = states(client, people["city_admin"], "R01")
    assert city == {"R01 第2版": "现行(九江市修水县)", "R01 第1版": "现行(全市(默认))"}


def test_a_replaced_version_is_history_and_a_later_one_is_upcoming(client, world, people):
    v1 = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    _county_version(v1, "", version=2, valid_from=dt.date(2026, 1, 1))
    _county_version(v1, "", version=3, valid_from=dt.date(2027, 1, 1))
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)):
        got = states(client, people["city_admin"], "R01")
    assert got == {"R01 第3版": "待生效(2027-01-01 起)", "R01 第2版": "现行", "R01 第1版": "历史"}


class FormValues(HTMLParser):
    """What a browser would post back from the page's form: every input, select and textarea as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.types: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_post_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_post_form = a.get("method", "").lower() == "post"
        if not self._in_post_form:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            self.types[name] = a.get("type", "text")
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
            else:
                value = a.get("value", "")
                if a.get("type") == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    value = ""  # a browser's date input drops a value that is not an ISO date
                self.data.setdefault(name, []).append(value)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_post_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][0] += data


def test_the_edit_form_renders_an_iso_date_and_plain_percentages(client, world, people, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(people["city_admin"])
    with time_machine.travel(dt.datetime(2026, 12, 6, 4, tzinfo=dt.UTC)):
        html = client.get(reverse("rules:edit", args=["R01"])).content.decode()
    form = FormValues()
    form.feed(html)
    assert form.types["valid_from"] == "date" and form.data["valid_from"] == ["2026-12-06"]
    assert form.data["p_red_income_share"] == ["50"]
    assert not re.search(r"\dE[+-]\d", html)


def test_every_rule_saves_unchanged_from_the_form_as_a_browser_posts_it(client, world, people):
    client.force_login(people["city_admin"])
    for rule in Rule.objects.order_by("rule_id"):
        url = reverse("rules:edit", args=[rule.rule_id])
        form = FormValues()
        form.feed(client.get(url).content.decode())
        data = {k: v if len(v) > 1 or form.types.get(k) == "checkbox" else v[0] for k, v in form.data.items()}
        data["note"] = "原样另存"
        response = client.post(url, data)
        assert response.status_code == 302, (rule.rule_id, response.context["form"].errors)
        old, new = RuleVersion.objects.filter(rule=rule).order_by("version")
        assert new.params == old.params, rule.rule_id
        assert new.valid_from == timezone.localdate()
        assert (new.template, new.grade) == (old.template, old.grade)


def test_the_shipped_rules_note_is_relabelled_and_the_migration_reverses(world, people):
    version = RuleVersion.objects.get(rule__rule_id="R01", version=1)
    old = relabel_migration.OLD_NOTE
    authored = _county_version(version, "360424", note=old, created_by=people["city_admin"])
    RuleVersion.objects.filter(pk=version.pk).update(note=old)
    relabel_migration.relabel(apps, None)
    assert RuleVersion.objects.get(pk=version.pk).note == DEFAULT_RULE_NOTE == relabel_migration.NEW_NOTE
    assert RuleVersion.objects.get(pk=authored.pk).note == old  # a person's note is theirs: left alone
    relabel_migration.restore(apps, None)
    assert RuleVersion.objects.get(pk=version.pk).note == old
