"""Region follows the household (docs/security.md §4): a household that moves village takes its alerts,
their evidence, its visits, declarations and link candidates with it, in one transaction, audited.

The attack: before this, the copies kept the old village's code, so the old village's officer still saw
(and could export) the moved household's alerts and visits, and the new village's officer never did.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.accounts.models import Role
from dixian.cases.models import Alert, AlertEvidence
from dixian.cases.selectors import alert_scope_for_user
from dixian.cases.services import alert_add_evidence
from dixian.common.models import ChangeLog
from dixian.common.testing import persona
from dixian.declarations.models import Declaration
from dixian.declarations.selectors import declaration_scope_for_user
from dixian.feeds.linkage_store import link_candidates_for_user
from dixian.feeds.models import FeedDelivery, LinkCandidate
from dixian.regions.models import Region
from dixian.registry import services
from dixian.registry.bulk import registry_bulk_upsert
from dixian.visits.models import Visit
from dixian.visits.selectors import visit_scope_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world, people):
    """An open alert with evidence, a closed (confirmed) alert, a visit, a declaration and a link candidate
    of `home` (in `village`), each carrying a copy of the village's code as created today."""
    home, officer = world.home, people["village_officer"]
    evidence = alert_add_evidence(
        household=home,
        region=world.village,
        risk_code="01",
        channel="cadre_visit",
        grade="橙",
        reason="走访发现:患病",
        dedup_parts=("test", 1),
        monitored=False,
    )
    assert evidence is not None and evidence.alert is not None
    confirmed = alert_add_evidence(
        household=home,
        region=world.village,
        risk_code="05",
        channel="cadre_visit",
        grade="黄",
        reason="走访发现:意外事故",
        dedup_parts=("test", 2),
        monitored=False,
    )
    assert confirmed is not None and confirmed.alert is not None
    Alert.objects.filter(pk=confirmed.alert.pk).update(status=Alert.Status.CONFIRMED)
    visit = Visit.objects.create(
        household=home, region_code=home.region_code, visit_date=dt.date(2026, 3, 1), visitor=officer
    )
    head = home.members.get(relation="head")
    declaration = Declaration.objects.create(
        reference="D26030001",
        village=world.village,
        region_code=world.village.code,
        name=head.name,
        id_number=head.id_number,
        phone="13800000001",
        difficulty="illness",
        description="看病花费大",
        consent=True,
        household=home,
    )
    delivery = FeedDelivery.objects.create(
        feed="medical", period="2026-03", channel="upload", region=world.county, checksum="x" * 64
    )
    candidate = LinkCandidate.objects.create(
        delivery=delivery,
        feed="medical",
        record_key="r1",
        name=head.name,
        person=head,
        region_code=head.region_code,
        match_probability=0.8,
        status=LinkCandidate.Status.PENDING,
    )
    return {
        "alert": evidence.alert,
        "closed": confirmed.alert,
        "visit": visit,
        "declaration": declaration,
        "candidate": candidate,
    }


@pytest.fixture
def far_people(world):
    """The officer of `far_village` (other county) and the reviewer of its township."""
    far_township = Region.objects.get(code="360428100000")
    return {
        "officer": persona("far_officer", world.far_village, Role.VILLAGE_OFFICER),
        "reviewer": persona("far_reviewer", far_township, Role.TOWNSHIP_REVIEWER),
        "county_reviewer": persona("far_county_reviewer", world.other_county, Role.COUNTY_REVIEWER),
    }


def _sees(user, records) -> dict[str, bool]:
    return {
        "alert": alert_scope_for_user(user).filter(pk=records["alert"].pk).exists(),
        "closed": alert_scope_for_user(user).filter(pk=records["closed"].pk).exists(),
        "visit": visit_scope_for_user(user).filter(pk=records["visit"].pk).exists(),
        "declaration": declaration_scope_for_user(user).filter(pk=records["declaration"].pk).exists(),
    }


def _move(world, people, to=None):
    return services.household_update(
        actor=people["city_admin"], household=world.home, data={}, region=to or world.far_village
    )


def test_moved_households_records_are_scoped_by_its_new_village(world, people, far_people, records):
    everything = dict.fromkeys(("alert", "closed", "visit", "declaration"), True)
    nothing = dict.fromkeys(everything, False)
    assert _sees(people["village_officer"], records) == everything
    assert _sees(far_people["officer"], records) == nothing

    _move(world, people)

    for user in (far_people["officer"], far_people["reviewer"]):
        assert _sees(user, records) == everything, user.username
    for user in (people["village_officer"], people["township_reviewer"], people["county_reviewer"]):
        assert _sees(user, records) == nothing, user.username
    alert = Alert.objects.get(pk=records["alert"].pk)
    assert (alert.region, alert.region_code) == (world.far_village, world.far_village.code)
    assert set(AlertEvidence.objects.filter(household=world.home).values_list("region_code", flat=True)) == {
        world.far_village.code
    }
    declaration = Declaration.objects.get(pk=records["declaration"].pk)
    assert declaration.village == world.far_village
    # The link candidate goes to the county reviewer of where the person lives now.
    assert link_candidates_for_user(far_people["county_reviewer"]).filter(pk=records["candidate"].pk).exists()
    assert not link_candidates_for_user(people["county_reviewer"]).filter(pk=records["candidate"].pk).exists()


def test_pages_follow_the_household(client, world, people, far_people, records):
    _move(world, people)
    pages = [
        reverse("cases:alert_detail", args=[records["alert"].pk]),
        reverse("visits:detail", args=[records["visit"].pk]),
        reverse("declarations:detail", args=[records["declaration"].pk]),
    ]
    client.force_login(people["village_officer"])
    assert [client.get(url).status_code for url in pages] == [404, 404, 404]
    assert world.home.household_no not in client.get(reverse("cases:alert_queue")).content.decode()
    client.force_login(far_people["officer"])
    assert [client.get(url).status_code for url in pages] == [200, 200, 200]
    assert (
        world.home.household_no in client.get(reverse("cases:alert_queue") + "?status=all").content.decode()
    )


def test_the_move_is_one_change_log_row_naming_what_moved(world, people, records):
    last = ChangeLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _move(world, people)
    (row,) = ChangeLog.objects.filter(pk__gt=last)
    assert (row.entity, row.entity_id, row.household_id, row.action) == (
        "household",
        world.home.pk,
        world.home.pk,
        ChangeLog.Action.MOVE,
    )
    assert row.changes["region_code"] == [world.village.code, world.far_village.code]
    moved = row.changes["moved_with"][1]
    for label, pk in (
        ("预警线索 2 条", records["alert"].pk),
        ("走访记录 1 条", records["visit"].pk),
        ("自主申报 1 条", records["declaration"].pk),
        ("概率匹配候选 1 条", records["candidate"].pk),
    ):
        assert label in moved and f"#{pk}" in moved
    assert "预警证据 2 条" in moved
    assert "预警线索 2 条" in row.summary and world.far_village.name in row.summary


def test_a_failure_midway_leaves_nothing_half_moved(world, people, records):
    from dixian.registry.signals import household_moved  # here: the visibility tests run on main too

    def fail(**_):
        raise RuntimeError("disk full")

    household_moved.connect(fail, dispatch_uid="test_fail")  # runs after the apps' receivers
    try:
        with pytest.raises(RuntimeError):
            _move(world, people)
    finally:
        household_moved.disconnect(dispatch_uid="test_fail")
    world.home.refresh_from_db()
    assert world.home.region_code == world.village.code
    assert set(world.home.members.values_list("region_code", flat=True)) == {world.village.code}
    assert Alert.objects.get(pk=records["alert"].pk).region_code == world.village.code
    assert set(AlertEvidence.objects.values_list("region_code", flat=True)) == {world.village.code}
    assert Visit.objects.get(pk=records["visit"].pk).region_code == world.village.code
    assert LinkCandidate.objects.get(pk=records["candidate"].pk).region_code == world.village.code
    assert not ChangeLog.objects.filter(action=ChangeLog.Action.MOVE).exists()


def test_a_move_within_the_village_moves_nothing_else(world, people, records):
    services.household_update(actor=people["city_admin"], household=world.home, data={"address": "新址"})
    assert not ChangeLog.objects.filter(action=ChangeLog.Action.MOVE).exists()
    assert Alert.objects.get(pk=records["alert"].pk).region_code == world.village.code


def test_an_import_that_moves_a_household_moves_its_records(world, people, far_people, records):
    result = registry_bulk_upsert(
        households=pl.DataFrame(
            {"household_no": [world.home.household_no], "region_code": [world.far_village.code]}
        ),
        persons=pl.DataFrame(schema={"household_no": pl.String, "id_number": pl.String}),
        incomes=pl.DataFrame(schema={"household_no": pl.String, "year": pl.Int64}),
        actor=people["city_admin"],
        source=ChangeLog.Source.IMPORT,
        reference="test",
        today=timezone.localdate(),
    )
    assert result.households_updated == 1
    assert _sees(far_people["officer"], records) == dict.fromkeys(
        ("alert", "closed", "visit", "declaration"), True
    )
    assert _sees(people["village_officer"], records) == dict.fromkeys(
        ("alert", "closed", "visit", "declaration"), False
    )
    assert LinkCandidate.objects.get(pk=records["candidate"].pk).region_code == world.far_village.code
    rows = ChangeLog.objects.filter(household_id=world.home.pk, entity="household")
    (move,) = rows.filter(action=ChangeLog.Action.MOVE)
    assert move.changes["region_code"] == [world.village.code, world.far_village.code]
    assert f"#{records['alert'].pk}" in move.changes["moved_with"][1]
    assert not rows.filter(action=ChangeLog.Action.UPDATE).exists()  # nothing else changed


def test_a_person_moved_to_another_village_takes_their_link_candidates(world, people, records):
    spouse = world.home.members.get(relation="spouse")
    candidate = LinkCandidate.objects.create(
        delivery=records["candidate"].delivery,
        feed="medical",
        record_key="r2",
        name=spouse.name,
        person=spouse,
        region_code=spouse.region_code,
        match_probability=0.8,
        status=LinkCandidate.Status.PENDING,
    )
    services.person_move(actor=people["city_admin"], person=spouse, to_household=world.far)
    candidate.refresh_from_db()
    assert candidate.region_code == world.far_village.code
    # The household stayed: its own records did not move.
    assert LinkCandidate.objects.get(pk=records["candidate"].pk).region_code == world.village.code


def test_a_screening_run_that_read_the_registry_before_a_move_leaves_nothing_behind(world, people, records):
    """A run stores what it found under the code it read; its store makes moved households' records follow."""
    from dixian.screening.models import ScreeningRun
    from dixian.screening.store import _moves_catch_up

    run = ScreeningRun.objects.create(period="2026-03", trigger="manual")
    _move(world, people)
    # What the run writes after the move, with the code it read before it.
    stale = AlertEvidence.objects.filter(household=world.home).first()
    AlertEvidence.objects.filter(pk=stale.pk).update(region_code=world.village.code)
    _moves_catch_up(since=run.created_at)
    assert AlertEvidence.objects.get(pk=stale.pk).region_code == world.far_village.code
