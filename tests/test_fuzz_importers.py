"""Property-based tests: random and malformed files fed to every importer — the unit lists, a
plan's task sheet and the TTHC catalogue. Each must either read the file or refuse it with its
own error (a Vietnamese message), never raise anything else (a 500), and never write part of
an import."""

from __future__ import annotations

import datetime
import io
import json
import os
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plans import services as plans
from plans.models import Task
from plans.spreadsheets import SpreadsheetError, apply_task_import, read_task_sheet
from procedures import services as procedures
from procedures.models import ImportBatch, Procedure
from procedures.reading import ReadError, read_procedures
from units.importers import UnitFileError, read_unit_file
from units.models import Unit
from units.services import UnitImportError, apply_unit_import, plan_unit_import

pytestmark = pytest.mark.django_db
SAMPLE = (
    Path(__file__).resolve().parents[1] / "procedures" / "data" / "tthc-portal-export-sample.xlsx"
).read_bytes()
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x1EFF), max_size=40
) | st.sampled_from(["=SUM(A1:A3)", "1.001193", "Mã số", "Tên", "STT", "Lĩnh vực", "A. CẤP TỈNH", "", "  "])
cells = (
    st.none()
    | texts
    | st.integers(-(10**6), 10**9)
    | st.floats(allow_nan=True)
    | st.dates(min_value=datetime.date(1900, 1, 1))
)


@st.composite
def workbooks(draw) -> bytes:
    """A workbook with random cells, sometimes a plausible header, sometimes merged cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=7), max_size=25))
    if draw(st.booleans()):
        rows.insert(
            draw(st.integers(0, min(5, len(rows)))), ["STT", "Mã số", "Tên", "Lĩnh vực", "Cơ quan thực hiện"]
        )
    for row in rows:
        sheet.append([c if not isinstance(c, str) or len(c) < 30000 else c[:100] for c in row])
    if rows and draw(st.booleans()):
        top = draw(st.integers(1, len(rows)))
        sheet.merge_cells(start_row=top, start_column=1, end_row=top + draw(st.integers(0, 3)), end_column=2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def damaged(draw, original: bytes) -> bytes:
    """A real file truncated or with bytes changed."""
    data = bytearray(original)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    for _ in range(draw(st.integers(0, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


csv_files = st.lists(st.lists(texts, max_size=6), max_size=20).map(
    lambda rows: "\n".join(",".join(r) for r in rows).encode(
        "utf-8-sig" if rows and rows[0] and rows[0][0].startswith("M") else "utf-8", "surrogatepass"
    )
)
any_bytes = st.binary(max_size=3000)


# --- the TTHC catalogue --------------------------------------------------------------------------------


@FUZZ
@given(
    content=any_bytes | workbooks() | damaged(SAMPLE) | csv_files,
    name=st.sampled_from(["a.xlsx", "a.csv", "a"]),
)
def test_procedure_imports_never_fail_nor_half_write(content, name):
    before = (Procedure.objects.count(), ImportBatch.objects.count())
    try:
        sheet = read_procedures(content, name, max_bytes=2 * 1024 * 1024)
    except ReadError as exc:
        assert str(exc)
        return
    plan = procedures.plan_import(sheet)
    try:
        batch = procedures.apply_import(plan, source_name=name, content=content, skip_invalid=True)
    except procedures.ImportRefused:
        assert (Procedure.objects.count(), ImportBatch.objects.count()) == before
        return
    if batch is None:
        assert (Procedure.objects.count(), ImportBatch.objects.count()) == before
    else:
        assert Procedure.objects.count() == before[0] + batch.added


# --- the unit lists ----------------------------------------------------------------------------------------------

unit_json = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["Code", "Name", "FullName", "Wards", "level1_id", "level2s", "level3s", "name", "type"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
).map(lambda value: json.dumps(value, ensure_ascii=False).encode())


@FUZZ
@given(content=any_bytes | unit_json)
def test_unit_imports_never_fail_nor_half_write(content):
    before = Unit.objects.count()
    try:
        parsed = read_unit_file(content, max_bytes=1024 * 1024)
        plan = plan_unit_import(parsed)
        apply_unit_import(plan, source_name="fuzz.json")
    except (UnitFileError, UnitImportError) as exc:
        assert str(exc)
        assert Unit.objects.count() == before


# --- a plan's task sheet -----------------------------------------------------------------------------------------


@pytest.fixture
def draft_plan(world):
    return plans.create_plan(world.commune_a, 2031, by=world.leader_a)


@FUZZ
@given(content=any_bytes | workbooks() | csv_files, name=st.sampled_from(["a.xlsx", "a.csv"]))
def test_task_imports_never_fail_nor_half_write(draft_plan, content, name):
    before = Task.objects.filter(plan=draft_plan).count()
    try:
        preview = read_task_sheet(content, name, draft_plan)
    except SpreadsheetError as exc:
        assert str(exc)
        return
    try:
        apply_task_import(preview, skip_invalid=True)
    except Exception as exc:  # the importer's own refusals are messages, not crashes
        assert exc.__class__.__name__.endswith("Error"), repr(exc)
        assert Task.objects.filter(plan=draft_plan).count() == before
