"""Paging for every list page: Django's Paginator underneath, one page object, one pager partial
(common/partials/_pager.html: first, last and two pages either side of the current one).

Lists that may be long at city scale (800k households, alerts, visits, runs) use `paginate`: the total is
counted only up to `COUNT_CAP`. A capped COUNT reads at most COUNT_CAP index entries, where an exact one
over a city with a non-indexed filter reads the whole table on every page turn; when the first page is
not full, its length is the total and no count runs at all. Short lists (deliveries, declarations,
link candidates) use `paginate_exact`, Django's own get_page().
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 50
COUNT_CAP = 5000


class ListPage(Page):
    """Django's Page, plus what the pager and the list pages show: the page links and whether the total
    was capped (then the list says "共 5000 户以上")."""

    paginator: Paginator

    @property
    def rows(self) -> list[Any]:
        return list(self.object_list)

    @property
    def count(self) -> int:  # type: ignore[override]  # the lists show page.count as the total; Sequence.count(x) is never asked of a page
        return self.paginator.count

    @property
    def num_pages(self) -> int:
        return self.paginator.num_pages

    @property
    def capped(self) -> bool:
        return bool(getattr(self.paginator, "capped", False))

    @cached_property
    def window(self) -> list[int | None]:
        """Page links: first, last and two either side of the current page; None marks a gap."""
        last = self.num_pages
        pages = sorted({1, last, *range(max(1, self.number - 2), min(last, self.number + 2) + 1)})
        out: list[int | None] = []
        for previous, page in zip([0, *pages], pages, strict=False):
            if page - previous > 1:
                out.append(None)
            out.append(page)
        return out


class _Paginator(Paginator):
    def _get_page(self, *args: Any, **kwargs: Any) -> ListPage:
        return ListPage(*args, **kwargs)


class CappedPaginator(_Paginator):
    """A paginator whose count stops at `cap` (see the module's docstring)."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        n = self.queryset.order_by()[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)


def page_number(raw: str | None, last: int) -> int:
    """The page asked for, within 1..last; anything that is not a number is the first page."""
    try:
        number = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), last)


def paginate(
    qs: QuerySet[Any], raw_page: str | None, *, per_page: int = PAGE_SIZE, cap: int = COUNT_CAP
) -> ListPage:
    """A page of `qs` (ordered by an index) and its total up to `cap`."""
    paginator = CappedPaginator(qs, per_page, cap=cap)
    number = page_number(raw_page, max(1, cap // per_page))
    offset = (number - 1) * per_page
    rows = list(qs[offset : offset + per_page + 1])  # one extra row: is there more after this page?
    if number == 1 and len(rows) <= per_page:
        paginator.count = len(rows)  # the whole list is on this page: no COUNT
    elif not rows:  # past the end (the list shrank, or a hand-typed page): show the last page
        number = paginator.num_pages
        offset = (number - 1) * per_page
        rows = list(qs[offset : offset + per_page])
    return ListPage(rows[:per_page], number, paginator)


class _SegmentsPaginator(_Paginator):
    """The pager's total of lists read one after the other, capped like CappedPaginator's."""

    def __init__(self, segments: Sequence[QuerySet[Any]], per_page: int, *, cap: int) -> None:
        super().__init__([], per_page)
        self.segments = segments
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        n = 0
        for qs in self.segments:
            n += qs.order_by()[: self.cap + 1 - n].count()
            if n > self.cap:
                self.capped = True
                return self.cap
        return n


def _segment_ids(segments: Sequence[QuerySet[Any]], offset: int, limit: int) -> list[Any]:
    """The primary keys of rows offset..offset+limit of the segments read one after the other."""
    out: list[Any] = []
    for qs in segments:
        if len(out) >= limit:
            break
        ids = list(qs.values_list("pk", flat=True)[offset : offset + limit - len(out)])
        if ids:
            out += ids
            offset = 0
        elif offset:  # the page starts past this segment: skip its rows
            offset = max(0, offset - qs.order_by().count())
    return out


def paginate_segments(
    segments: Sequence[QuerySet[Any]],
    raw_page: str | None,
    *,
    fetch: Callable[[list[Any]], QuerySet[Any]],
    per_page: int = PAGE_SIZE,
    cap: int = COUNT_CAP,
) -> ListPage:
    """`paginate` over lists shown one after the other (each ordered by an index, or short), for an order
    no single index serves: the case queue's running clocks, then its decided cases. Only the primary
    keys of a page are read from the segments; `fetch(ids)` reads the rows, put back in order."""
    paginator = _SegmentsPaginator(segments, per_page, cap=cap)
    number = page_number(raw_page, max(1, cap // per_page))
    wanted = _segment_ids(segments, (number - 1) * per_page, per_page + 1)  # one extra: more after it?
    if number == 1 and len(wanted) <= per_page:
        paginator.count = len(wanted)  # the whole list is on this page: no COUNT
    elif not wanted:  # past the end: the last page
        number = paginator.num_pages
        wanted = _segment_ids(segments, (number - 1) * per_page, per_page)
    wanted = wanted[:per_page]
    by_id = {row.pk: row for row in fetch(wanted).order_by()} if wanted else {}
    return ListPage([by_id[pk] for pk in wanted if pk in by_id], number, paginator)


def paginate_few(
    qs: QuerySet[Any],
    raw_page: str | None,
    *,
    fetch: Callable[[list[int]], QuerySet[Any]],
    per_page: int = PAGE_SIZE,
) -> ListPage:
    """A page of a household list known to be small (a search: at most SEARCH_IDS_MAX households), exactly.

    Asked for ORDER BY region_code LIMIT 50 over a few hundred ids, both databases walk the region index in
    order and test each household against the id list: a scan of the whole scope when the matches are
    spread out. So the (region_code, id) keys of the matches are read without ORDER BY (id lookups; the
    extra column keeps SQLite off the covering region index), sorted here, and `fetch(ids)` reads the page:
    the same scoped, filtered list narrowed to those ids.
    """
    keys: Sequence[tuple[str, int, str]] = sorted(
        qs.order_by().values_list("region_code", "id", "household_no")
    )
    paginator = _Paginator(keys, per_page)
    number = page_number(raw_page, paginator.num_pages)
    wanted = [pk for _, pk, _ in keys[(number - 1) * per_page : number * per_page]]
    by_id = {h.pk: h for h in fetch(wanted).order_by()} if wanted else {}
    return ListPage([by_id[pk] for pk in wanted if pk in by_id], number, paginator)


def paginate_exact(
    qs: QuerySet[Any] | Sequence[Any], raw_page: str | None, *, per_page: int = PAGE_SIZE
) -> ListPage:
    """Django's get_page() over a short list (a queryset, or rows already read), exactly counted; a bad or
    too large number gives a real page."""
    page = _Paginator(qs, per_page).get_page(raw_page)
    assert isinstance(page, ListPage)  # noqa: S101 - _get_page makes every page a ListPage
    return page
