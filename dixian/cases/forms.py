"""Forms of the alert queue, the alert page's actions and the 应纳未纳 list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms

from dixian.common.filters import RegionChainField, choices_with_blank, dropped_notices, resolve_region
from dixian.domain.records import PROBLEMS
from dixian.domain.risks import GRADE_CHOICES, RISK_CHOICES
from dixian.feeds.models import FEED_CHOICES

from .models import Alert, Channel, UnmatchedRecord
from .selectors import AlertFilters

if TYPE_CHECKING:
    from dixian.accounts.models import User

# A month as the figures link it and a month input sends it: "2026-10".
MONTH_RE = r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$"
STATUS_FILTER = [("active", "待办(待核实、核实中和拟纳入)"), *Alert.Status.choices, ("all", "全部")]


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", required=False, choices=STATUS_FILTER)
    grade = forms.ChoiceField(label="预警等级", required=False, choices=choices_with_blank(GRADE_CHOICES))
    risk = forms.ChoiceField(label="风险类型", required=False, choices=choices_with_blank(RISK_CHOICES))
    channel = forms.ChoiceField(label="发现渠道", required=False, choices=choices_with_blank(Channel.choices))
    region = RegionChainField(required=False, label="区划")
    overdue = forms.BooleanField(label="只看已超期", required=False)
    raised = forms.RegexField(
        label="预警月份",
        required=False,
        regex=MONTH_RE,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
    )
    closed = forms.RegexField(
        label="办结月份",
        required=False,
        regex=MONTH_RE,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
    )

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user

    def filters(self) -> AlertFilters:
        """The usable filters: an invalid value is dropped with a notice, never an error page."""
        notices = dropped_notices(
            self,
            per_error={
                "raised": "「预警月份」应写成“年-月”(例如 2026-10),已忽略。",
                "closed": "「办结月份」应写成“年-月”(例如 2026-10),已忽略。",
            },
        )
        data = self.cleaned_data
        region = resolve_region(self.user, data.get("region") or [], notices)
        return AlertFilters(
            status=data.get("status") or "active",
            grade=data.get("grade") or "",
            risk=data.get("risk") or "",
            channel=data.get("channel") or "",
            region=region,
            overdue=bool(data.get("overdue")),
            raised=data.get("raised") or "",
            closed=data.get("closed") or "",
            notices=tuple(dict.fromkeys(notices)),
        )


class AlertStatusForm(forms.Form):
    # 拟纳入 posts to monitoring (it opens or joins the household's case); 已纳入监测 is the case's county
    # approval, never a choice here (docs/domain.md §20).
    ACTIONS = {
        Alert.Status.VERIFYING: "开始核实",
        Alert.Status.DISMISSED: "核实排除",
    }
    status = forms.ChoiceField(
        label="处理",
        choices=[(k.value, v) for k, v in ACTIONS.items()],
        error_messages={
            "required": "请选择处理方式。",
            "invalid_choice": "处理方式无效,请从页面上的按钮中选择。",
        },
    )
    note = forms.CharField(
        label="核实情况",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "核实排除时必须填写理由"}),
        error_messages={"max_length": "核实情况最多 500 字。"},
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what BaseForm.clean() returns; its stub says dict | None
        if cleaned.get("status") == Alert.Status.DISMISSED and not (cleaned.get("note") or "").strip():
            self.add_error("note", "核实排除必须填写理由(例如:经入户核实,住院费用已由商业保险报销)。")
        return cleaned


class AlertBulkForm(forms.Form):
    """The queue's bulk action: the ticked alerts, 开始核实 or 核实排除, one reason for each."""

    alert = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": "请先勾选要处理的预警线索。",
            "invalid_choice": "所选预警线索无效,请刷新页面后重新勾选。",
        },
    )
    status = forms.ChoiceField(
        choices=[(k.value, v) for k, v in AlertStatusForm.ACTIONS.items()],
        error_messages={
            "required": "请选择处理方式。",
            "invalid_choice": "处理方式无效,请从页面上的按钮中选择。",
        },
    )
    note = forms.CharField(
        required=False, max_length=500, error_messages={"max_length": "核实情况最多 500 字。"}
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        # Any whole number is a choice here: which of them the account may handle is the view's question.
        values = data.getlist("alert") if hasattr(data, "getlist") else []
        cast(forms.ChoiceField, self.fields["alert"]).choices = [
            (v, v) for v in values if str(v).isdigit() and len(str(v)) < 12
        ]


class UnmatchedFilterForm(forms.Form):
    feed = forms.ChoiceField(label="数据类型", required=False, choices=choices_with_blank(FEED_CHOICES))
    problem = forms.ChoiceField(
        label="问题", required=False, choices=choices_with_blank(list(PROBLEMS.items()))
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("open", "待核查"), ("closed", "已核查"), ("all", "全部")],
    )

    def filters(self) -> tuple[dict[str, str], list[str]]:
        notices = dropped_notices(self)
        data = {name: self.cleaned_data.get(name) or "" for name in ("feed", "problem", "status")}
        data["status"] = data["status"] or "open"
        return data, notices


class UnmatchedCloseForm(forms.Form):
    note = forms.CharField(
        label="核查结论",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "例如:经核实为外县人员,已转交户籍地"}),
        error_messages={"required": "请填写核查结论。", "max_length": "核查结论最多 500 字。"},
    )


UNMATCHED_STATUS = dict(UnmatchedRecord.Status.choices)
