"""Catalogue search: folded words, code prefixes and exact filters, the same on SQLite and
PostgreSQL (run this file on both: the expected rows are spelled out, not compared)."""

from __future__ import annotations

import pytest
from django.db import connection

from procedures.models import Level, OnlineLevel, Procedure, ProcedureStatus
from procedures.search import matches, search, search_text_for

pytestmark = pytest.mark.django_db


def make_procedure(
    code: str,
    name: str,
    *,
    field: str = "Hộ tịch",
    levels: list[str] | None = None,
    online: str = OnlineLevel.NONE,
    status: str = ProcedureStatus.IN_FORCE,
    save: bool = True,
    **extra,
) -> Procedure:
    """A catalogue row as the importer writes it (search_text included)."""
    procedure = Procedure(
        code=code,
        name=name,
        field=field,
        levels=[Level.COMMUNE] if levels is None else levels,
        online_level=online,
        status=status,
        search_text=search_text_for(code, name),
        **extra,
    )
    if save:
        procedure.save()
    return procedure


@pytest.fixture
def catalogue():
    return {
        p.code: p
        for p in [
            make_procedure("1.001193", "Đăng ký khai sinh", online=OnlineLevel.PARTIAL),
            make_procedure("1.001156", "Đăng ký khai tử", online=OnlineLevel.FULL),
            make_procedure("1.001022", "Đăng ký kết hôn", online=OnlineLevel.FULL),
            make_procedure(
                "2.000889",
                "Cấp giấy phép xây dựng",
                field="Xây dựng",
                levels=[Level.PROVINCE, Level.DISTRICT],
                status=ProcedureStatus.AMENDED,
            ),
            make_procedure(
                "1.000105",
                "Thủ tục đăng ký cũ đã bãi bỏ",
                field="Hộ tịch",
                levels=[Level.PROVINCE],
                status=ProcedureStatus.REPEALED,
            ),
            # The level asked for in the last position a list can have.
            make_procedure(
                "3.000001",
                "Chứng thực bản sao từ bản chính",
                field="Chứng thực",
                levels=[Level.CENTRAL, Level.PROVINCE, Level.DISTRICT, Level.OTHER, Level.COMMUNE],
            ),
        ]
    }


def codes(queryset) -> list[str]:
    return list(queryset.order_by("code").values_list("code", flat=True))


def run(text: str = "", **filters) -> list[str]:
    return codes(search(Procedure.objects.all(), text, **filters))


def test_search_text_is_the_folded_code_and_name():
    assert search_text_for("1.001193", "Đăng ký  KHAI SINH") == "1.001193 dang ky khai sinh"


def test_words_without_diacritics_find_the_name(catalogue):
    assert run("dang ky khai sinh") == ["1.001193"]
    assert run("Đăng ký khai sinh") == ["1.001193"]
    assert run("  KHAI   sinh ") == ["1.001193"]
    assert run("sinh khai") == ["1.001193"]  # every word, in any order


def test_upper_case_finds_every_match(catalogue):
    assert run("DANG KY") == ["1.000105", "1.001022", "1.001156", "1.001193"]


def test_code_prefix(catalogue):
    assert run("1.0011") == ["1.001156", "1.001193"]
    assert run("2.") == ["2.000889"]
    assert run("1.001193") == ["1.001193"]


def test_filters_are_exact(catalogue):
    assert run(field="Xây dựng") == ["2.000889"]
    assert run(field="Xây") == []
    assert run(level=Level.DISTRICT) == ["2.000889", "3.000001"]  # the second position, the fourth
    assert run(level=Level.COMMUNE) == ["1.001022", "1.001156", "1.001193", "3.000001"]  # first, fifth
    assert run(level=Level.CENTRAL) == ["3.000001"]
    assert run(online=OnlineLevel.FULL) == ["1.001022", "1.001156"]
    assert run(online=OnlineLevel.PARTIAL) == ["1.001193"]
    assert run(online="khong") == ["1.000105", "2.000889", "3.000001"]
    assert run(status=ProcedureStatus.REPEALED) == ["1.000105"]
    assert run(status="active") == ["1.001022", "1.001156", "1.001193", "2.000889", "3.000001"]
    assert run("dang ky", field="Hộ tịch", online=OnlineLevel.FULL) == ["1.001022", "1.001156"]


def test_no_match(catalogue):
    assert run("khai sinh xay dung") == []
    assert run("9.99") == []
    assert run("khai sinh", level=Level.PROVINCE) == []
    assert run("100%") == [] and run("_") == []  # LIKE wildcards are literal


def test_empty_search_returns_everything(catalogue):
    assert len(run()) == len(catalogue) == len(run("   "))


def test_level_filter_agrees_with_json_containment(catalogue):
    if connection.vendor != "postgresql":
        pytest.skip("JSON containment (levels__contains) exists on PostgreSQL only")
    for level in Level.values:
        expected = codes(Procedure.objects.filter(levels__contains=[level]))
        assert run(level=level) == expected, level


@pytest.mark.parametrize(
    "text,filters",
    [
        ("dang ky", {}),
        ("1.0011", {}),
        ("", {"level": Level.DISTRICT}),
        ("", {"online": "khong"}),
        ("", {"status": "active"}),
        ("khai", {"online": OnlineLevel.FULL, "field": "Hộ tịch"}),
    ],
)
def test_matching_in_memory_agrees_with_the_database(catalogue, text, filters):
    in_memory = sorted(code for code, p in catalogue.items() if matches(p, text, **filters))
    assert in_memory == run(text, **filters)
