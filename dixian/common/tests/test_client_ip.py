"""Who sent a request (docs/security.md §7): behind a proxy, the address the proxy appended, never what the
client wrote to its left; anything unparsable falls back to REMOTE_ADDR."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import RequestFactory, override_settings
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from dixian.common.http import client_ip

PROXY = "10.9.8.7"

ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
addresses = st.one_of(ipv4, ipv6)
# What a client may put in the header before the proxy appends its entry: addresses, names, junk, empties.
client_entries = st.lists(
    st.one_of(addresses, st.text(max_size=20).filter(lambda t: "," not in t), st.just("")), max_size=5
)
spaces = st.sampled_from(["", " ", "  ", "\t"])


def request_with(header: str | None, remote: str = PROXY):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if header is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = header
    return request


@pytest.fixture
def forwarded_for(settings):
    settings.DIXIAN_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"


@hyp_settings(max_examples=300, deadline=None)
@given(left=client_entries, appended=addresses, before=spaces, after=spaces)
def test_the_rightmost_entry_is_the_client_whatever_came_before(left, appended, before, after):
    header = ",".join([*left, f"{before}{appended}{after}"])
    with override_settings(DIXIAN_CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR"):
        assert client_ip(request_with(header)) == str(ipaddress.ip_address(appended))


@hyp_settings(max_examples=300, deadline=None)
@given(left=client_entries, junk=st.text(max_size=30).filter(lambda t: "," not in t))
def test_an_unparsable_rightmost_entry_falls_back_to_remote_addr(left, junk):
    try:
        ipaddress.ip_address(junk.strip())
    except ValueError:
        header = ",".join([*left, junk])
        with override_settings(DIXIAN_CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR"):
            assert client_ip(request_with(header)) == PROXY


def test_spoofed_leftmost_entries_do_not_pick_the_bucket(forwarded_for):
    """The attack: an attacker rotating the first X-Forwarded-For entry got a fresh rate limit each time."""
    seen = {client_ip(request_with(f"198.51.100.{i}, 203.0.113.5")) for i in range(20)}
    assert seen == {"203.0.113.5"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("  203.0.113.5  ", "203.0.113.5"),
        ("1.2.3.4,203.0.113.5", "203.0.113.5"),
        ("1.2.3.4 , , 2001:DB8::1", "2001:db8::1"),
        ("203.0.113.5,", PROXY),  # a trailing comma: the proxy appended nothing we can trust
        ("", PROXY),
        (",,,", PROXY),
        ("unknown", PROXY),
        ("203.0.113.5:4711", PROXY),  # an address with a port is not what a proxy appends
        (None, PROXY),
    ],
)
def test_examples(forwarded_for, header, expected):
    assert client_ip(request_with(header)) == expected


def test_without_a_proxy_header_setting_only_remote_addr_counts(settings):
    settings.DIXIAN_CLIENT_IP_HEADER = "REMOTE_ADDR"
    assert client_ip(request_with("203.0.113.5", remote="192.0.2.1")) == "192.0.2.1"


def test_a_single_value_header_such_as_x_real_ip(settings):
    settings.DIXIAN_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="198.51.100.4")
    assert client_ip(request) == "198.51.100.4"
