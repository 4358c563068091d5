"""Which procedures a unit handles, its public-listing share, and the bulk "listed today"."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from procedures import listing
from procedures.models import Level, OnlineLevel, Procedure, ProcedureStatus, UnitProcedure
from procedures.tests.test_search import make_procedure

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def catalogue(world):
    return {
        p.code: p
        for p in [
            make_procedure("1.001193", "Đăng ký khai sinh", online=OnlineLevel.PARTIAL),
            make_procedure("1.001022", "Đăng ký kết hôn", online=OnlineLevel.FULL),
            make_procedure(
                "1.004227", "Chứng thực chữ ký", field="Chứng thực", levels=[Level.DISTRICT, Level.COMMUNE]
            ),
            make_procedure("1.000656", "Đăng ký khai tử", status=ProcedureStatus.AMENDED),
            make_procedure("1.000105", "Thủ tục đã bãi bỏ", status=ProcedureStatus.REPEALED),
            make_procedure("2.000889", "Cấp giấy phép xây dựng", field="Xây dựng", levels=[Level.PROVINCE]),
            make_procedure(
                "2.001000", "Thủ tục tỉnh đã thay thế", levels=[Level.PROVINCE], status="replaced"
            ),
            make_procedure("1.009999", "Thủ tục không có lĩnh vực", field=""),
        ]
    }


def codes(entries) -> list[str]:
    return [e.procedure.code for e in entries]


def test_by_default_every_active_procedure_of_the_units_level(world, catalogue):
    # Sorted by field (Chứng thực, Hộ tịch, then none) and code; repealed ones left out.
    assert codes(listing.procedures_for(world.commune_a)) == [
        "1.004227",
        "1.000656",
        "1.001022",
        "1.001193",
        "1.009999",
    ]
    assert codes(listing.procedures_for(world.danang)) == ["2.000889"]
    assert codes(listing.procedures_for(world.snv)) == ["2.000889"]  # an agency: the province's
    assert listing.procedure_level(world.commune_a) == Level.COMMUNE


def test_rows_remove_and_add(world, catalogue):
    a = world.commune_a
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.001022"], handles=False)
    UnitProcedure.objects.create(unit=a, procedure=catalogue["2.000889"], handles=True)
    UnitProcedure.objects.create(unit=a, procedure=catalogue["2.001000"], handles=True)  # replaced: not shown
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.000105"], handles=True)  # repealed: not shown
    entries = listing.procedures_for(a)
    assert codes(entries) == ["1.004227", "1.000656", "1.001193", "2.000889", "1.009999"]
    added = entries[3]
    assert added.handles and not added.by_default and added.row is not None
    everything = listing.procedures_for(a, include_not_handled=True)
    removed = next(e for e in everything if e.procedure.code == "1.001022")
    assert not removed.handles and removed.by_default
    # Commune B is not affected by commune A's rows.
    assert "1.001022" in codes(listing.procedures_for(world.commune_b))
    assert "2.000889" not in codes(listing.procedures_for(world.commune_b))


def test_listing_share(world, catalogue):
    a, today = world.commune_a, timezone.localdate()
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.001193"], listed_at_centre=today)
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.001022"], listed_on_website=today - 30 * DAY)
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.000656"], listed_by_qr=today + DAY)  # not yet
    UnitProcedure.objects.create(
        unit=a, procedure=catalogue["1.004227"], handles=False, listed_at_centre=today
    )
    UnitProcedure.objects.create(unit=a, procedure=catalogue["2.000889"], listed_at_centre=today)  # added
    assert listing.listing_share(a) == (3, 5)
    assert listing.listing_share(a, today - DAY) == (1, 5)  # only the website one was listed yesterday
    assert listing.listing_share(a, today + DAY) == (4, 5)
    assert listing.share(listing.procedures_for(a)) == (3, 5)
    assert listing.listing_share(world.commune_b) == (0, 5)
    assert listing.listing_share(world.danang) == (0, 1)
    units = [world.commune_a, world.commune_b, world.danang]
    assert listing.listing_shares(units) == {
        world.commune_a.pk: (3, 5),
        world.commune_b.pk: (0, 5),
        world.danang.pk: (0, 1),
    }
    assert listing.share_label(3, 5) == "Đã niêm yết 3/5 thủ tục (60,0%)"
    assert listing.share_label(120, 257) == "Đã niêm yết 120/257 thủ tục (46,7%)"
    assert listing.share_label(0, 0) == "Đã niêm yết 0/0 thủ tục (0,0%)"


def _bulk_catalogue(count: int) -> None:
    Procedure.objects.bulk_create(
        [
            make_procedure(f"9.{i:06d}", f"Thủ tục số {i}", field=f"Lĩnh vực {i % 7}", save=False)
            for i in range(count)
        ]
    )
    Procedure.objects.bulk_create(
        [
            make_procedure(f"8.{i:06d}", f"Thủ tục tỉnh {i}", levels=[Level.PROVINCE], save=False)
            for i in range(count)
        ]
    )


def _rows(unit, count: int) -> None:
    procedures = list(Procedure.objects.filter(code__startswith="9.").order_by("code")[:count])
    procedures += list(Procedure.objects.filter(code__startswith="8.").order_by("code")[:count])
    UnitProcedure.objects.bulk_create(
        [
            UnitProcedure(unit=unit, procedure=p, handles=i % 3 != 0, listed_at_centre=timezone.localdate())
            for i, p in enumerate(procedures)
        ]
    )


@pytest.mark.parametrize("function", ["procedures_for", "listing_share"])
def test_query_count_does_not_grow_with_the_catalogue(world, function):
    from units.models import Unit

    unit = Unit.objects.select_related("kind").get(pk=world.commune_a.pk)
    call = getattr(listing, function)
    _bulk_catalogue(10)
    _rows(unit, 5)
    with CaptureQueriesContext(connection) as few:
        small = call(unit)
    Procedure.objects.filter(code__regex=r"^[89]\.").delete()
    _bulk_catalogue(300)
    _rows(unit, 150)
    with CaptureQueriesContext(connection) as many:
        large = call(unit)
    assert len(few.captured_queries) == len(many.captured_queries) <= 2
    if function == "procedures_for":
        assert len(small) < len(large)
        assert len(large) == 300 - 50 + 100  # 1/3 of the rows remove one; the province rows add 100
    else:
        assert large == (200, 350)  # the handled rows are listed today


def test_listing_shares_for_many_units_in_two_queries(world, catalogue):
    from units.models import Unit

    units = list(Unit.objects.select_related("kind"))
    with CaptureQueriesContext(connection) as queries:
        shares = listing.listing_shares(units)
    assert len(queries.captured_queries) == 2
    assert shares == {u.pk: listing.listing_share(u) for u in units}


def test_mark_listed_at_centre(world, catalogue):
    a, today = world.commune_a, timezone.localdate()
    earlier = today - 10 * DAY
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.001022"], listed_at_centre=earlier)
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.000656"], listed_on_website=earlier)
    UnitProcedure.objects.create(unit=a, procedure=catalogue["1.004227"], handles=False)
    count = listing.mark_listed_at_centre(
        a,
        ["1.001193", "1.001022", "1.000656", "1.004227", "2.000889", "0.000000"],
        today,
        by=world.leader_a,
    )
    assert count == 2  # new row for 1.001193, existing row of 1.000656
    rows = {r.procedure.code: r for r in UnitProcedure.objects.filter(unit=a).select_related("procedure")}
    assert rows["1.001193"].listed_at_centre == today and rows["1.001193"].updated_by == world.leader_a
    assert rows["1.000656"].listed_at_centre == today and rows["1.000656"].listed_on_website == earlier
    assert rows["1.001022"].listed_at_centre == earlier  # an earlier listing is kept
    assert rows["1.004227"].listed_at_centre is None  # not handled by the unit
    assert "2.000889" not in rows  # of another level, not added by marking it
    assert listing.listing_share(a) == (3, 4)


def test_save_row(world, catalogue):
    a = world.commune_a
    row = listing.save_row(a, catalogue["2.000889"], {"listed_on_website": timezone.localdate()})
    assert row.handles is False  # another level: not handled until said so
    row = listing.save_row(a, catalogue["2.000889"], {"handles": True}, by=world.leader_a)
    assert row.handles and row.listed_on_website and row.updated_by == world.leader_a
    row = listing.save_row(a, catalogue["1.001193"], {"listed_by_qr": None})
    assert row.handles  # its own level: handled by default
    assert UnitProcedure.objects.filter(unit=a).count() == 2
