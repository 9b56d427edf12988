"""The income line lookup: the most specific region's line of the year, as R12 and the household page read it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dixian.domain.income import DEMO_INCOME_LINE, LineEntry, income_line, line_entries, most_specific_first

entries = st.lists(
    st.builds(
        LineEntry,
        region=st.sampled_from(["", "36", "3604", "360424", "360424100", "360425"]),
        year=st.integers(2023, 2026),
        amount=st.integers(5000, 12000),
    ),
    max_size=12,
    unique_by=lambda e: (e.region, e.year),  # one line per region and year (IncomeLine's constraint)
)


def test_the_platform_line_applies_everywhere_and_a_countys_own_line_inside_the_county() -> None:
    lines = [*line_entries(DEMO_INCOME_LINE), LineEntry("360424", 2025, 9000)]
    assert income_line(lines, "360424100201", 2025) == 9000
    assert income_line(lines, "360425100201", 2025) == 8200
    assert income_line(lines, "360424100201", 2026) == 8500
    assert income_line(lines, "360424100201", 2022) is None


def test_both_forms_of_r12s_parameter_read_the_same() -> None:
    as_years = line_entries({"2025": 8200, "2026": 8500})
    as_list = line_entries([{"year": 2025, "amount": 8200}, {"region": "", "year": 2026, "amount": 8500}])
    assert as_years == as_list


@given(lines=entries, code=st.sampled_from(["360424100201", "360425100201", "360402001001"]))
def test_the_first_matching_entry_in_lookup_order_is_the_lookups_answer(
    lines: list[LineEntry], code: str
) -> None:
    # The engine writes the lookup as a SQL CASE over `most_specific_first`: its first match must agree.
    for year in range(2023, 2027):
        ordered = most_specific_first(lines)
        first = next((e.amount for e in ordered if e.year == year and code.startswith(e.region)), None)
        assert first == income_line(lines, code, year)
