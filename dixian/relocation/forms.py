"""The forms of the relocation pages (docs/domain.md §24). They check shapes only; the rules (scope, the county,
unique names, all-or-nothing links, dates) are the services', whose ValidationError the views show here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from dixian.common.access import region_range_q
from dixian.common.filters import RegionChainField, choices_with_blank
from dixian.domain import employment as e
from dixian.regions.models import Region

from .models import RelocationSite
from .services import LINK_MAX, SITE_LEVELS

if TYPE_CHECKING:
    from dixian.accounts.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SiteFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    q = forms.CharField(required=False, max_length=40, label="安置点名称")
    kind = forms.ChoiceField(
        required=False, label="安置方式", choices=choices_with_blank(list(RelocationSite.Kind.choices))
    )


class SiteForm(forms.Form):
    name = forms.CharField(label="安置点名称", max_length=80)
    region = forms.ModelChoiceField(label="所在地", queryset=Region.objects.none(), empty_label="请选择")
    kind = forms.ChoiceField(label="安置方式", choices=RelocationSite.Kind.choices)
    address = forms.CharField(label="地址", max_length=200, required=False)
    built_year = forms.IntegerField(label="建成年度", required=False, min_value=1900, max_value=2100)
    households_planned = forms.IntegerField(label="安置户数(建设规模)", required=False, min_value=0)
    persons_planned = forms.IntegerField(label="安置人数(建设规模)", required=False, min_value=0)
    chief_name = forms.CharField(label="点长", max_length=50, required=False)
    chief_phone = forms.CharField(label="点长电话", max_length=30, required=False)
    service_window = forms.BooleanField(
        label="设有一站式服务窗口",
        required=False,
        help_text=f"安置{e.SERVICE_WINDOW_MIN_PERSONS}人以上的安置点须设立",
    )
    industry_base = forms.CharField(label="配套产业基地", max_length=200, required=False)
    facilities = forms.CharField(
        label="配套设施",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一项,如 社区服务中心、幼儿园、卫生室",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = user.region.prefix if user.region is not None else "~"
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = Region.objects.filter(
            region_range_q(prefix, "code"), level__in=SITE_LEVELS
        ).order_by("code")
        field.label_from_instance = lambda r: f"{r.full_name or r.name}({r.code})"  # type: ignore[method-assign,assignment]  # Django's documented way to label choices


class LinkForm(forms.Form):
    household_nos = forms.CharField(
        label="户编号",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"每行一个户编号,也可用逗号、空格分隔;一次最多 {LINK_MAX} 户。有一户不符合条件则全部不登记,并列出原因。",
    )
    moved_in = forms.DateField(label="入住日期", required=False, widget=DATE, help_text="可不填")


class ProblemForm(forms.Form):
    category = forms.ChoiceField(label="问题类别", choices=e.choices("site_problem_category"))
    description = forms.CharField(label="问题描述", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    found_on = forms.DateField(label="发现日期", widget=DATE)
    owner = forms.CharField(label="责任单位(人)", max_length=100)
    deadline = forms.DateField(label="整改时限", widget=DATE)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label="整改情况", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    resolved_on = forms.DateField(label="整改完成日期", widget=DATE)
    evidence = forms.FileField(
        label="佐证材料",
        required=False,  # the service says what is missing, in the same words as the other reasons
        help_text="整改后的照片(JPEG、PNG、WebP)或扫描的PDF文件,不超过10 MB",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )


class ProjectLinkForm(forms.Form):
    project_code = forms.CharField(
        label="项目编号", max_length=40, help_text="本县项目库中的项目;一个项目只能计入一个安置点"
    )
