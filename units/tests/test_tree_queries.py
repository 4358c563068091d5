"""Subtree and ancestor queries cost one SQL query whatever the depth or size of the tree."""

import datetime

import pytest

from conftest import make_unit
from units.access import Access
from units.models import Unit


@pytest.fixture
def deep_tree(db):
    old = {"valid_from": None, "valid_to": datetime.date(2025, 6, 30)}
    province = make_unit("49", "Tỉnh Quảng Nam", "tinh", **old)
    district = make_unit("502", "Thành phố Tam Kỳ", "thanh-pho-thuoc-tinh", province, **old)
    communes = [make_unit(f"{20335 + i:05d}", f"Phường Số {i}", "phuong", district, **old) for i in range(12)]
    small = make_unit("48", "Thành phố Đà Nẵng", "thanh-pho-tw")
    make_unit("20341", "Phường Tam Kỳ", "phuong", small)
    return (
        Unit.objects.get(pk=province.pk),
        Unit.objects.get(pk=district.pk),
        communes,
        Unit.objects.get(pk=small.pk),
    )


def test_a_subtree_is_one_query_at_any_size(deep_tree, django_assert_num_queries):
    province, district, communes, small = deep_tree
    for root, size in ((province, 14), (district, 13), (small, 2), (communes[0], 1)):
        with django_assert_num_queries(1):
            assert len(list(Unit.objects.subtree(root))) == size


def test_ancestors_are_one_query_at_any_depth(deep_tree, django_assert_num_queries):
    province, district, communes, _small = deep_tree
    with django_assert_num_queries(1):
        assert [a.code for a in Unit.objects.ancestors(communes[3])] == ["49", "502"]
    with django_assert_num_queries(1):
        assert [a.code for a in Unit.objects.ancestors(district)] == ["49"]
    with django_assert_num_queries(1):
        assert [a.code for a in Unit.objects.ancestors(communes[3], include_self=True)] == [
            "49",
            "502",
            "20338",
        ]
    assert list(Unit.objects.ancestors(province)) == []


def test_visible_units_cost_one_query_after_the_memberships(world, django_assert_num_queries):
    access = Access(world.reviewer)
    with django_assert_num_queries(3):  # memberships, succession links they reach, then the units
        codes = set(Unit.objects.visible_to(access).values_list("code", flat=True))
    assert codes == {"48", "20341", "20335", "48-SNV"}


def test_the_tree_stays_consistent(deep_tree):
    assert Unit.objects.find_problems() == ([], [], [], [], [])
