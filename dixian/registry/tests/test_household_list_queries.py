"""The household list runs a fixed number of queries, whatever the number of rows on the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dixian.registry.testing import household

pytestmark = pytest.mark.django_db
URL = "/households/"

# session, user, the account's region, the page of households (with their village), the region selects;
# the whole page adds the account's recent export jobs; a region filter adds the lookup of that region, and
# a search two: its matches, and their sort keys (see common.paging.paginate_few). The account (city_admin)
# sees full phone numbers: each page adds the access log's row (docs/security.md §5).
FULL_PAGE = 7
PARTIAL = 6


def add_households(world, n: int) -> None:
    for i in range(n):
        village = world.village if i % 2 else world.other_village
        household(f"{village.code}{i + 500:04d}", village, f"农户{i}", 300 + i)


def query_count(client, params: dict, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("htmx", [False, True], ids=["full page", "htmx partial"])
@pytest.mark.parametrize(
    ("params", "extra"),
    [
        ({}, 0),
        # These two match none of the households: a page that shows nobody logs nothing.
        ({"category": "none", "kind": "ex_poor", "guarantee": "any"}, -1),
        ({"health": "ill", "disability": "severe"}, -1),
        ({"q": "张三"}, 2),
        ({"region": "TOWNSHIP", "q": "张"}, 3),
    ],
    ids=["no filter", "household filters", "member filters", "search", "region and search"],
)
def test_list_queries_do_not_grow_with_rows(
    client, world, people, django_assert_num_queries, htmx, params, extra
):
    client.force_login(people["city_admin"])
    params = {k: (world.township.pk if v == "TOWNSHIP" else v) for k, v in params.items()}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    expected = (PARTIAL if htmx else FULL_PAGE) + extra
    with django_assert_num_queries(expected):
        client.get(URL, params, **headers)  # 3 households
    add_households(world, 27)
    with django_assert_num_queries(expected):
        response = client.get(URL, params, **headers)  # 30 households
    if not params:
        assert len(response.context["page"]) == 30


def test_a_second_page_adds_only_the_capped_count(client, world, people):
    client.force_login(people["city_admin"])
    add_households(world, 60)
    assert query_count(client, {"page": 2}) == FULL_PAGE + 1
    assert query_count(client, {"page": 1}) == FULL_PAGE + 1
