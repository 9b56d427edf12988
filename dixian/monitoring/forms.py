"""Forms of the case pages: the queue's filters, the step actions (each carrying the case's `seq`, so a
second submission of the same form writes nothing: docs/domain.md §20) and the home check."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone

from dixian.common.checklists import risk_checklist_field
from dixian.common.filters import RegionChainField, dropped_notices, resolve_region
from dixian.domain import lifecycle as lc
from dixian.domain.risks import RISK_CHOICES

from .models import CATEGORY_CHOICES
from .selectors import MONITORED, MONTH_FILTERS, OPEN, STEP_GROUPS, CaseFilters

if TYPE_CHECKING:
    from dixian.accounts.models import User

STATE_FILTER: list[tuple[str, Any]] = [
    (OPEN, "在办(未办结)"),
    *((key, label) for key, (label, _) in STEP_GROUPS.items()),
    (MONITORED, "监测对象(公告至风险消除审定)"),
    ("按环节", [(code, step.label) for code, step in lc.STEPS.items()]),
    ("all", "全部"),
]
DEADLINE_FILTER = [("", "全部"), (lc.ORANGE, "临期(3天内到期)"), (lc.RED, "超期")]
# The month filters' labels (selectors.MONTH_FILTERS), as the queue names them above its results.
MONTH_LABELS: dict[str, str] = {"identified": "识别纳入", "decided": "认定办结", "eliminated": "风险消除"}
MONTH_RE = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"  # ASCII digits, a year a record can bear


def _month_field(name: str) -> forms.RegexField:
    return forms.RegexField(label=f"{MONTH_LABELS[name]}月份", regex=MONTH_RE, required=False)


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(label="办理环节", required=False, choices=STATE_FILTER)
    region = RegionChainField(required=False, label="区划")
    deadline = forms.ChoiceField(label="认定期限", required=False, choices=DEADLINE_FILTER)
    mine = forms.BooleanField(label="只看待我办理", required=False)
    # Set by a figure's link (reports: docs/domain.md §21), kept as hidden fields by the queue's form.
    identified = _month_field("identified")
    decided = _month_field("decided")
    eliminated = _month_field("eliminated")

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user

    def months(self) -> tuple[tuple[str, dt.date, dt.date], ...]:
        """The valid month filters as (name, first day, last day)."""
        out = []
        for name in MONTH_FILTERS:
            value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            if value:
                year, month = (int(part) for part in value.split("-"))
                first = dt.date(year, month, 1)
                out.append((name, first, lc.months_after(first, 1) - dt.timedelta(days=1)))
        return tuple(out)

    def month_filters(self) -> list[tuple[str, str, str]]:
        """(field name, "2026-10", "识别纳入:2026年10月") of the month filters in force, for the page."""
        return [
            (name, f"{first:%Y-%m}", f"{MONTH_LABELS[name]}:{first.year}年{first.month}月")
            for name, first, _ in self.months()
        ]

    def filters(self) -> CaseFilters:
        """The usable filters: an invalid value is dropped with a notice, never an error page."""
        notices = dropped_notices(self)
        data = self.cleaned_data
        return CaseFilters(
            state=data.get("state") or OPEN,
            region=resolve_region(self.user, data.get("region") or [], notices),
            deadline=data.get("deadline") or "",
            mine=bool(data.get("mine")),
            notices=tuple(dict.fromkeys(notices)),
            months=self.months(),
        )


class StepForm(forms.Form):
    """What every step action carries: the case's transition count when the page was drawn."""

    seq = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": "页面已过期,请刷新后再办理。", "invalid": "页面已过期,请刷新后再办理。"},
    )


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": f"请填写{label}。",
            "invalid": f"{label}格式不对,请按 2026-12-06 的格式填写。",
        },
    )


class AdvanceForm(StepForm):
    on = _date_field("办理日期")
    reason = forms.CharField(
        label="意见",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "意见最多 1000 字。"},
    )
    method = forms.ChoiceField(
        label="消除方式",
        required=False,
        choices=[("", "请选择"), *lc.ELIMINATION_METHODS.items()],
        error_messages={"invalid_choice": "消除方式无效,请从选项中选择。"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


def _reason_field(label: str, placeholder: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": placeholder}),
        error_messages={"required": f"请填写{label}。", "max_length": f"{label}最多 1000 字。"},
    )


class SendBackForm(StepForm):
    to_state = forms.ChoiceField(
        label="退回到", choices=(), error_messages={"invalid_choice": "只能退回到本程序中此前的环节。"}
    )
    reason = _reason_field("退回理由", "例如:授权书签字不清,请重新签字")

    def __init__(self, *args: Any, state: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = forms.ChoiceField(
            label="退回到",
            choices=[(code, lc.STEPS[code].label) for code in lc.earlier_states(state)],
            error_messages={
                "invalid_choice": "只能退回到本程序中此前的环节。",
                "required": "请选择退回到哪一环节。",
            },
        )
        self.fields["to_state"] = choice


class RefuseForm(StepForm):
    reason = _reason_field("不予纳入理由", "例如:经核实家庭有商品房两套,收入较高")


class RejectEliminationForm(StepForm):
    reason = _reason_field("不同意消除的理由", "例如:医疗费用尚未报销,收入仍低于监测范围")


class RevealForm(forms.Form):
    """The explicit request to see a household's number (docs/security.md §5): nothing but the click."""


# --- the home check ------------------------------------------------------------------------------------

YES_NO = [("yes", "是"), ("no", "否")]
GUARANTEES = (
    ("education_ok", "义务教育有保障"),
    ("medical_ok", "基本医疗有保障"),
    ("housing_ok", "住房安全有保障"),
    ("water_ok", "饮水安全有保障"),
)


class HomeCheckForm(StepForm):
    """入户核实 on a phone: the facts already known are filled in (the household's registry record and the
    evidence of its alerts), the verifier confirms or corrects them, picks the category and up to five risk
    types, and photographs the signed authorisation."""

    on = _date_field("入户日期")
    members = forms.IntegerField(
        label="家庭人口(人)",
        min_value=1,
        max_value=30,
        error_messages={
            "required": "请填写家庭人口。",
            "min_value": "家庭人口至少 1 人。",
            "max_value": "家庭人口不超过 30 人。",
        },
    )
    labour = forms.IntegerField(
        label="有劳动能力的人数",
        min_value=0,
        max_value=30,
        error_messages={"required": "请填写有劳动能力的人数。", "min_value": "人数不能为负。"},
    )
    income_per_capita = forms.DecimalField(
        label="上年人均纯收入(元)",
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        error_messages={"invalid": "人均纯收入请填写数字。", "min_value": "人均纯收入不能为负。"},
    )
    category = forms.ChoiceField(
        label="监测对象类别",
        choices=[("", "请选择"), *CATEGORY_CHOICES],
        error_messages={"required": "请选择监测对象类别。"},
    )
    risk_codes = risk_checklist_field(
        label=f"风险类型(最多 {lc.MAX_RISKS} 项)",
        choices=RISK_CHOICES,
        multiple=True,
        required=True,
        error_messages={"required": "请至少选择一项风险类型。", "invalid_choice": "风险类型无效。"},
    )
    authorisation = forms.FileField(
        label="农户签字的承诺授权书(拍照或 PDF)",
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf", "capture": "environment"}
        ),
    )
    photo = forms.FileField(
        label="入户照片(可选)",
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
        ),
    )
    note = forms.CharField(
        label="核实情况",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "核实情况最多 1000 字。"},
    )

    def __init__(self, *args: Any, evidence: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in GUARANTEES:
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": f"请确认{label}。"},
            )
        # One box per piece of evidence of the case's alerts: confirmed at the home or not.
        self.evidence = evidence
        for pk, reason in evidence:
            self.fields[f"evidence_{pk}"] = forms.BooleanField(label=reason, required=False)
        self.fields["on"].initial = timezone.localdate()

    def clean_risk_codes(self) -> list[str]:
        codes = list(self.cleaned_data.get("risk_codes") or [])
        if len(codes) > lc.MAX_RISKS:
            raise forms.ValidationError(
                f"风险类型最多选择 {lc.MAX_RISKS} 项,请保留主要的 {lc.MAX_RISKS} 项。"
            )
        return codes

    def clean_on(self) -> dt.date:
        on: dt.date = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("入户日期不能晚于今天。")
        return on

    def evidence_fields(self) -> list[forms.BoundField]:
        return [self[f"evidence_{pk}"] for pk, _ in self.evidence]

    def guarantee_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in GUARANTEES]

    def checklist(self) -> dict[str, Any]:
        """What the step records as its checklist (CaseTransition.data["checklist"]), as plain JSON."""
        d = self.cleaned_data
        income = d.get("income_per_capita")
        return {
            "members": d["members"],
            "labour": d["labour"],
            "income_per_capita": str(income) if income is not None else "",
            **{name: d[name] == "yes" for name, _ in GUARANTEES},
            "evidence": {str(pk): bool(d.get(f"evidence_{pk}")) for pk, _ in self.evidence},
            "note": d.get("note", ""),
        }
