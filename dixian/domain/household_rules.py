"""The rules a household's and a person's own fields must keep (docs/domain.md §1, §14).

One home for the rules the household and person forms (registry services) and the workbook import
both apply: each returns the problems as (field, Chinese sentence) pairs, without final punctuation, and
the caller words them into its own error (a form error, a row of the import's error report).

The monitoring category depends on the household kind (docs/domain.md §1): 脱贫不稳定户 are 脱贫户, and
边缘易致贫户 are 一般农户; 突发严重困难户 may be either. A category whose kind is missing or unknown is
therefore wrong too: the rule asks for the kind it needs, it does not only exclude the other one.
"""

from __future__ import annotations

from .dictionaries import DISABLED, EDGE, EX_POOR, ORDINARY, UNSTABLE_EX_POOR
from .household_facts import POVERTY_EXIT_YEARS, poverty_exit_year_ok

type Problems = list[tuple[str, str]]

# The fields person_problems reads, by name (its keyword arguments).
PERSON_RULE_FIELDS = (
    "disability_category",
    "disability_grade",
    "health_status",
    "months_worked",
    "work_place",
    "dibao",
    "tekun",
)


def household_problems(
    kind: str | None, year_out_of_poverty: int | None, monitoring_category: str | None
) -> Problems:
    """What is wrong with a household's kind, year out of poverty and monitoring category, together."""
    problems: Problems = []
    if kind == ORDINARY and year_out_of_poverty:
        problems.append(("year_out_of_poverty", "一般农户没有脱贫年度,请清空;若为脱贫户,请先修改户类型"))
    elif year_out_of_poverty and not poverty_exit_year_ok(year_out_of_poverty):
        low, high = POVERTY_EXIT_YEARS
        problems.append(("year_out_of_poverty", f"脱贫年度应在{low}年至{high}年之间"))
    if monitoring_category == UNSTABLE_EX_POOR and kind != EX_POOR:
        problems.append(
            ("monitoring_category", "脱贫不稳定户只能是脱贫户;一般农户请填边缘易致贫户或突发严重困难户")
        )
    elif monitoring_category == EDGE and kind != ORDINARY:
        problems.append(
            ("monitoring_category", "边缘易致贫户只能是一般农户;脱贫户请填脱贫不稳定户或突发严重困难户")
        )
    return problems


def person_problems(
    *,
    disability_category: str | None,
    disability_grade: int | None,
    health_status: str | None,
    months_worked: int | None,
    work_place: str | None,
    dibao: bool | None,
    tekun: bool | None,
) -> Problems:
    """What is wrong with a person's disability, work and assistance fields, together."""
    problems: Problems = []
    if disability_category and not disability_grade:
        problems.append(("disability_grade", "填写了残疾类别,请同时填写残疾等级"))
    if disability_grade and not disability_category:
        problems.append(("disability_category", "填写了残疾等级,请同时填写残疾类别"))
    if health_status == DISABLED and not disability_category:
        problems.append(("disability_category", "健康状况为残疾时,请填写残疾类别和等级"))
    if months_worked and not work_place:
        problems.append(("work_place", "填写了务工时间,请同时填写务工所在地"))
    if dibao and tekun:
        problems.append(("tekun", "同一人不能同时享受低保和特困供养,请只填其中一项"))
    return problems
