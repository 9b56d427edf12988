"""Every list pages through dixian/common/paging.py: Django's paginator, page links with gaps, a capped count."""

from __future__ import annotations

import pytest

from dixian.common.paging import paginate_exact
from dixian.common.testing import region
from dixian.regions.models import Region


@pytest.fixture
def villages(db: None) -> None:
    county = region("360424000000", "修水县", "county")
    for i in range(23):
        region(f"3604241002{i:02d}", f"村{i}", "village", county)


def test_links_show_the_first_and_last_page_and_two_either_side(villages: None) -> None:
    qs = Region.objects.filter(level="village").order_by("code")
    page = paginate_exact(qs, "6", per_page=2)
    assert (page.number, page.num_pages, page.count, page.capped) == (6, 12, 23, False)
    assert page.window == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert paginate_exact(qs, "2", per_page=2).window == [1, 2, 3, 4, None, 12]


def test_a_bad_or_too_large_page_number_gives_a_real_page(villages: None) -> None:
    qs = Region.objects.filter(level="village").order_by("code")
    assert paginate_exact(qs, "abc", per_page=10).number == 1
    last = paginate_exact(qs, "99", per_page=10)
    assert (last.number, len(last), last.start_index(), last.end_index()) == (3, 3, 21, 23)
