"""The forms of the rectification pages (docs/domain.md §25). They check shapes only; the rules (scope, dates,
evidence, the joint review) are the services', whose ValidationError the views show on these forms."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q

from dixian.accounts.models import User
from dixian.common.access import region_range_q
from dixian.common.filters import RegionChainField, choices_with_blank
from dixian.regions.models import Region

from .checks import check_choices
from .models import Finding, FindingReviewer
from .services import CATEGORIES

if TYPE_CHECKING:
    from dixian.accounts.models import User as UserT

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SEPARATORS = re.compile(r"[\s,，、;；]+")
NUMBERS_MAX = 500


def _regions(user: UserT, levels: tuple[str, ...]) -> Any:
    prefix = user.region.prefix if user.region is not None else "~"
    return Region.objects.filter(region_range_q(prefix, "code"), level__in=levels).order_by("code")


def _label_regions(field: forms.Field) -> None:
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared as one
    field.label_from_instance = lambda r: (  # type: ignore[method-assign,assignment]  # Django's documented way to label choices
        f"{r.full_name or r.name}({r.code}){' · 重点帮扶村' if r.is_key_village else ''}"
    )


def _label_users(field: forms.Field) -> None:
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared as one
    field.label_from_instance = lambda u: (  # type: ignore[method-assign,assignment]  # Django's documented way to label choices
        f"{u.get_full_name() or u.username}({u.region.name if u.region else '未分配区划'})"
    )


def numbers(text: str) -> list[str]:
    return [n for n in SEPARATORS.split(text or "") if n]


class FilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    source = forms.ChoiceField(
        required=False, label="问题来源", choices=choices_with_blank(list(Finding.Source.choices))
    )
    status = forms.ChoiceField(
        required=False, label="状态", choices=choices_with_blank(list(Finding.Status.choices))
    )
    category = forms.ChoiceField(
        required=False, label="问题类别", choices=choices_with_blank([(c, c) for c in CATEGORIES])
    )
    overdue = forms.BooleanField(required=False, label="只看超期")
    key = forms.BooleanField(required=False, label="只看重点帮扶村")
    q = forms.CharField(required=False, max_length=40, label="问题关键词")


class FindingForm(forms.Form):
    source = forms.ChoiceField(label="问题来源", choices=Finding.Source.choices)
    category = forms.ChoiceField(label="问题类别", choices=[(c, c) for c in CATEGORIES])
    title = forms.CharField(label="问题", max_length=200)
    description = forms.CharField(
        label="问题描述", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    region = forms.ModelChoiceField(label="所在地", queryset=Region.objects.none(), empty_label="请选择")
    found_on = forms.DateField(label="发现日期", widget=DATE)
    deadline = forms.DateField(label="整改时限", required=False, widget=DATE)
    measures = forms.CharField(
        label="整改措施", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    check_code = forms.ChoiceField(
        label="举一反三核查项",
        required=False,
        choices=choices_with_blank(check_choices(), "不指定"),
        help_text="指定后,可从该问题出发在其他村排查同类问题",
    )
    household_nos = forms.CharField(
        label="涉及农户(户编号)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"可不填;每行一个户编号,最多 {NUMBERS_MAX} 户",
    )
    project_codes = forms.CharField(
        label="涉及项目(项目编号)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="可不填",
    )

    def __init__(self, *args: Any, user: UserT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = _regions(user, ("city", "county", "township", "village"))
        _label_regions(field)

    def clean_household_nos(self) -> list[str]:
        found = numbers(self.cleaned_data.get("household_nos", ""))
        if len(found) > NUMBERS_MAX:
            raise forms.ValidationError(f"一次最多填写 {NUMBERS_MAX} 个户编号")
        return found

    def clean_project_codes(self) -> list[str]:
        return numbers(self.cleaned_data.get("project_codes", ""))[:NUMBERS_MAX]


class TaskForm(forms.Form):
    title = forms.CharField(label="整改任务", max_length=200)
    owner_region = forms.ModelChoiceField(
        label="责任单位所在地", queryset=Region.objects.none(), empty_label="请选择"
    )
    owner_unit = forms.CharField(
        label="责任单位", max_length=100, required=False, help_text="如 县乡村振兴局、良塘村委会"
    )
    owner_user = forms.ModelChoiceField(
        label="责任人账号", queryset=User.objects.none(), required=False, empty_label="不指定"
    )
    owner_name = forms.CharField(
        label="责任人", max_length=50, required=False, help_text="责任人没有账号时填写姓名"
    )
    deadline = forms.DateField(label="完成时限", widget=DATE)
    evidence_required = forms.CharField(
        label="佐证材料要求", max_length=300, required=False, help_text="如 整改前后对比照片、会议纪要扫描件"
    )

    def __init__(self, *args: Any, user: UserT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner_region"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = _regions(user, ("county", "township", "village"))
        _label_regions(field)
        prefix = user.region.prefix if user.region is not None else "~"
        people = self.fields["owner_user"]
        assert isinstance(people, forms.ModelChoiceField)  # noqa: S101 - declared above
        people.queryset = (
            User.objects.filter(region_range_q(prefix, "region__code"), is_active=True)
            .select_related("region")
            .order_by("region__code", "username")
        )
        _label_users(people)


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label="佐证材料",
        required=False,  # the service says what is missing, in the same words as the other reasons
        help_text="照片(JPEG、PNG、WebP)或扫描的PDF文件,不超过10 MB",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


class TaskCloseForm(forms.Form):
    done_on = forms.DateField(label="完成日期", widget=DATE)
    note = forms.CharField(
        label="完成情况", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewersForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label="联审人",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="能查看该问题的账号(问题所在地及其上级单位的账号)",
    )
    unit = forms.CharField(
        label="联审单位", max_length=100, required=False, help_text="如 县乡村振兴局、县纪委监委"
    )

    def __init__(self, *args: Any, finding: Finding, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = finding.region_code
        ancestors = {code[:n] for n in (4, 6, 9, 12) if len(code) >= n}
        named = FindingReviewer.objects.filter(finding=finding).values("reviewer_id")
        field = self.fields["reviewers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        field.queryset = (
            User.objects.filter(Q(region__prefix__in=ancestors), is_active=True)
            .exclude(pk__in=named)
            .select_related("region")
            .order_by("region__code", "username")
        )
        _label_users(field)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核意见",
        choices=[
            (FindingReviewer.Decision.SIGNED, "同意销号"),
            (FindingReviewer.Decision.SENT_BACK, "退回整改"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="退回理由",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="退回时必填",
    )


class ImportForm(forms.Form):
    file = forms.FileField(label="问题清单", help_text="Excel 工作簿(.xlsx),每行一个问题")

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name or ""
        if not name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                f"「{name}」不是 .xlsx 文件。请用 Excel 或 WPS 另存为 Excel 工作簿(.xlsx)再上传"
            )
        return f
