"""Every unit picker shows code, validity and parent: three "Phường Phú Thượng" (the 2025 ward and
two former ones) can be told apart."""

import datetime

import pytest
from django.urls import reverse

from conftest import make_unit
from units.admin import UnitForm
from units.forms import UnitChoiceField
from units.models import Unit

OLD = {"valid_from": None, "valid_to": datetime.date(2025, 6, 30)}


@pytest.fixture
def three_phu_thuong(world):
    hanoi = make_unit("01", "Thành phố Hà Nội", "thanh-pho-tw")
    make_unit("00103", "Phường Phú Thượng", "phuong", hanoi)
    old_hanoi = make_unit("01", "Thành phố Hà Nội", "thanh-pho-tw", **OLD)
    tay_ho = make_unit("003", "Quận Tây Hồ", "quan", old_hanoi, **OLD)
    make_unit("00103", "Phường Phú Thượng", "phuong", tay_ho, **OLD)
    hue = make_unit("46", "Tỉnh Thừa Thiên Huế", "tinh", **OLD)
    phu_vang = make_unit("478", "Huyện Phú Vang", "huyen", hue, **OLD)
    make_unit("19900", "Phường Phú Thượng", "phuong", phu_vang, **OLD)
    return world


def test_the_admin_autocomplete_labels_each_unit(client, three_phu_thuong):
    client.force_login(three_phu_thuong.admin)
    response = client.get(
        reverse("admin:units_unit_autocomplete"),
        {
            "term": "phu thuong",
            "app_label": "units",
            "model_name": "unitsuccession",
            "field_name": "predecessor",
        },
    )
    assert response.status_code == 200
    texts = sorted(r["text"] for r in response.json()["results"])
    assert texts == [
        "Phường Phú Thượng — 00103 · từ 01/07/2025 · Thành phố Hà Nội",
        "Phường Phú Thượng — 00103 · đến 30/06/2025 · Quận Tây Hồ",
        "Phường Phú Thượng — 19900 · đến 30/06/2025 · Huyện Phú Vang",
    ]


def test_the_admin_autocomplete_keeps_its_guard(client, three_phu_thuong):
    client.force_login(three_phu_thuong.reviewer)
    response = client.get(
        reverse("admin:units_unit_autocomplete"),
        {"term": "phu", "app_label": "units", "model_name": "unitsuccession", "field_name": "predecessor"},
    )
    assert response.status_code in (302, 403)


def test_the_succession_form_uses_the_labelled_picker(client, three_phu_thuong):
    client.force_login(three_phu_thuong.admin)
    response = client.get(reverse("admin:units_unitsuccession_add"))
    assert response.status_code == 200
    assert reverse("admin:units_unit_autocomplete") in response.text


def test_a_chosen_unit_shows_its_label(three_phu_thuong):
    unit = Unit.objects.get(code="19900")
    form = UnitForm(instance=Unit.objects.get(code="478"))
    field = UnitChoiceField(Unit.objects.filter(pk=unit.pk))
    assert [label for _value, label in field.choices][
        1
    ] == "Phường Phú Thượng — 19900 · đến 30/06/2025 · Huyện Phú Vang"
    assert form.fields["parent"].label_from_instance(Unit.objects.for_picker().get(code="46")) == (
        "Tỉnh Thừa Thiên Huế — 46 · đến 30/06/2025"
    )


def test_labels_cost_one_query_for_any_number_of_units(three_phu_thuong, django_assert_num_queries):
    field = UnitChoiceField(Unit.objects.all())
    with django_assert_num_queries(1):
        labels = [label for _value, label in field.choices]
    assert len(labels) == Unit.objects.count() + 1
