import datetime

import pytest
from django.urls import reverse

from conftest import grant, make_unit
from units.models import Unit, UnitSuccession


def test_the_directory_lists_the_users_scope(as_persona, world):
    response = as_persona("reviewer").get(reverse("units:directory"))
    assert response.status_code == 200
    assert [u.code for u, _ in response.context["rows"]] == ["48"]
    response = as_persona("officer_a").get(reverse("units:directory"))
    assert [u.code for u, _ in response.context["rows"]] == ["20341"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tam ky", ["20341"]),
        ("TAM KỲ", ["20341"]),
        ("ĐÀ NẴNG", ["48"]),
        ("da nang", ["48"]),
        ("ban thach", ["20335"]),
        ("20335", ["20335"]),
        ("tinh khe", []),  # another province: outside the reviewer's scope
        ("thach ban", []),
    ],
)
def test_search_ignores_diacritics_and_case_within_scope(as_persona, world, query, expected):
    response = as_persona("reviewer").get(reverse("units:directory"), {"q": query})
    assert sorted(u.code for u, _ in response.context["rows"]) == expected


def test_search_shows_where_each_unit_is(as_persona, world):
    response = as_persona("reviewer").get(reverse("units:directory"), {"q": "tam ky"})
    [(_unit, ancestors)] = response.context["rows"]
    assert [(a.code, visible) for a, visible in ancestors] == [("48", True)]
    response = as_persona("officer_a").get(reverse("units:directory"), {"q": "tam ky"})
    [(_unit, ancestors)] = response.context["rows"]
    assert [(a.code, visible) for a, visible in ancestors] == [("48", False)]
    assert "Thành phố Đà Nẵng" in response.text
    assert f'href="{reverse("units:detail", args=[world.danang.pk])}"' not in response.text


def test_the_htmx_search_returns_only_the_results(as_persona, world):
    response = as_persona("reviewer").get(
        reverse("units:directory"), {"q": "ban"}, headers={"HX-Request": "true"}
    )
    assert response.text.lstrip().startswith('<div id="results"')
    assert "<html" not in response.text
    assert "Phường Bàn Thạch" in response.text


def test_historical_units_show_only_on_request(as_persona, world):
    make_unit("49", "Tỉnh Quảng Nam", "tinh", valid_from=None, valid_to=datetime.date(2025, 6, 30))
    client = as_persona("admin")
    current = client.get(reverse("units:directory"))
    assert "49" not in [u.code for u, _ in current.context["rows"]]
    everything = client.get(reverse("units:directory"), {"all": "on"})
    assert "49" in [u.code for u, _ in everything.context["rows"]]


def test_bad_filters_are_ignored_not_errors(as_persona, world):
    client = as_persona("reviewer")
    assert client.get(reverse("units:directory"), {"q": "x" * 500, "page": "abc"}).status_code == 200
    url = reverse("units:detail", args=[world.danang.pk])
    assert client.get(url, {"kind": "not-a-number", "page": "-1"}).status_code == 200


def test_a_unit_page_shows_children_document_lines_and_members(as_persona, world):
    response = as_persona("reviewer").get(reverse("units:detail", args=[world.danang.pk]))
    assert response.status_code == 200
    assert [u.code for u in response.context["page"].object_list] == ["20335", "20341", "48-SNV"]
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG" in response.text
    assert "Hoàng Thị Mai" in response.text  # the reviewer is a member here


def test_a_unit_page_costs_the_same_queries_with_more_children(as_persona, world, django_assert_num_queries):
    client = as_persona("reviewer")
    url = reverse("units:detail", args=[world.danang.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(20):
        make_unit(f"{21000 + i}", f"Xã Mới {i}", "xa", Unit.objects.get(pk=world.danang.pk))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_unit_page_shows_its_merger_history(as_persona, world):
    old = make_unit(
        "20375", "Phường Hòa Thuận", "phuong", valid_from=None, valid_to=datetime.date(2025, 6, 30)
    )
    UnitSuccession.objects.create(
        predecessor=old, successor=world.commune_b, effective_date=datetime.date(2025, 7, 1)
    )
    response = as_persona("admin").get(reverse("units:detail", args=[world.commune_b.pk]))
    assert "Hình thành từ" in response.text
    assert "Phường Hòa Thuận" in response.text


def test_a_unit_history_lists_who_changed_what(as_persona, world):
    grant(world.officer_b, world.commune_a, "to-cong-nghe-so")
    unit = Unit.objects.get(pk=world.commune_a.pk)
    unit.place_name = "Tam Kỳ (mới)"
    unit._change_reason = "Sửa địa danh"
    unit.save()
    response = as_persona("leader_a").get(reverse("units:history", args=[unit.pk]))
    assert response.status_code == 200
    entries = response.context["entries"]
    assert any(e.action == "Sửa" and any(c.new == "Tam Kỳ (mới)" for c in e.changes) for e in entries)
    assert any(e.model_name == "phân công" for e in entries)


def test_home_shows_what_each_persona_needs(as_persona, world):
    officer = as_persona("officer_a").get(reverse("home")).text
    assert 'id="attention-progress"' in officer and 'id="attention-review"' not in officer
    reviewer = as_persona("reviewer").get(reverse("home"))
    assert reviewer.context["subordinate_counts"]["commune"] == 2
    assert 'id="attention-review"' in reviewer.text
    leader = as_persona("leader_a").get(reverse("home")).text
    assert 'id="attention-sign"' in leader
    admin = as_persona("admin").get(reverse("home")).text
    assert 'id="attention-admin"' in admin


def test_home_explains_a_user_without_membership(client, db):
    from conftest import make_user

    client.force_login(make_user("moi"))
    assert "Tài khoản chưa được phân công" in client.get(reverse("home")).text
