"""A rule version's explanation template as people read it on the rules pages.

Templates are written with placeholders ({window}{name}医疗个人负担 {amount} 元 …, docs/rules.md) that a
screening run fills in per alert. On the rule's page a reader sees the sentence an alert will carry: the
rule number, version and parameters as they are, and each value an alert fills in named in Chinese
(【成员姓名】). The edit form keeps the placeholders themselves: that is where they are written.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from .engine.core import _param_text

if TYPE_CHECKING:
    from .models import RuleVersion

# What each placeholder stands for: the fixed ones every rule has, then those a rule's logic provides
# (engine/logic.py, `Logic.placeholders`).
PLACEHOLDER_LABELS: dict[str, str] = {
    "name": "成员姓名",
    "amount": "金额",
    "threshold": "阈值",
    "window": "筛查时间窗",
    "rule_id": "规则编号",
    "version": "版本号",
    "note": "升级条件的说明",
    "kind": "农户类别",
    "income": "收入金额",
    "month": "月份",
    "date": "日期",
    "disease": "病种",
    "hospital": "医院",
    "disability_grade": "残疾等级",
    "disability_category": "残疾类别",
    "assistance_type": "救助类型",
    "age": "年龄",
    "stage": "学段",
    "housing_grade": "鉴定等级",
    "address": "房屋地址",
    "disaster_type": "灾害类型",
    "house_damage": "房屋倒损情况",
    "names": "人员姓名",
    "year": "年度",
    "drop_percent": "下降比例",
    "medical": "医疗支出",
    "school": "教育支出",
    "days": "天数",
    "category": "诉求类别",
    "summary": "诉求摘要",
    "start": "开始日期",
    "event_type": "事件类型",
}


def placeholder_label(name: str) -> str:
    return PLACEHOLDER_LABELS.get(name, name)


def template_readable(template: str, version: RuleVersion, params: dict[str, Any] | None = None) -> str:
    """The template with the rule's own values put in and the others named: 【筛查时间窗】【成员姓名】医疗个人负担
    【金额】元 … (规则 R01 第1版). A template that does not parse (it never reaches a stored version) is shown
    as it is."""
    params = version.params if params is None else params
    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return template
    for literal, name, _spec, _conv in parsed:
        out.append(literal)
        if name is None:
            continue
        if name == "rule_id":
            out.append(version.rule.rule_id)
        elif name == "version":
            out.append(str(version.version))
        elif name in params and name not in PLACEHOLDER_LABELS:
            out.append(_param_text(name, params[name]))
        else:
            out.append(f"【{placeholder_label(name)}】")
    return "".join(out)
