"""One home for formatting: Vietnamese numbers and dates (cchc_portal/lib/formatting.py and its
filters), Excel exports in local time with real values (cchc_portal/lib/xlsx.py), and the NĐ 30
header and symbol rules (cchc_portal/lib/nd30.py) that every PDF document draws the same way."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cchc_portal.lib import formatting, nd30, xlsx
from cchc_portal.lib.documents import render_pdf
from documents.models import DocumentType, OutgoingDocument
from documents.services import document_symbol, record_paper_document
from plans.document import build as build_plan_document
from plans.document import load_plan
from plans.pdf import plan_html
from plans.services import authority_name
from plans.tests.test_pdf import columns, find, normalised, pages_words
from procedures.views import listing_context
from reports import services
from reports.models import EntryStatus, Report, ReportEvent
from reports.pdf import build as build_report_document
from reports.pdf import report_html
from reports.tests.conftest import build_reporting, cascade
from units.models import Unit, UnitKind
from units.services import default_document_lines

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# 10:57 UTC is 17:57 in Hà Nội (UTC+7, no daylight saving).
INSTANT = datetime.datetime(2026, 3, 31, 10, 57, 30, tzinfo=UTC)
LOCAL = datetime.datetime(2026, 3, 31, 17, 57, 30)


# --- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3000, "3.000"),
        (Decimal("3000.00"), "3.000"),
        (Decimal("12.50"), "12,5"),
        (12.5, "12,5"),
        (Decimal("1234.5"), "1.234,5"),
        (Decimal("1234567.25"), "1.234.567,25"),
        (Decimal("0.00"), "0"),
        (Decimal("33.333333"), "33,33"),  # an average: two decimals at most
        (Decimal("1E+3"), "1.000"),
        (None, ""),
    ],
)
def test_numbers_are_grouped_with_dots_and_decimals_after_a_comma(value, expected):
    assert formatting.number(value) == expected


def test_numbers_for_an_input_are_not_grouped_and_read_back_the_same():
    assert formatting.number(Decimal("3000.00"), grouping=False) == "3000"
    assert formatting.number(Decimal("1234.50"), grouping=False) == "1234,5"
    for value in (Decimal("3000"), Decimal("1234.5"), Decimal("12.5")):
        assert formatting.parse_number(formatting.number(value)) == value
        assert formatting.parse_number(formatting.number(value, grouping=False)) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.000", Decimal("3000")),
        ("1.234,5", Decimal("1234.5")),
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),  # typed on an English keyboard
        ("1 500", Decimal("1500")),
        ("7", Decimal("7")),
        ("1.500", Decimal("1500")),  # never 1,5
        ("1.234.567", Decimal("1234567")),
        ("1.50", Decimal("1.5")),  # a point before two final digits is no thousands group
        ("0,125", Decimal("0.125")),
        ("  -3 ", Decimal("-3")),
    ],
)
def test_numbers_are_read_as_vietnamese_write_them(text, expected):
    assert formatting.parse_number(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "3.000.5,1,2", "1e5", "NaN", "Infinity", "12."])
def test_a_text_that_is_not_a_number_is_refused(text):
    with pytest.raises(formatting.NotANumber):
        formatting.parse_number(text)


@pytest.mark.parametrize(
    "text", ["1,234.5", "1.234.5", "1,5,0", "1,5.000", "0.125", "1234.567", "1.2345", "1.500 000"]
)
def test_an_ambiguous_number_is_refused_quoting_exactly_what_was_typed(text):
    with pytest.raises(formatting.NotANumber) as refused:
        formatting.parse_number(f" {text}\t")
    assert refused.value.message.startswith(f"“{text}” không rõ là số nào")
    assert "Ví dụ: 1.234,5" in refused.value.message


def test_percents_are_rounded_not_cut():
    assert formatting.percent(120 * 100 / 257, 1) == "46,7%"  # 46,69…
    assert formatting.percent(100) == "100%"
    assert formatting.percent(Decimal("12.5"), None) == "12,5%"
    assert formatting.megabytes(13_107_200) == "12,5" and formatting.megabytes(10 * 1024 * 1024) == "10"


def test_documents_are_vietnamese_whatever_language_is_active():
    with translation.override("en"):
        assert formatting.number(Decimal("1234.5")) == "1.234,5"
        assert formatting.short_date(datetime.date(2026, 3, 31)) == "31/03/2026"
    with translation.override(None):  # no language, as under @no_translations (management commands)
        assert formatting.number(3000) == "3.000"
        assert formatting.short_date(datetime.date(2026, 1, 5)) == "05/01/2026"


# --- dates and times --------------------------------------------------------------------------------


def test_dates_and_times_are_local_and_day_first():
    assert formatting.short_date(datetime.date(2026, 1, 5)) == "05/01/2026"
    assert formatting.short_date(datetime.datetime(2026, 3, 31, 20, 0, tzinfo=UTC)) == "01/04/2026"
    assert formatting.short_datetime(INSTANT) == "31/03/2026 17:57"
    assert formatting.time_of_day(INSTANT) == "17:57"
    assert formatting.time_of_day(INSTANT, seconds=True) == "17:57:30"
    # the template filter and the Python function apply the same rule
    rendered = Template('{{ d|date:"SHORT_DATE_FORMAT" }} {{ t|date:"SHORT_DATETIME_FORMAT" }}').render(
        Context({"d": datetime.date(2026, 3, 31), "t": INSTANT})
    )
    assert rendered == "31/03/2026 31/03/2026 17:57"


def test_objects_name_their_moment_in_local_time():
    assert str(ReportEvent(at=INSTANT, action=ReportEvent.Action.SUBMITTED)).endswith("31/03/2026 17:57")


# --- templates: quantities grouped, years and ids never -------------------------------------------


def test_template_filters():
    template = Template(
        "{{ a|number }} {{ b|number }} {{ b|number_input }} {{ a|number_input }} {{ c|percent }} "
        "{{ c|percent:1 }} [{{ n|number }}]"
    )
    rendered = template.render(Context({"a": 3000, "b": Decimal("12.50"), "c": 46.69, "n": ""}))
    assert rendered == "3.000 12,5 12,5 3000 47% 46,7% []"


def test_a_year_or_an_id_is_never_grouped():
    # USE_THOUSAND_SEPARATOR stays off: every {{ year }} and {{ pk }} in the templates (hrefs,
    # form values, data attributes) would otherwise print "2.026" and "12.345".
    assert not django_settings.USE_THOUSAND_SEPARATOR
    rendered = Template(
        '{{ year }} <a href="/x/{{ pk }}/">{% blocktranslate with y=year %}năm {{ y }}{% endblocktranslate %}</a>'
    ).render(Context({"year": 2026, "pk": 12345}))
    assert rendered == '2026 <a href="/x/12345/">năm 2026</a>'


def _big_commune(w) -> Unit:
    """A commune whose id has five digits, as ids have in production."""
    kind = UnitKind.objects.get(code="phuong")
    danang = Unit.objects.get(pk=w.danang.pk)
    unit = Unit(
        pk=12345,
        code="20305",
        name="Hòa Cường",
        full_name="Phường Hòa Cường",
        kind=kind,
        valid_from=w.danang.valid_from,
    )
    for name, value in default_document_lines(kind, unit.name, unit.full_name, danang).items():
        setattr(unit, name, value)
    unit.refresh_derived_fields()
    return Unit.objects.add_child(danang, instance=unit)


def test_pages_print_years_and_ids_as_they_are(world, as_persona):
    w = build_reporting(world)
    big = _big_commune(w)
    cascade(big, w.province_plan, issued_on=datetime.date(w.year, 2, 1))
    client = as_persona("reviewer")
    overview = client.get(reverse("reports:overview", args=[w.danang.pk, w.annual.code])).text
    assert "Phường Hòa Cường" in overview and 'value="12345"' in overview  # the "Nhắc" button
    grouped_year = formatting.number(w.year)
    assert "12.345" not in overview and grouped_year not in overview
    register = client.get(reverse("documents:register", args=[big.pk]) + f"?year={w.year}").text
    assert f"?year={w.year}" in register and grouped_year not in register


# --- a report and its roll-up show 3.000 and 12,5 ----------------------------------------------------


def _enter(report: Report, amount: str, *, by) -> None:
    """Every task of the report done, each target's result typed as `amount`."""
    for entry in report.entries.select_related("task").prefetch_related("task__targets"):
        data = {"status": EntryStatus.DONE_ON_TIME, "narrative": "Đã thực hiện"}
        for target in entry.task.targets.all():
            data[f"target_{target.pk}"] = amount
        values, errors = services.parse_entry(entry, data)
        assert not errors, errors
        services.save_entry(entry, values, expected_version=None, by=by)


@pytest.fixture
def submitted(world):
    """Communes A and B report the year: A typed 12,5 programmes, B typed 2.987,5; both sent."""
    w = build_reporting(world)
    w.report_a = services.open_report(w.commune_a, w.annual)
    w.report_b = services.open_report(w.commune_b, w.annual)
    _enter(w.report_a, "12,5", by=w.officer_a)
    _enter(w.report_b, "2.987,5", by=w.officer_b)
    for report in (w.report_a, w.report_b):
        services.submit(report, by=w.leader_a)
    Report.objects.filter(pk=w.report_a.pk).update(submitted_at=INSTANT.replace(year=w.year))
    return w


def test_the_report_and_the_rollup_show_vietnamese_numbers(submitted, as_persona):
    w = submitted
    client = as_persona("reviewer")
    report_page = client.get(reverse("reports:report", args=[w.commune_a.pk, w.annual.code])).text
    assert "Chuyên đề phát thanh: 12,5/12 chuyên đề" in report_page
    rollup = client.get(reverse("reports:rollup", args=[w.danang.pk, w.annual.code])).text
    # 12,5 + 2.987,5: three thousand programmes, summed by the database
    assert "Chuyên đề phát thanh: 3.000 chuyên đề" in rollup
    assert "3000" not in rollup and "2987.5" not in rollup
    overview = client.get(reverse("reports:overview", args=[w.danang.pk, w.annual.code])).text
    assert f"31/03/{w.year} 17:57" in overview  # sent at 10:57 UTC


def test_the_report_narrative_and_pdf_write_vietnamese_numbers(submitted):
    w = submitted
    results = services.compose_results(w.report_b)
    assert "Chuyên đề phát thanh: 2.987,5 chuyên đề" in results
    html = report_html(w.report_b)
    assert "Chuyên đề phát thanh: 12 chuyên đề / 2.987,5" in " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_rollup_export_holds_local_times_and_numbers(submitted, as_persona):
    w = submitted
    export = as_persona("reviewer").get(reverse("reports:rollup_export", args=[w.danang.pk, w.annual.code]))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.title == "Tổng hợp báo cáo"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=3) if row[0].value}
    sent = rows["Phường Tam Kỳ"][2]
    assert sent.value == LOCAL.replace(year=w.year, second=30) and sent.number_format == "dd/mm/yyyy hh:mm"
    [total] = [row for row in sheet.iter_rows(min_row=3) if row[1].value == "Chuyên đề phát thanh"]
    assert total[2].value == 3000 and total[2].number_format == xlsx.INTEGRAL_FORMAT


def test_the_register_export_holds_local_times_and_dates(world, as_persona):
    document = record_paper_document(
        world.commune_a, DocumentType.PLAN, issued_on=datetime.date(2026, 3, 31), subject="Tuyên truyền CCHC"
    )
    OutgoingDocument.objects.filter(pk=document.pk).update(signed_at=INSTANT)
    export = as_persona("reviewer").get(
        reverse("documents:register_export", args=[world.commune_a.pk]) + "?year=2026"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.title == "Sổ văn bản đi 2026"
    header = [c.value for c in sheet[2]]
    [row] = [r for r in sheet.iter_rows(min_row=3) if r[0].value == "01/KH-UBND"]
    issued, signed = row[header.index("Ngày ban hành")], row[header.index("Ký lúc")]
    assert issued.value == datetime.datetime(2026, 3, 31) and issued.number_format == "dd/mm/yyyy"
    assert signed.value == LOCAL.replace(second=30) and signed.number_format == "dd/mm/yyyy hh:mm"


def test_the_one_writer():
    content = xlsx.table_xlsx(
        sheet="Bảng: thử/nghiệm [1]",
        title="=TIÊU ĐỀ",
        header=["Lúc", "Ngày", "Số lượng", "Tỷ lệ", "Năm", "Ghi chú"],
        rows=[[INSTANT, datetime.date(2026, 1, 5), Decimal("3000.00"), 12.5, 2026, "=1+1\x07"], []],
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.title == "Bảng thử nghiệm 1"
    assert sheet["A1"].value == "'=TIÊU ĐỀ"
    row = sheet[3]
    assert [c.value for c in row] == [LOCAL, datetime.datetime(2026, 1, 5), 3000, 12.5, 2026, "'=1+1"]
    assert [c.number_format for c in row] == [
        "dd/mm/yyyy hh:mm",
        "dd/mm/yyyy",
        "#,##0",
        "#,##0.##",
        "General",  # a year stays 2026
        "General",
    ]


# --- the NĐ 30 rules in one module -----------------------------------------------------------------


def _unit(own: str, default: str) -> SimpleNamespace:
    return SimpleNamespace(body_symbol=own, kind=SimpleNamespace(default_symbol=default))


def test_the_body_symbol_falls_back_to_the_kind_then_ubnd():
    assert nd30.body_symbol(_unit("SNV", "UBND")) == "SNV"
    assert nd30.body_symbol(_unit("", "BQL")) == "BQL"
    assert nd30.body_symbol(_unit("", "")) == nd30.DEFAULT_BODY_SYMBOL == "UBND"
    assert nd30.symbol("KH", "UBND") == "KH-UBND"


def test_every_use_of_the_symbol_goes_through_the_one_rule(world):
    unit = Unit.objects.select_related("kind").get(pk=world.commune_a.pk)
    unit.body_symbol = ""
    unit.kind.default_symbol = ""
    assert document_symbol(DocumentType.PLAN, unit) == "KH-UBND"
    assert authority_name(unit) == "UBND phường Tam Kỳ"
    lines = default_document_lines(unit.kind, "Hòa Cường", "Phường Hòa Cường", unit)
    assert lines["parent_authority_line"] == "UBND PHƯỜNG TAM KỲ"
    unit.kind.default_symbol = "BQL"
    assert document_symbol(DocumentType.REPORT, unit) == "BC-BQL"
    assert authority_name(unit) == "BQL phường Tam Kỳ"


def test_place_date_and_citations():
    assert nd30.place_date_line("", datetime.date(2026, 1, 5)) == "Ngày 05 tháng 01 năm 2026"
    assert nd30.citation_date(datetime.date(2022, 3, 24)) == "24/3/2022"
    assert (
        nd30.cited_plan(
            "71/KH-UBND", datetime.date(2022, 3, 24), "UBND thành phố Tam Kỳ", "Tuyên truyền CCHC"
        )
        == "Kế hoạch số 71/KH-UBND ngày 24/3/2022 của UBND thành phố Tam Kỳ về tuyên truyền CCHC"
    )


# --- every PDF document extends the one base, and draws the same header ----------------------------

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"
BASE = '{% extends "documents/nd30_base.html" %}'


def test_every_pdf_template_extends_the_one_base():
    pdf_templates = sorted(TEMPLATES.glob("**/*_pdf.html"))
    assert {p.relative_to(TEMPLATES).as_posix() for p in pdf_templates} >= {
        "plans/plan_pdf.html",
        "reports/report_pdf.html",
        "procedures/listing_pdf.html",
    }
    for path in pdf_templates:
        assert path.read_text().startswith(BASE), path
    # The Quốc hiệu and Tiêu ngữ are written in nd30.py only; templates print header.quoc_hieu.
    for path in TEMPLATES.glob("**/*.html"):
        text = path.read_text()
        assert nd30.QUOC_HIEU not in text and nd30.TIEU_NGU not in text, path


def _read_header(pdf: bytes, title_word: str) -> tuple[str, str]:
    """The header's two columns read back from page 1 (poppler), above the document's title."""
    first = pages_words(pdf)[0]
    title = find(first, title_word)
    header = [word for word in first if word.y2 < title.y1]
    left, right = columns(header, find(header, "CỘNG").x1)
    return normalised(left), normalised(right)


def _expected(header: nd30.Header) -> tuple[str, str]:
    left = normalised(" ".join([header.parent_authority, *header.authority_lines, header.number]))
    # Unnumbered, the date is a field the văn thư fills when issuing: nothing printed there yet.
    place_date = "" if header.fields else header.place_date
    right = normalised(" ".join([nd30.QUOC_HIEU, nd30.TIEU_NGU, place_date]))
    return left, right


def test_the_plan_report_and_listing_pdfs_draw_the_same_header(world):
    w = build_reporting(world)
    report = services.open_report(w.commune_a, w.annual)
    listing = listing_context(w.commune_a)
    documents = [
        ("KẾ", plan_html(w.plan_a), build_plan_document(load_plan(w.plan_a.pk)).header),
        ("BÁO", report_html(report), build_report_document(report).header),
        ("BẢNG", render_to_string("procedures/listing_pdf.html", listing), listing["header"]),
    ]
    for title_word, page, header in documents:
        assert page.count('class="nd30-header"') == 1
        left, right = _read_header(render_pdf(page).pdf, title_word)
        assert (left, right) == _expected(header)
        assert left.startswith("UBND THÀNH PHỐ ĐÀ NẴNG ỦY BAN NHÂN DÂN PHƯỜNG TAM KỲ"), left
        assert right.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"), right
    plan_left, plan_right = _expected(documents[0][2])
    assert plan_left.endswith("Số: 01/KH-UBND") and plan_right.endswith(
        f"Tam Kỳ, ngày 01 tháng 02 năm {w.year}"
    )
    report_left, report_right = _expected(documents[1][2])
    # Not yet numbered: "Số: /BC-UBND" with the number's blank, the date left to its field.
    assert report_left.endswith("Số: /BC-UBND") and report_right.endswith("Hạnh phúc")
    assert "Số:" not in _expected(documents[2][2])[0]  # a listing board has no number
