"""Forms of the project bank, progress, hires, payments, the negative list and the year's policy: they check
the input's shape; the services (`projects.py`, `payments.py`) apply the rules of docs/domain.md §22.

`AmountField` reads money as the offices type it ("1,234.50", "1234.5", full-width digits, a trailing 元)
into a Decimal exact to the fen, and refuses a third decimal with a message; the other funds forms may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms

from dixian.common.access import region_range_q
from dixian.common.filters import RegionChainField, choices_with_blank, dropped_notices, resolve_region
from dixian.domain import funds as fd
from dixian.regions.models import Region
from dixian.registry.parsing import text

from . import parsing as fp
from .selectors_projects import PROGRESS_FILTERS

if TYPE_CHECKING:
    from dixian.accounts.models import User

YEAR_MIN, YEAR_MAX = 2000, 2100


class AmountField(forms.CharField):
    """An amount in 元: Decimal, never float; commas, full-width digits and 元 accepted; two decimals at most."""

    def __init__(self, *, allow_zero: bool = False, max_length: int = 30, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)
        self.allow_zero = allow_zero
        # Checked on the text here: CharField's own max_length validator would run on the Decimal.
        self.amount_max_length = max_length

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # a CharField that yields a Decimal
        raw = text(value)
        if not raw:
            return None
        if len(raw) > self.amount_max_length:
            raise forms.ValidationError("金额过长,请填写数字(单位:元)")
        try:
            amount = fp.parse_money(raw)
        except fp.ParseError as exc:
            raise forms.ValidationError(str(exc)) from None
        if amount is not None and amount == 0 and not self.allow_zero:
            raise forms.ValidationError("金额必须大于0")
        return amount


def date_field(label: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": f"{label}格式不对,请按 2026-05-01 填写", "required": f"请填写{label}"},
    )


def year_field(label: str = "年度", *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        error_messages={
            "invalid": "年度应为四位年份,如 2026",
            "min_value": "年度应为四位年份,如 2026",
            "max_value": "年度应为四位年份,如 2026",
            "required": "请填写年度",
        },
    )


# ---- a project ------------------------------------------------------------------------------------------


class ProjectForm(forms.Form):
    name = forms.CharField(label="项目名称", max_length=200)
    code = forms.CharField(label="项目编号", max_length=40, required=False, help_text="留空由系统生成")
    year = year_field("计划年度")
    kind = forms.ChoiceField(label="项目类型", choices=list(fd.PROJECT_TYPES.items()))
    region = forms.ModelChoiceField(label="项目地点", queryset=Region.objects.none(), empty_label="请选择")
    owner_unit = forms.CharField(label="项目实施单位", max_length=100)
    content = forms.CharField(
        label="建设内容及规模", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    planned_start = date_field("计划开工日期")
    planned_completion = date_field("计划完工日期")
    work_relief_plan = forms.CharField(
        label="以工代赈方案", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    benefit_plan = forms.CharField(
        label="利益联结方案", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    income_plan = forms.CharField(
        label="收益分配方案", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = user.region.prefix if user.region is not None else "~"
        region_field = self.fields["region"]
        assert isinstance(region_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        region_field.queryset = Region.objects.filter(
            region_range_q(prefix, "code"), level__in=(Region.Level.VILLAGE, Region.Level.TOWNSHIP)
        ).order_by("code")
        region_field.label_from_instance = lambda r: f"{r.full_name or r.name}({r.code})"  # type: ignore[method-assign,assignment]  # Django's documented way to label choices
        for level, label in fd.FUND_LEVELS.items():
            self.fields[f"budget_{level}"] = AmountField(
                label=f"{label}资金(元)", required=False, allow_zero=True
            )
        if editing:
            del self.fields["code"]
            del self.fields["year"]

    def budget_fields(self) -> list[forms.BoundField]:
        return [self[f"budget_{level}"] for level in fd.FUND_LEVELS]

    def budgets(self) -> dict[str, Decimal | None]:
        return {level: self.cleaned_data.get(f"budget_{level}") for level in fd.FUND_LEVELS}

    def data_fields(self) -> dict[str, Any]:
        keys = (
            "name",
            "kind",
            "owner_unit",
            "content",
            "planned_start",
            "planned_completion",
            "work_relief_plan",
            "benefit_plan",
            "income_plan",
        )
        return {k: self.cleaned_data.get(k) for k in keys}


class MoveForm(forms.Form):
    """A move of the project bank: the move, the project's seq when the page was drawn, the reason."""

    move = forms.ChoiceField(choices=[(m.code, m.label) for m in fd.PROJECT_MOVES.values()])
    seq = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": "页面已过期,请刷新后再办理。", "invalid": "页面已过期,请刷新后再办理。"},
    )
    reason = forms.CharField(
        label="理由", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProgressForm(forms.Form):
    planned_start = date_field("计划开工日期")
    planned_completion = date_field("计划完工日期")
    started_on = date_field("实际开工日期")
    completed_on = date_field("实际完工日期")
    accepted_on = date_field("验收日期")
    # The project's seq when the form was drawn: a stale form must not wipe dates recorded since.
    seq = forms.IntegerField(widget=forms.HiddenInput, required=False)


class HireForm(forms.Form):
    id_number = forms.CharField(label="证件号码", max_length=18, required=False)
    household_no = forms.CharField(label="户编号", max_length=24, required=False)
    name = forms.CharField(label="姓名", max_length=50, required=False)
    hired_on = date_field("用工日期", required=True)
    days = forms.IntegerField(label="务工天数", min_value=0, max_value=366, initial=0)
    wages_paid = AmountField(label="已发劳务报酬(元)", required=False, allow_zero=True)


class PaymentForm(forms.Form):
    paid_on = date_field("支付日期", required=True)
    amount = AmountField(label="支付金额(元)")
    level = forms.ChoiceField(
        label="资金来源", required=False, choices=choices_with_blank(list(fd.FUND_LEVELS.items()), "不区分")
    )
    use_category = forms.ChoiceField(
        label="资金用途", choices=[(u.code, u.label) for u in fd.USE_CATEGORIES.values()]
    )
    payee_category = forms.ChoiceField(label="收款方类别", choices=list(fd.PAYEE_CATEGORIES.items()))
    payee = forms.CharField(label="收款方", max_length=200, required=False)
    voucher_no = forms.CharField(label="凭证号", max_length=60, required=False)


# ---- list filters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFilters:
    region: Region | None
    year: int | None
    kind: str
    state: str
    progress: str
    project: int | None
    notices: tuple[str, ...]

    def params(self) -> dict[str, str]:
        out = {
            "year": str(self.year or ""),
            "kind": self.kind,
            "state": self.state,
            "progress": self.progress,
            "region": str(self.region.pk) if self.region else "",
            "project": str(self.project or ""),
        }
        return {k: v for k, v in out.items() if v}


class ProjectFilterForm(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    region = RegionChainField(required=False, label="区划")
    kind = forms.ChoiceField(
        label="项目类型", required=False, choices=choices_with_blank(list(fd.PROJECT_TYPES.items()))
    )
    state = forms.ChoiceField(
        label="项目库状态", required=False, choices=choices_with_blank(list(fd.PROJECT_STATES.items()))
    )
    progress = forms.ChoiceField(
        label="实施进度", required=False, choices=choices_with_blank(list(PROGRESS_FILTERS.items()))
    )
    project = forms.IntegerField(label="项目", required=False, min_value=1, max_value=2**63 - 1)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user

    def filters(self) -> ProjectFilters:
        notices = dropped_notices(self)
        data = self.cleaned_data
        return ProjectFilters(
            region=resolve_region(self.user, data.get("region") or [], notices),
            year=data.get("year"),
            kind=data.get("kind") or "",
            state=data.get("state") or "",
            progress=data.get("progress") or "",
            project=data.get("project"),
            notices=tuple(dict.fromkeys(notices)),
        )


class LateForm(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    region = RegionChainField(required=False, label="区划")
    as_of = date_field("截至日期")


# ---- the negative list and the year's policy ------------------------------------------------------------


class NegativeListForm(forms.Form):
    valid_from = date_field("生效日期", required=True)
    valid_from.help_text = "最早为明天:今天已登记的支付仍按现行清单判断"
    note = forms.CharField(label="修订说明", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, use in fd.USE_CATEGORIES.items():
            self.fields[f"forbid_{code}"] = forms.BooleanField(
                label=use.label, required=False, initial=code in current
            )
            self.fields[f"rule_{code}"] = forms.CharField(
                label="禁止依据",
                max_length=300,
                required=False,
                initial=current.get(code) or use.forbidden_by,
            )

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"forbid_{code}"], self[f"rule_{code}"]) for code in fd.USE_CATEGORIES]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code, use in fd.USE_CATEGORIES.items():
            if data.get(f"forbid_{code}") and not (data.get(f"rule_{code}") or "").strip():
                self.add_error(f"rule_{code}", f"“{use.label}”列入负面清单须写明禁止依据")
        return data

    def items(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"rule_{code}"]
            for code in fd.USE_CATEGORIES
            if self.cleaned_data.get(f"forbid_{code}")
        }


class PolicyForm(forms.Form):
    year = year_field()
    industry_share_percent = forms.DecimalField(
        label="产业发展资金占比下限(%)",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        error_messages={"invalid": "请填写 0 到 100 之间的百分数,如 55"},
    )
    publicity_days = forms.IntegerField(label="项目公示天数", min_value=1, max_value=60)
