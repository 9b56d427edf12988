"""Forms of the visit pages. They check the input's shape; services.visit_record applies the rules."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from dixian.common.checklists import risk_checklist_field
from dixian.common.filters import RegionChainField, resolve_region
from dixian.monitoring.assistance import measures_open_for_follow_up
from dixian.regions.models import Region

from .models import Visit, VisitRisk
from .selectors import VisitFilters, household_for_recording
from .services import MAX_PHOTOS, photo_clean, visit_date_check

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.registry.models import Household

    from .services import CleanPhoto

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """0–6 photos, each checked by its content (services.photo_clean) and re-encoded."""

    widget = MultiplePhotoInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_TYPES, "multiple": True}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CleanPhoto]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"最多上传 {MAX_PHOTOS} 张照片,您选择了 {len(files)} 张;请删去一些再提交。")
        cleaned, errors = [], []
        for f in files:
            try:
                cleaned.append(photo_clean(f))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class VisitForm(forms.Form):
    household = forms.CharField(
        label="农户",
        widget=forms.HiddenInput,
        error_messages={"required": "请先查找并选择要走访的农户。"},
    )
    visit_date = forms.DateField(
        label="走访日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "请填写走访日期。",
            "invalid": "走访日期格式不对,请按 2026-11-20 的格式填写。",
        },
    )
    method = forms.ChoiceField(
        label="走访方式",
        choices=Visit.Method.choices,
        initial=Visit.Method.HOME,
        widget=forms.RadioSelect,
        error_messages={
            "required": "请选择走访方式。",
            "invalid_choice": "请选择走访方式:入户走访或电话联系。",
        },
    )
    risks = risk_checklist_field(
        label="发现的风险",
        choices=VisitRisk.choices,
        multiple=True,
        required=False,
        error_messages={"invalid_choice": "风险项「%(value)s」不在排查清单中,请重新勾选。"},
    )
    notes = forms.CharField(
        label="情况记录",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "家庭近况、发现的困难、已告知的政策等"}),
        error_messages={"max_length": "情况记录最多 %(limit_value)d 字(现有 %(show_value)d 字),请精简。"},
    )
    photos = PhotosField(label=f"照片(最多 {MAX_PHOTOS} 张)")
    # 跟进帮扶措施: a measure of the household's open case (offered by the form once the household is known).
    measure = forms.IntegerField(
        label="跟进的帮扶措施",
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"invalid": "所选帮扶措施无效,请重新选择。"},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["visit_date"].initial = timezone.localdate()
        self.picked: Household | None = None

    def clean_household(self) -> Household:
        household = household_for_recording(self.user, self.cleaned_data["household"])
        if household is None:
            # The same words for "does not exist" and "not yours": nothing is revealed.
            raise ValidationError("所选农户不存在或不在您的走访范围内,请重新查找选择。")
        self.picked = household
        return household

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        key = cleaned.get("measure")
        if key is None or self.picked is None:
            cleaned["measure"] = None
            return cleaned
        found = {m.pk: m for m in measures_open_for_follow_up(self.user, self.picked)}
        if key not in found:
            self.add_error("measure", "所选帮扶措施不属于该户正在办理的监测帮扶档案,请重新选择。")
        cleaned["measure"] = found.get(key)
        return cleaned

    def clean_visit_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["visit_date"]
        try:
            visit_date_check(value)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["visit_date"]) from None
        return value


class VisitFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    date_from = forms.DateField(
        label="走访日期从", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    with_risks = forms.BooleanField(label="只看发现风险的", required=False)
    monitored = forms.BooleanField(label="只看监测对象", required=False)
    # A key the database can hold: a larger number would fail in the query, not in the form (docs/security.md §4).
    household = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user
        self.notices: list[str] = []
        # Not `self.region`: that name is the form field's (mypy sees the class attribute).
        self.chosen_region: Region | None = None

    def clean_region(self) -> list[int]:
        ids: list[int] = self.cleaned_data.get("region") or []
        self.chosen_region = resolve_region(self.user, ids, self.notices)
        return ids

    def filters(self) -> VisitFilters:
        """The usable filters: invalid fields are dropped, each with a notice saying so."""
        self.is_valid()
        for name, errors in self.errors.items():
            label = self.fields[name].label or name
            self.notices.extend(f"「{label}」的取值无效,已忽略:{e}" for e in errors)
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if start and end and start > end:
            self.notices.append("开始日期晚于结束日期,已对调。")
            start, end = end, start
        return VisitFilters(
            village=self.chosen_region,
            date_from=start,
            date_to=end,
            with_risks=bool(self.cleaned_data.get("with_risks")),
            monitored=bool(self.cleaned_data.get("monitored")),
            household=self.cleaned_data.get("household"),
        )


class Period:
    MONTH = "month"
    QUARTER = "quarter"
    CUSTOM = "custom"
    CHOICES = [(MONTH, "本月"), (QUARTER, "本季度"), (CUSTOM, "自定义")]


class CoverageForm(forms.Form):
    period = forms.ChoiceField(label="统计期间", choices=Period.CHOICES, required=False)
    start = forms.DateField(
        label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    MAX_DAYS = 366

    def range(self) -> tuple[dt.date, dt.date, list[str]]:
        """The period asked for, and notices for what was wrong with it (falling back to this month)."""
        today = timezone.localdate()
        month_start = today.replace(day=1)
        self.is_valid()
        period = self.cleaned_data.get("period") or Period.MONTH
        notices = [f"「{self.fields[n].label}」格式不对,请按 2026-11-01 的格式填写。" for n in self.errors]
        if period == Period.QUARTER:
            return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today, notices
        if period == Period.CUSTOM:
            start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
            if start is None or end is None:
                notices.append("自定义期间请填写开始和结束日期;现按本月统计。")
            elif start > end:
                notices.append("开始日期晚于结束日期,请重新选择;现按本月统计。")
            elif (end - start).days >= self.MAX_DAYS:
                notices.append(f"统计期间最长 {self.MAX_DAYS} 天,请缩短;现按本月统计。")
            else:
                return start, end, notices
        return month_start, today, notices
