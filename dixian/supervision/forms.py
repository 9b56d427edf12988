"""The forms of the supervision pages (docs/domain.md §26). They check shapes only; the rules (scope, from–to,
overlapping stationings, a visit's date) are the services', whose ValidationError the views show here."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms

from dixian.common.access import region_range_q
from dixian.common.filters import RegionChainField, choices_with_blank
from dixian.regions.models import Region

from .models import Expert, StationedStaff, SupervisionVisit
from .services import EXPERT_LEVELS, FINDINGS_MAX, VISIT_LEVELS

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from dixian.accounts.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


def _places(user: User, levels: tuple[str, ...]) -> QuerySet[Region]:
    prefix = user.region.prefix if user.region is not None else "~"
    return (
        Region.objects.in_use()
        .filter(region_range_q(prefix, "code"), level__in=levels)
        .only("id", "code", "name", "full_name", "level", "is_key_village")
        .order_by("code")
    )


def _label(region: Region) -> str:
    key = "★" if region.is_key_village else ""
    return f"{key}{region.full_name or region.name}({region.code})"


class PlaceField(forms.ModelChoiceField):
    """A unit of the account's subtree; a key village is starred."""

    def label_from_instance(self, obj: Any) -> str:
        return _label(obj)


# ---- list filters -----------------------------------------------------------------------------------------


class ListFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    q = forms.CharField(required=False, max_length=40, label="名称")
    key_only = forms.BooleanField(required=False, label="仅重点帮扶村")
    current = forms.BooleanField(required=False, label="仅在岗(今天在任)")


class StaffFilterForm(ListFilterForm):
    role = forms.ChoiceField(
        required=False, label="身份", choices=choices_with_blank(list(StationedStaff.Duty.choices))
    )


class ExpertFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=40, label="姓名或单位")
    field = forms.ChoiceField(
        required=False, label="专业领域", choices=choices_with_blank(list(Expert.Field.choices))
    )


class VisitFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    kind = forms.ChoiceField(
        required=False, label="类型", choices=choices_with_blank(list(SupervisionVisit.Kind.choices))
    )
    state = forms.ChoiceField(
        required=False,
        label="状态",
        choices=[("", "全部"), ("planned", "计划中"), ("overdue", "逾期未记录"), ("done", "已实施")],
    )
    key_only = forms.BooleanField(required=False, label="仅重点帮扶村")


class CalendarForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    month = forms.DateField(required=False, label="月份", input_formats=["%Y-%m"], widget=MONTH)

    def clean_month(self) -> dt.date | None:
        month: dt.date | None = self.cleaned_data.get("month")
        # The calendar shows the weeks around the month: a month of year 1 or 9999 would overflow them.
        if month is not None and not 2000 <= month.year <= 2100:
            raise forms.ValidationError("月份应在 2000 年至 2100 年之间,请按“2026-10”的格式填写")
        return month


# ---- edit forms -------------------------------------------------------------------------------------------


class _Period(forms.Form):
    start_on = forms.DateField(label="起始日期", widget=DATE)
    end_on = forms.DateField(label="结束日期", required=False, widget=DATE, help_text="仍在任的留空")


class LeaderForm(_Period):
    name = forms.CharField(label="姓名", max_length=50)
    post = forms.CharField(label="职务", max_length=100)
    county = PlaceField(label="挂点县(市、区)", queryset=Region.objects.none(), empty_label="请选择")
    note = forms.CharField(label="备注", max_length=200, required=False)
    field_order = ["name", "post", "county", "start_on", "end_on", "note"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = _places(user, (Region.Level.COUNTY,))  # type: ignore[attr-defined]  # a ModelChoiceField, declared above


class UnitForm(_Period):
    unit = forms.CharField(label="帮扶单位", max_length=100)
    village = PlaceField(label="帮扶村(★重点帮扶村)", queryset=Region.objects.none(), empty_label="请选择")
    field_order = ["unit", "village", "start_on", "end_on"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = _places(user, (Region.Level.VILLAGE,))  # type: ignore[attr-defined]  # a ModelChoiceField, declared above


class StaffForm(_Period):
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    role = forms.ChoiceField(label="身份", choices=StationedStaff.Duty.choices)
    unit = forms.CharField(label="派出单位", max_length=100)
    village = PlaceField(label="驻村(★重点帮扶村)", queryset=Region.objects.none(), empty_label="请选择")
    field_order = ["name", "phone", "role", "unit", "village", "start_on", "end_on"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = _places(user, (Region.Level.VILLAGE,))  # type: ignore[attr-defined]  # a ModelChoiceField, declared above


class ExpertForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    field = forms.ChoiceField(label="专业领域", choices=Expert.Field.choices)
    unit = forms.CharField(label="工作单位", max_length=100)
    title = forms.CharField(label="职称(职务)", max_length=60, required=False)
    region = PlaceField(label="所属专家库", queryset=Region.objects.none(), empty_label="请选择")
    active = forms.BooleanField(label="在库", required=False, initial=True)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _places(user, EXPERT_LEVELS)  # type: ignore[attr-defined]  # a ModelChoiceField, declared above


class PeopleField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=SupervisionVisit.Kind.choices)
    topic = forms.CharField(label="主题", max_length=200)
    region = PlaceField(label="督导地点(★重点帮扶村)", queryset=Region.objects.none(), empty_label="请选择")
    planned_on = forms.DateField(label="计划日期", widget=DATE)
    leaders = PeopleField(
        label="带队领导",
        queryset=Region.objects.none(),
        required=False,
        help_text="须为督导地点所在县在计划日期的挂点领导",
    )
    experts = PeopleField(label="参加专家", queryset=Region.objects.none(), required=False)

    def __init__(
        self, *args: Any, user: User, leaders: QuerySet[Any], experts: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _places(user, VISIT_LEVELS)  # type: ignore[attr-defined]  # a ModelChoiceField, declared above
        self.fields["leaders"].queryset = leaders  # type: ignore[attr-defined]  # a ModelMultipleChoiceField, declared above
        self.fields["experts"].queryset = experts  # type: ignore[attr-defined]  # a ModelMultipleChoiceField, declared above


class RecordForm(forms.Form):
    done_on = forms.DateField(label="实施日期", widget=DATE)
    checked = forms.CharField(
        label="督导调研内容", max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    findings = forms.CharField(
        label="发现的问题",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "每行一个问题,可写“类别:问题”,类别为 责任落实、政策落实、工作落实、成效巩固 之一(不写则为工作落实);"
            f"最多{FINDINGS_MAX}个。每个问题都进入问题整改台账。"
        ),
    )
