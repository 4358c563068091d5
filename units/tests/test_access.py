from units.access import Access
from units.models import Capability, Unit


def test_a_capability_reaches_the_unit_and_below(world):
    reviewer = Access(world.reviewer)
    assert Capability.REVIEW_REPORTS in reviewer.capabilities_at(world.commune_a)
    assert Capability.REVIEW_REPORTS in reviewer.capabilities_at(world.danang)
    assert reviewer.capabilities_at(world.commune_c) == frozenset()


def test_working_capabilities_stay_on_the_membership_unit(world):
    reviewer = Access(world.reviewer)  # Sở Nội vụ: review, manage plans and compile at the province
    assert Capability.MANAGE_PLANS in reviewer.capabilities_at(world.danang)
    assert reviewer.capabilities_at(world.commune_a) == {Capability.REVIEW_REPORTS}
    codes = set(
        Unit.objects.filter(reviewer.scope_q("path", Capability.MANAGE_PLANS)).values_list("code", flat=True)
    )
    assert codes == {"48"}


def test_an_officer_holds_only_their_roles_capabilities_in_their_commune(world):
    officer = Access(world.officer_a)
    assert officer.capabilities_at(world.commune_a) == {Capability.ENTER_PROGRESS}
    assert officer.capabilities_at(world.commune_b) == frozenset()
    assert officer.capabilities_at(world.danang) == frozenset()  # nothing reaches upward


def test_visibility_follows_the_subtrees(world):
    def visible(user):
        return set(Unit.objects.visible_to(Access(user)).values_list("code", flat=True))

    assert visible(world.officer_a) == {"20341"}
    assert visible(world.officer_b) == {"20335"}
    assert visible(world.other_reviewer) == {"51", "21100"}
    assert len(visible(world.admin)) == 6


def test_an_inactive_membership_or_user_sees_nothing(world):
    world.officer_a.memberships.update(is_active=False)
    assert not Unit.objects.visible_to(Access(world.officer_a)).exists()
    world.officer_b.is_active = False
    world.officer_b.save()
    assert not Unit.objects.visible_to(Access(world.officer_b)).exists()


def test_an_admin_reviews_and_administers_everywhere_but_does_not_sign(world):
    admin = Access(world.admin)
    caps = admin.capabilities_at(world.commune_c)
    assert {Capability.ADMINISTER, Capability.REVIEW_REPORTS} <= caps
    assert Capability.APPROVE_SIGN not in caps
    assert Capability.ENTER_PROGRESS not in caps


def test_root_units_skip_memberships_below_another(world):
    from conftest import grant

    grant(world.reviewer, world.commune_a, "phong-van-hoa-xa-hoi")
    assert Access(world.reviewer).root_unit_ids == [world.danang.pk]


def test_reach_runs_back_to_predecessors_for_reading_and_review_only(world):
    import datetime

    from conftest import make_unit
    from units.models import UnitSuccession

    old_province = make_unit(
        "49", "Tỉnh Quảng Nam", "tinh", valid_from=None, valid_to=datetime.date(2025, 6, 30)
    )
    old_ward = make_unit(
        "20375",
        "Phường Hòa Thuận",
        "phuong",
        old_province,
        valid_from=None,
        valid_to=datetime.date(2025, 6, 30),
    )
    UnitSuccession.objects.create(
        predecessor=old_ward, successor=world.commune_b, effective_date=datetime.date(2025, 7, 1)
    )

    officer_b = Access(world.officer_b)
    assert set(Unit.objects.visible_to(officer_b).values_list("code", flat=True)) == {"20335", "20375"}
    assert officer_b.capabilities_at(old_ward) == frozenset()  # sees it, cannot enter data
    reviewer = Access(world.reviewer)
    assert Capability.REVIEW_REPORTS in reviewer.capabilities_at(old_ward)
    assert Capability.MANAGE_PLANS not in reviewer.capabilities_at(old_ward)
    assert not Unit.objects.visible_to(Access(world.officer_a)).filter(code="20375").exists()
    assert not Unit.objects.visible_to(reviewer).filter(code="49").exists()  # only the linked ward
