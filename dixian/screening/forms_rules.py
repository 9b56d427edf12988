"""The rule edit form: one typed field per parameter of the current version, checked before a new version.

The fields are derived from the version being revised: a number becomes a number field (never negative),
a share (`*_share`) a percentage, a list of feed values a set of checkboxes whose choices are the feed
catalogue's allowed values, a yes/no a checkbox, the yearly income line one field per year, a mapping of
feed values to risk types one select per value. The explanation template must compile with the rule's
placeholders (`engine.core.compile_template`), so a typo such as {amout} is refused with the list of the
placeholders that exist.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone

from dixian.domain import catalogue
from dixian.domain.risks import GRADE_CHOICES, RISK_CHOICES, RISK_TYPES

from .engine import compile_template
from .engine.dialect import DuckDBDialect
from .engine.rules import Escalation
from .engine.rules import RuleVersion as EngineRuleVersion
from .models import Rule, RuleVersion

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region

# Parameter name → (Chinese label, unit). Unknown parameters show their code name.
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "window_months": ("筛查时间窗", "个月"),
    "threshold_ex_poor": ("脱贫户、监测户阈值", "元"),
    "threshold_ordinary": ("一般农户阈值", "元"),
    "red_income_share": ("升为红色:占家庭年纯收入的比例", "%"),
    "visit_types": ("计入的就诊类别", ""),
    "visit_type": ("就诊类别", ""),
    "threshold": ("阈值", "元"),
    "grades": ("计入的等级", ""),
    "assistance_types": ("计入的救助类型", ""),
    "only_unmonitored": ("仅限尚非监测对象的农户", ""),
    "min_age": ("最小年龄", "岁"),
    "max_age": ("最大年龄", "岁"),
    "loss_threshold": ("直接经济损失阈值", "元"),
    "risk_codes": ("对应的风险类型", ""),
    "event_types": ("计入的事件类型", ""),
    "reemployed_type": ("视为重新就业的登记类型", ""),
    "income_line": ("收入监测线", "元/人·年"),
    "drop_share": ("人均纯收入下降比例阈值", "%"),
    "loan_types": ("计入的贷款类型", ""),
    "min_days": ("最少持续天数", "天"),
}
PERCENT_MAX = Decimal("1000")
REGION_REFUSED = "只能为本级及下级区域设置规则。"
MONEY_MAX = Decimal("100000000")


def plain_decimal(value: Any) -> Decimal:
    """A number as people write it: 50 and 12.5, never 5E+1 (what Decimal.normalize gives for 50.0)."""
    return Decimal(format(Decimal(str(value)).normalize(), "f"))


def param_label(key: str) -> tuple[str, str]:
    return PARAM_LABELS.get(key, (key, ""))


def _number_text(value: Any) -> str:
    dec = Decimal(str(value))
    return f"{dec:,.2f}".rstrip("0").rstrip(".") if dec % 1 else f"{int(dec):,}"


def param_text(key: str, value: Any) -> str:
    """A parameter in Chinese with its unit: 一般农户阈值 20,000 元; 升为红色… 50%; 计入的等级 一级、二级."""
    label, unit = param_label(key)
    if isinstance(value, bool):
        return f"{label}:{'是' if value else '否'}"
    if key.endswith("_share") and isinstance(value, int | float | Decimal):
        return f"{label} {plain_decimal(Decimal(str(value)) * 100)}%"
    if isinstance(value, int | float | Decimal):
        return f"{label} {_number_text(value)} {unit}".rstrip()
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], dict):
            parts = [
                f"{e.get('year')}年{('(' + str(e['region']) + ')') if e.get('region') else ''} "
                f"{_number_text(e.get('amount', 0))}"
                for e in value
            ]
            return f"{label}:{';'.join(parts)} {unit}".rstrip()
        return f"{label}:{'、'.join(str(v) for v in value)}"
    if isinstance(value, dict):
        if key == "income_line":
            items = sorted(value.items(), key=lambda kv: str(kv[0]))
            return f"{label}:" + ";".join(f"{y}年 {_number_text(a)} {unit}" for y, a in items)
        if key == "risk_codes":
            return f"{label}:" + ";".join(
                f"{k} → {v} {RISK_TYPES[v].name if v in RISK_TYPES else ''}".rstrip()
                for k, v in value.items()
            )
        return f"{label}:" + ";".join(f"{k} {v}" for k, v in value.items())
    return f"{label}:{value}"


def _catalogue_choices(rule: Rule, values: list[str]) -> tuple[str, ...] | None:
    """The allowed values of the feed column that these values come from (None: no such column)."""
    wanted = set(values)
    for code in rule.feeds:
        try:
            spec = catalogue.feed(code)
        except KeyError:
            continue
        for col in spec.columns:
            if col.choices and wanted <= set(col.choices):
                return col.choices
    return None


def rule_regions_for_user(user: User) -> list[tuple[str, str]]:
    """The regions an account may set a rule version for: (region_prefix, label).

    An account with RULES_EDIT_COUNTIES placed at the city (the city admin): the whole platform ("" — the
    key of the shipped defaults) or any county; one with RULES_EDIT alone (a county admin): its own region,
    the city's defaults or its county. Nobody else edits rules (dixian.accounts.capabilities).
    """
    from dixian.accounts.capabilities import Capability, user_can
    from dixian.regions.models import Region

    region: Region | None = user.region if user.is_authenticated and user.region_id else None
    if region is None or not user_can(user, Capability.RULES_EDIT):
        return []
    if user_can(user, Capability.RULES_EDIT_COUNTIES) and region.level == Region.Level.CITY:
        counties = Region.objects.filter(parent=region, level=Region.Level.COUNTY).order_by("code")
        return [("", f"{region.name}全市(默认)"), *((c.prefix, c.full_name or c.name) for c in counties)]
    if region.level in (Region.Level.CITY, Region.Level.COUNTY):
        if region.level == Region.Level.CITY:
            return [("", f"{region.name}全市(默认)")]
        return [(region.prefix, region.full_name or region.name)]
    return []


def may_edit_rules(user: User) -> bool:
    return bool(rule_regions_for_user(user))


class RuleVersionForm(forms.Form):
    """A new version of `rule`, prefilled from `base` (the version that currently applies to the region)."""

    # Not `required`: "" (the whole city) is a real choice; clean_region_prefix checks the account's right.
    region_prefix = forms.ChoiceField(
        label="适用区域", required=False, error_messages={"invalid_choice": REGION_REFUSED}
    )
    grade = forms.ChoiceField(label="预警等级", choices=GRADE_CHOICES)
    template = forms.CharField(
        label="说明模板",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写说明模板。", "max_length": "说明模板最多 500 字。"},
    )
    valid_from = forms.DateField(
        label="生效日期",
        # <input type="date"> takes only an ISO date: the locale's 2026/12/06 would leave it blank.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "请填写生效日期。", "invalid": "生效日期格式应为 2026-01-01。"},
    )
    note = forms.CharField(
        label="修改说明",
        max_length=200,
        error_messages={"required": "请写明为什么修改(例如:县政府2026年第3号文调整阈值)。"},
    )

    def __init__(self, data: Any = None, *, rule: Rule, base: RuleVersion, user: User) -> None:
        initial: dict[str, Any] = {
            "region_prefix": base.region_prefix,
            "grade": base.grade,
            "template": base.template,
            "valid_from": timezone.localdate(),
        }
        self.rule, self.base, self.user = rule, base, user
        self.param_fields: list[tuple[str, list[str]]] = []  # (param key, its form field names)
        super().__init__(data, initial=initial)
        regions = rule_regions_for_user(user)
        cast(forms.ChoiceField, self.fields["region_prefix"]).choices = regions
        if base.region_prefix not in {p for p, _ in regions} and regions:
            self.initial["region_prefix"] = regions[0][0]
        for key, value in base.params.items():
            self._add_param(key, value)

    def clean_region_prefix(self) -> str:
        value = self.cleaned_data.get("region_prefix") or ""
        if value not in {p for p, _ in self.fields["region_prefix"].choices}:  # type: ignore[attr-defined]  # a ChoiceField, its choices the (prefix, name) list set in __init__
            raise forms.ValidationError(REGION_REFUSED)
        return value

    # --- fields from parameters ------------------------------------------------------------------------

    def _add_param(self, key: str, value: Any) -> None:
        label, unit = param_label(key)
        name = f"p_{key}"
        names = [name]
        if isinstance(value, bool):
            self.fields[name] = forms.BooleanField(label=label, required=False, initial=value)
        elif isinstance(value, int | float | Decimal) and key.endswith("_share"):
            self.fields[name] = forms.DecimalField(
                label=f"{label}(%)",
                min_value=0,
                max_value=PERCENT_MAX,
                decimal_places=2,
                initial=plain_decimal(Decimal(str(value)) * 100),
                error_messages=_number_errors(label),
            )
        elif isinstance(value, int) and (
            key in ("window_months", "min_age", "max_age", "min_days") or unit in ("个月", "岁", "天")
        ):
            self.fields[name] = forms.IntegerField(
                label=f"{label}({unit})" if unit else label,
                min_value=1 if key == "window_months" else 0,
                max_value=120 if key == "window_months" else 10000,
                initial=value,
                error_messages=_number_errors(label),
            )
        elif isinstance(value, int | float | Decimal):
            self.fields[name] = forms.DecimalField(
                label=f"{label}({unit})" if unit else label,
                min_value=0,
                max_value=MONEY_MAX,
                decimal_places=2,
                initial=plain_decimal(value),
                error_messages=_number_errors(label),
            )
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            choices = _catalogue_choices(self.rule, value)
            if choices:
                self.fields[name] = forms.MultipleChoiceField(
                    label=label,
                    choices=[(c, c) for c in choices],
                    initial=list(value),
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={
                        "required": f"「{label}」至少选一项。",
                        "invalid_choice": f"「{label}」只能从数据目录的取值中选择。",
                    },
                )
            else:
                self.fields[name] = forms.CharField(
                    label=f"{label}(多个用顿号“、”分隔)",
                    initial="、".join(value),
                    max_length=500,
                    error_messages={"required": f"「{label}」不能为空。"},
                )
        elif isinstance(value, str):
            choices = _catalogue_choices(self.rule, [value])
            if choices:
                self.fields[name] = forms.ChoiceField(
                    label=label, choices=[(c, c) for c in choices], initial=value
                )
            else:
                self.fields[name] = forms.CharField(label=label, initial=value, max_length=200)
        elif isinstance(value, dict) and key == "income_line" and _year_keys(value):
            names = []
            years = sorted(int(y) for y in value)
            amounts = {int(y): a for y, a in value.items()}
            for year in [*years, years[-1] + 1]:
                fname = f"{name}__{year}"
                self.fields[fname] = forms.DecimalField(
                    label=f"{year}年{label}({unit})",
                    min_value=0,
                    max_value=MONEY_MAX,
                    decimal_places=2,
                    required=year in amounts,
                    initial=plain_decimal(amounts[year]) if year in amounts else None,
                    help_text="" if year in amounts else "可选:新增下一年度的监测线",
                    error_messages=_number_errors(f"{year}年{label}"),
                )
                names.append(fname)
        elif isinstance(value, dict) and key == "risk_codes":
            names = []
            for i, (feed_value, code) in enumerate(value.items()):
                fname = f"{name}__{i}"
                self.fields[fname] = forms.ChoiceField(
                    label=f"“{feed_value}”对应的风险类型", choices=RISK_CHOICES, initial=code
                )
                names.append(fname)
        else:
            self.fields[name] = forms.CharField(
                label=f"{label}(JSON)",
                initial=json.dumps(value, ensure_ascii=False),
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.param_fields.append((key, names))

    def _param_value(self, key: str, names: list[str], data: dict[str, Any]) -> Any:
        old = self.base.params[key]
        if isinstance(old, bool):
            return bool(data.get(names[0]))
        if isinstance(old, int | float | Decimal) and key.endswith("_share"):
            return float(Decimal(data[names[0]]) / 100)
        if isinstance(old, int | float | Decimal):
            number = data[names[0]]
            if isinstance(number, int):
                return number
            return int(number) if number == number.to_integral_value() else float(number)
        if isinstance(old, list) and all(isinstance(v, str) for v in old):
            raw = data[names[0]]
            if isinstance(raw, str):
                return [
                    part.strip()
                    for part in raw.replace(",", "、").replace(",", "、").split("、")
                    if part.strip()
                ]
            return list(raw)
        if isinstance(old, str):
            return data[names[0]]
        if isinstance(old, dict) and key == "income_line" and _year_keys(old):
            out: dict[str, Any] = {}
            for fname in names:
                amount = data.get(fname)
                if amount is not None:
                    out[fname.rsplit("__", 1)[1]] = (
                        int(amount) if amount == amount.to_integral_value() else float(amount)
                    )
            return out
        if isinstance(old, dict) and key == "risk_codes":
            return {feed_value: data[fname] for feed_value, fname in zip(old, names, strict=True)}
        return json.loads(data[names[0]])

    # --- validation -----------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean() returns; its stub says dict | None
        params: dict[str, Any] = {}
        for key, names in self.param_fields:
            if any(n in self.errors for n in names):
                continue
            try:
                params[key] = self._param_value(key, names, data)
            except (ValueError, TypeError, KeyError, RecursionError):  # deep JSON: docs/security.md §4
                self.add_error(names[0], f"「{param_label(key)[0]}」的格式不对,请按原有格式填写。")
        if self.errors:
            return data
        if "min_age" in params and "max_age" in params and params["min_age"] > params["max_age"]:
            self.add_error("p_max_age", "最大年龄不能小于最小年龄。")
        for key, value in params.items():
            if isinstance(value, list) and not value:
                self.add_error(f"p_{key}", f"「{param_label(key)[0]}」至少要有一项。")
        valid_from: dt.date | None = data.get("valid_from")
        if valid_from is not None and self.base.valid_from and valid_from < self.base.valid_from:
            self.add_error(
                "valid_from", f"生效日期不能早于当前版本的生效日期 {self.base.valid_from:%Y-%m-%d}。"
            )
        if self.errors:
            return data
        try:
            engine_rule = EngineRuleVersion(
                rule_id=self.rule.rule_id,
                version=self.base.version + 1,
                name=self.rule.name,
                logic=self.rule.logic,
                feeds=tuple(self.rule.feeds),
                risk_code=self.base.risk_code,
                grade=data["grade"],
                template=data["template"],
                params=params,
                escalations=tuple(Escalation(**e) for e in self.base.escalations),
                region=data["region_prefix"],
            )
            dialect = DuckDBDialect()
            compile_template(data["template"], engine_rule, dialect, window="")
            for esc in engine_rule.escalations:
                compile_template(esc.note, engine_rule, dialect, window="")
        except (ValueError, KeyError, IndexError) as exc:
            message = str(exc).removeprefix(f"{self.rule.rule_id}: ")
            if not any("\u4e00" <= ch <= "\u9fff" for ch in message):
                # Python's own parser message (an unpaired brace): say it in Chinese.
                message = "花括号不成对。占位符应写作 {amount} 这样的形式,文字中的花括号请删除。"
            self.add_error("template", f"说明模板无法使用:{message}")
            return data
        data["params"] = params
        return data

    def grouped_param_fields(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(param_label(key)[0], [self[n] for n in names]) for key, names in self.param_fields]


def _year_keys(value: dict[Any, Any]) -> bool:
    return bool(value) and all(str(k).isdigit() and len(str(k)) == 4 for k in value)


def _number_errors(label: str) -> dict[str, str]:
    return {
        "required": f"请填写「{label}」。",
        "invalid": f"「{label}」应为数字。",
        "min_value": f"「{label}」不能为负数或小于 %(limit_value)s。",
        "max_value": f"「{label}」不能超过 %(limit_value)s。",
        "max_decimal_places": f"「{label}」最多两位小数。",
    }
