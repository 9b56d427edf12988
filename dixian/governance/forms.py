"""The forms of the governance pages (docs/domain.md §28). They check shapes only; the rules (scope, order of
the steps, the balance) are the services', whose ValidationError the views show on the form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from dixian.common.access import region_range_q
from dixian.common.filters import RegionChainField, choices_with_blank
from dixian.regions.models import Region

from . import rules
from .models import Decision, PointsRule, VillageDocument

if TYPE_CHECKING:
    from dixian.accounts.models import User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FILE_HELP = "会议记录、决议或公示照片(JPEG、PNG、WebP)或扫描的PDF文件,不超过10 MB"
FILE_WIDGET = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})


class VillageField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name or obj.name}({obj.code})"


def _villages(user: User) -> Any:
    prefix = user.region.prefix if user.region is not None else "~"
    return Region.objects.filter(region_range_q(prefix, "code"), level=Region.Level.VILLAGE).order_by("code")


class _WithVillage(forms.Form):
    region = VillageField(label="村", queryset=Region.objects.none(), empty_label="请选择")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = _villages(user)


class DecisionFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    q = forms.CharField(required=False, max_length=40, label="事项")
    category = forms.ChoiceField(
        required=False, label="类别", choices=choices_with_blank(list(Decision.Category.choices))
    )
    status = forms.ChoiceField(
        required=False, label="状态", choices=choices_with_blank(list(Decision.Status.choices))
    )
    flagged = forms.BooleanField(required=False, label="只看缺少程序的")


class DecisionForm(_WithVillage):
    title = forms.CharField(label="事项", max_length=200)
    category = forms.ChoiceField(label="类别", choices=Decision.Category.choices)
    amount = forms.DecimalField(
        label="涉及金额(元)", required=False, min_value=0, max_digits=15, decimal_places=2
    )


# A village meeting counts people: more than this is a typing error (and would overflow the column).
PEOPLE_MAX = 100_000


class StepForm(forms.Form):
    step = forms.ChoiceField(label="程序", choices=rules.STEPS)
    held_on = forms.DateField(label="日期", widget=DATE)
    expected = forms.IntegerField(
        label="应到人数", required=False, min_value=0, max_value=PEOPLE_MAX, help_text="会议填写"
    )
    attending = forms.IntegerField(label="实到人数", required=False, min_value=0, max_value=PEOPLE_MAX)
    votes_for = forms.IntegerField(label="赞成", required=False, min_value=0, max_value=PEOPLE_MAX)
    votes_against = forms.IntegerField(label="反对", required=False, min_value=0, max_value=PEOPLE_MAX)
    votes_abstain = forms.IntegerField(label="弃权", required=False, min_value=0, max_value=PEOPLE_MAX)
    note = forms.CharField(
        label="情况说明", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = forms.FileField(label="附件", required=False, help_text=FILE_HELP, widget=FILE_WIDGET)


class DateForm(forms.Form):
    on = forms.DateField(label="日期", widget=DATE)


class RuleFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")


class RuleForm(_WithVillage):
    item = forms.CharField(label="积分项目", max_length=100)
    points = forms.IntegerField(
        label="分值", help_text="加分填正数,扣分填负数", min_value=-1000, max_value=1000
    )


class AwardForm(forms.Form):
    rule = forms.ModelChoiceField(label="积分规则", queryset=PointsRule.objects.none(), empty_label="请选择")
    reason = forms.CharField(label="事由", max_length=200)
    awarded_on = forms.DateField(label="日期", widget=DATE)

    def __init__(self, *args: Any, village_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rule"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = PointsRule.objects.filter(region_code=village_code, active=True).order_by("item")


class RedeemForm(forms.Form):
    item = forms.CharField(label="兑换物品", max_length=100)
    points = forms.IntegerField(label="消耗积分", min_value=1)
    redeemed_on = forms.DateField(label="兑换日期", widget=DATE)


class DocumentFilterForm(forms.Form):
    region = RegionChainField(required=False, label="区划")
    kind = forms.ChoiceField(
        required=False, label="类别", choices=choices_with_blank(list(VillageDocument.Kind.choices))
    )


class DocumentForm(_WithVillage):
    kind = forms.ChoiceField(label="类别", choices=VillageDocument.Kind.choices)
    title = forms.CharField(label="标题", max_length=200)
    adopted_on = forms.DateField(label="通过日期", widget=DATE)
    file = forms.FileField(
        label="文件", required=False, help_text="照片或扫描的PDF文件,不超过10 MB", widget=FILE_WIDGET
    )
