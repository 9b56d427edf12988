"""Forms of the asset and 联农带农 pages: they check the input's shape; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from dixian.common.filters import RegionChainField, choices_with_blank
from dixian.domain import funds as fd

from .assets import DISPOSAL_KINDS
from .forms_projects import AmountField
from .models import Asset

DATE = forms.DateInput(attrs={"type": "date"})


def _years() -> list[tuple[str, str]]:
    from django.utils import timezone

    this = timezone.localdate().year
    return [(str(y), f"{y}年") for y in range(this, 2012, -1)]


class AssetFilterForm(forms.Form):
    asset_class = forms.ChoiceField(
        label="资产类别", required=False, choices=choices_with_blank(list(fd.ASSET_CLASSES.items()))
    )
    region = RegionChainField(label="地区", required=False)
    state = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(Asset.State.choices))
    year = forms.TypedChoiceField(label="项目年度", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = choices_with_blank(_years())  # type: ignore[attr-defined]  # a ChoiceField


class AssetForm(forms.Form):
    project_code = forms.CharField(label="形成项目编号", max_length=40)
    name = forms.CharField(label="资产名称", max_length=200)
    asset_class = forms.ChoiceField(label="资产类别", choices=list(fd.ASSET_CLASSES.items()))
    value = AmountField(label="资产价值(元)", allow_zero=True)
    owner_unit = forms.CharField(label="所有权人(确权)", max_length=100)
    manager = forms.CharField(label="管护主体", max_length=100, required=False)
    operator = forms.CharField(label="经营主体", max_length=100, required=False)
    handed_over_on = forms.DateField(label="移交日期", required=False, widget=DATE)
    household_no = forms.CharField(label="受益农户户编号(到户类)", max_length=24, required=False)


class MaintenanceForm(forms.Form):
    done_on = forms.DateField(label="管护日期", widget=DATE)
    kind = forms.CharField(label="管护内容", max_length=100)
    cost = AmountField(label="费用(元)", allow_zero=True, required=False)
    note = forms.CharField(label="情况说明", max_length=500, required=False)


class IncomeForm(forms.Form):
    year = forms.IntegerField(label="收益年度", min_value=2000, max_value=2100)
    amount = AmountField(label="收益金额(元)", allow_zero=True)


class DistributionForm(forms.Form):
    household_no = forms.CharField(label="户编号", max_length=24)
    recipient_name = forms.CharField(label="领取人姓名(留空为户主)", max_length=50, required=False)
    period = forms.CharField(
        label="发放月份", max_length=7, widget=forms.TextInput(attrs={"placeholder": "2026-05"})
    )
    amount = AmountField(label="分配金额(元)", allow_zero=True)


class DisposalProposeForm(forms.Form):
    kind = forms.ChoiceField(label="处置方式", choices=list(DISPOSAL_KINDS.items()))
    reason = forms.CharField(label="处置理由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DisposalDecideForm(forms.Form):
    decision = forms.ChoiceField(label="审批意见", choices=[("approve", "同意处置"), ("refuse", "不予处置")])
    disposed_on = forms.DateField(label="处置日期", required=False, widget=DATE)
    note = forms.CharField(label="意见说明", max_length=500, required=False)


# ---- 联农带农 -------------------------------------------------------------------------------------------


class EntityForm(forms.Form):
    name = forms.CharField(label="主体名称", max_length=200)
    kind = forms.ChoiceField(label="主体类型", choices=list(fd.ENTITY_KINDS.items()))
    credit_code = forms.CharField(label="统一社会信用代码", max_length=30)
    region = RegionChainField(label="所在地")


class BaseForm(forms.Form):
    name = forms.CharField(label="基地名称", max_length=200)
    industry = forms.CharField(label="主导产业", max_length=100, required=False)
    area_mu = forms.DecimalField(label="面积(亩)", max_digits=10, decimal_places=1, required=False)
    region = RegionChainField(label="所在村")


class SourceFilterForm(forms.Form):
    region = RegionChainField(label="地区", required=False)
    kind = forms.ChoiceField(
        label="主体类型", required=False, choices=choices_with_blank(list(fd.ENTITY_KINDS.items()))
    )


SOURCE_CHOICES = [("project", "项目"), ("entity", "经营主体"), ("base", "产业基地")]


class LinkForm(forms.Form):
    source = forms.ChoiceField(choices=SOURCE_CHOICES, widget=forms.HiddenInput)
    source_pk = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    household_no = forms.CharField(label="户编号", max_length=24)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    form = forms.ChoiceField(label="联结方式", choices=list(fd.LINK_FORMS.items()))
    benefit = AmountField(label="年度收益(元)", allow_zero=True, required=False)


class LinkImportForm(forms.Form):
    source = forms.ChoiceField(choices=SOURCE_CHOICES, widget=forms.HiddenInput)
    source_pk = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    file = forms.FileField(label="联农带农名单(.xlsx)")


class LinkFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)
    region = RegionChainField(label="地区", required=False)
    source = forms.ChoiceField(label="带动主体", required=False, choices=choices_with_blank(SOURCE_CHOICES))
    kind = forms.ChoiceField(
        label="农户类型",
        required=False,
        choices=choices_with_blank([("ex_poor_or_monitored", "脱贫户和监测对象")]),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = choices_with_blank(_years())  # type: ignore[attr-defined]  # a ChoiceField
