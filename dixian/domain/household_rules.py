"""The rules a household's own fields must keep, or it is not saved (docs/domain.md §1, §14).

One home for the rules the household form (registry services) and the workbook import both apply: each
returns the problems as (field, Chinese sentence) pairs, without final punctuation, and the caller words
them into its own error (a form error, a row of the import's error report). Inconsistencies that are
saved anyway and listed to be checked (疑点) are in finding_rules; docs/domain.md §14 says which is which.

The monitoring category depends on the household kind (docs/domain.md §1): 脱贫不稳定户 are 脱贫户, and
边缘易致贫户 are 一般农户; 突发严重困难户 may be either. A category whose kind is missing or unknown is
therefore wrong too: the rule asks for the kind it needs, it does not only exclude the other one.
"""

from __future__ import annotations

from .dictionaries import EDGE, EX_POOR, ORDINARY, UNSTABLE_EX_POOR
from .household_facts import POVERTY_EXIT_YEARS, poverty_exit_year_ok

type Problems = list[tuple[str, str]]


def household_problems(
    kind: str | None, year_out_of_poverty: int | None, monitoring_category: str | None
) -> Problems:
    """What is wrong with a household's kind, year out of poverty and monitoring category, together."""
    problems: Problems = []
    # An 一般农户 with a 脱贫年度 is a finding, not an error (finding_rules, docs/domain.md §14).
    if year_out_of_poverty and not poverty_exit_year_ok(year_out_of_poverty):
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
