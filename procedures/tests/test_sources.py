"""Re-importing several sources never repeals by mistake and, after the first pass, changes
nothing, in any order; a commune's audited list with ASCII headers; damaged diacritics; a
provincial appendix over the national catalogue. Built on generated files of the real shapes."""

from __future__ import annotations

import io
import itertools

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from procedures import services
from procedures.models import ImportBatch, Procedure, ProcedureChange, ProcedureStatus, SourceListing
from procedures.reading import read_procedures

pytestmark = pytest.mark.django_db

CA, XD, TP = "Bộ Công an", "Bộ Xây dựng", "Bộ Tư pháp"


def portal_export(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """The national portal's export: a merged title cell, the header on row 2, one agency per line."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập – Tự do – Hạnh phúc\n\nDANH SÁCH THỦ TỤC HÀNH CHÍNH"]
    )
    sheet.merge_cells("A1:E1")
    sheet.append(["Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Bộ Công an's export holds one procedure issued by Bộ Xây dựng (1.003133), which Bộ Xây dựng's
# own export lacks; Bộ Tư pháp's holds one of Bộ Công an's under a shorter name.
SOURCES = {
    "BoCongAn.xlsx": portal_export(
        [
            ("1.001001", "Đăng ký thường trú", CA, "Công an cấp xã", "Đăng ký, quản lý cư trú"),
            ("1.001002", "Cấp căn cước", CA, "Công an cấp tỉnh\nCông an cấp xã", "Căn cước"),
            ("1.003133", "Cấp chứng chỉ hành nghề phòng cháy", XD, "Cục Cảnh sát PCCC", "Phòng cháy"),
        ]
    ),
    "BoXayDung.xlsx": portal_export(
        [
            ("1.002001", "Cấp giấy phép xây dựng", XD, "Ủy ban nhân dân cấp tỉnh\nSở Xây dựng", "Xây dựng"),
            ("1.002002", "Cấp chứng chỉ năng lực", XD, "Sở Xây dựng", "Xây dựng"),
            ("1.002003", "Thẩm định thiết kế", XD, "Chi cục Giám định xây dựng", "Xây dựng"),
        ]
    ),
    "BoTuPhap.xlsx": portal_export(
        [
            ("1.004001", "Đăng ký khai sinh", TP, "Ủy ban nhân dân cấp xã", "Hộ tịch"),
            ("1.004002", "Chứng thực bản sao", TP, "Ủy ban nhân dân cấp xã\nPhòng Tư pháp", "Chứng thực"),
            ("1.001001", "Đăng ký cư trú", CA, "Công an cấp xã", ""),
        ]
    ),
}


def import_file(name: str, content: bytes | None = None, **options) -> ImportBatch | None:
    content = SOURCES[name] if content is None else content
    plan = services.plan_import(read_procedures(content, name), **options)
    return services.apply_import(plan, source_name=name, content=content)


def catalogue() -> list[tuple]:
    return list(
        Procedure.objects.order_by("code").values_list(
            "code", "name", "local_name", "source", "ministry", "agencies", "levels", "field", "status"
        )
    )


@pytest.mark.parametrize("order", list(itertools.permutations(SOURCES)), ids="-".join)
def test_every_source_in_any_order_twice_changes_nothing_after_the_first_pass(order):
    for name in order:
        import_file(name)
    after_first = catalogue()
    batches, changes = ImportBatch.objects.count(), ProcedureChange.objects.count()
    listings = sorted(SourceListing.objects.values_list("scope", "procedure__code"))
    for name in order:
        plan = services.plan_import(read_procedures(SOURCES[name], name))
        assert not plan.has_changes, (name, plan.counts, [(r.row.code, r.diff) for r in plan.of("changed")])
        assert import_file(name) is None
    assert catalogue() == after_first
    assert (ImportBatch.objects.count(), ProcedureChange.objects.count()) == (batches, changes)
    assert sorted(SourceListing.objects.values_list("scope", "procedure__code")) == listings
    # Nothing was repealed, whatever the order, and the outcome is the same in every order.
    assert not Procedure.objects.filter(status=ProcedureStatus.REPEALED).exists()
    assert after_first == EXPECTED


EXPECTED = [
    (
        "1.001001",
        "Đăng ký thường trú",
        "Đăng ký cư trú",
        CA,
        CA,
        ["Công an cấp xã"],
        ["xa"],
        "Đăng ký, quản lý cư trú",
        "in_force",
    ),
    (
        "1.001002",
        "Cấp căn cước",
        "",
        CA,
        CA,
        ["Công an cấp tỉnh", "Công an cấp xã"],
        ["tinh", "xa"],
        "Căn cước",
        "in_force",
    ),
    (
        "1.002001",
        "Cấp giấy phép xây dựng",
        "",
        XD,
        XD,
        ["Ủy ban nhân dân cấp tỉnh", "Sở Xây dựng"],
        ["tinh"],
        "Xây dựng",
        "in_force",
    ),
    ("1.002002", "Cấp chứng chỉ năng lực", "", XD, XD, ["Sở Xây dựng"], ["tinh"], "Xây dựng", "in_force"),
    (
        "1.002003",
        "Thẩm định thiết kế",
        "",
        XD,
        XD,
        ["Chi cục Giám định xây dựng"],
        ["tinh"],
        "Xây dựng",
        "in_force",
    ),
    (
        "1.003133",
        "Cấp chứng chỉ hành nghề phòng cháy",
        "",
        CA,
        XD,
        ["Cục Cảnh sát PCCC"],
        ["trung_uong"],
        "Phòng cháy",
        "in_force",
    ),
    ("1.004001", "Đăng ký khai sinh", "", TP, TP, ["Ủy ban nhân dân cấp xã"], ["xa"], "Hộ tịch", "in_force"),
    (
        "1.004002",
        "Chứng thực bản sao",
        "",
        TP,
        TP,
        ["Ủy ban nhân dân cấp xã", "Phòng Tư pháp"],
        ["huyen", "xa"],
        "Chứng thực",
        "in_force",
    ),
]


def test_the_cross_issuer_procedure_is_never_repealed_and_others_are_untouched():
    """The finding: importing Xây dựng's export repealed 1.003133; importing Công an's then
    repealed every Xây dựng procedure missing from it."""
    import_file("BoCongAn.xlsx")
    plan = services.plan_import(read_procedures(SOURCES["BoXayDung.xlsx"], "BoXayDung.xlsx"))
    assert plan.scope == XD and plan.scope_origin == "declared"
    assert plan.repealed == []
    assert [p.code for p in plan.protected] == ["1.003133"]
    services.apply_import(plan, source_name="BoXayDung.xlsx")
    plan = services.plan_import(read_procedures(SOURCES["BoCongAn.xlsx"], "BoCongAn.xlsx"))
    assert plan.scope == CA and plan.repealed == [] and not plan.has_changes
    warnings = services.plan_warnings(plan)
    assert any("1 thủ tục do cơ quan khác ban hành (Bộ Xây dựng: 1.003133)" in w for w in warnings)


def test_a_full_import_repeals_within_its_scope_only():
    import_file("BoCongAn.xlsx")
    import_file("BoXayDung.xlsx")
    smaller = portal_export([("1.002001", "Cấp giấy phép xây dựng", XD, "Sở Xây dựng", "Xây dựng")])
    plan = services.plan_import(read_procedures(smaller, "BoXayDung-2.xlsx"))
    assert sorted(p.code for p in plan.repealed) == ["1.002002", "1.002003"]
    assert [p.code for p in plan.protected] == ["1.003133"]  # listed by Bộ Công an's latest import
    assert plan.scope_note().startswith("Phạm vi: Bộ Xây dựng (cơ quan ban hành mà tệp khai)")


def test_an_explicit_scope_and_a_full_list_without_one():
    appendix_csv = "Mã TTHC,Tên thủ tục\n2.000001,Thủ tục A\n2.000002,Thủ tục B\n".encode()
    plan = services.plan_import(read_procedures(appendix_csv, "a.csv"), full_list=True)
    assert "chưa biết phạm vi" in plan.refusal
    with pytest.raises(services.ImportRefused, match="chưa biết phạm vi"):
        services.apply_import(plan, source_name="a.csv")
    assert not Procedure.objects.exists()
    plan = services.plan_import(
        read_procedures(appendix_csv, "a.csv"), full_list=True, scope="UBND tỉnh Quảng Nam"
    )
    assert plan.scope_origin == "explicit" and not plan.refusal
    services.apply_import(plan, source_name="a.csv")
    assert set(Procedure.objects.values_list("source", flat=True)) == {"UBND tỉnh Quảng Nam"}
    assert ImportBatch.objects.get().scope == "UBND tỉnh Quảng Nam"


def test_the_command_takes_a_scope(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("Mã TTHC,Tên thủ tục\n2.000001,Thủ tục A\n".encode())
    with pytest.raises(CommandError, match="chưa biết phạm vi"):
        call_command("import_procedures", str(path), "--full", stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_procedures", str(path), "--full", "--scope", "Xã Vĩnh Bảo", stdout=out)
    assert "Phạm vi: Xã Vĩnh Bảo (do người nhập chọn)" in out.getvalue()
    assert Procedure.objects.get().source == "Xã Vĩnh Bảo"


# --- a commune's audited list: ASCII headers, statuses, dates, decisions, damaged names -----------------

AUDITED = (
    "ma,ten,linhVuc,status,publishable,active_date,repeal_date,formalityId,decision_numbers,reason,article_url\n"
    "1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,ACTIVE,true,2025-07-01,,f-1,163/QĐ-BTP,,https://x\n"
    "1.000001,Cấp phép hoạt động giáo dục m ầm non,Giáo dục,REPEALED,false,2020-01-01,2025-06-30,f-2,"
    '"12/QĐ-UBND; 15/QĐ-UBND",Bãi bỏ theo QĐ 15,https://y\n'
    "1.000002,Thủ tục ch ứng thực bản sao,Chứng thực,amended,true,01/03/2024,,f-3,20/QĐ-BTP,,\n"
    "1.000003,Công nhận người Việt Namở nước ngoài,Quốc tịch,in_force,true,,,f-4,,,\n"
)


def test_a_communes_audited_list_is_read_whole():
    sheet = read_procedures(AUDITED.encode(), "master-data-audit.csv")
    assert set(sheet.columns) >= {
        "code",
        "name",
        "field",
        "status",
        "effective_from",
        "effective_to",
        "decisions",
        "notes",
    }
    assert sheet.unused_columns == ["publishable", "formalityId", "article_url"]
    assert any("“publishable”, “formalityId”, “article_url”" in w for w in sheet.warnings)
    rows = {r.code: r for r in sheet.rows}
    assert (
        rows["1.001193"].status == "in_force" and rows["1.001193"].effective_from.isoformat() == "2025-07-01"
    )
    repealed = rows["1.000001"]
    assert repealed.status == "repealed" and repealed.effective_to.isoformat() == "2025-06-30"
    assert repealed.decisions == "12/QĐ-UBND; 15/QĐ-UBND" and repealed.field == "Giáo dục"
    assert (
        rows["1.000002"].status == "amended" and rows["1.000002"].effective_from.isoformat() == "2024-03-01"
    )


def test_damaged_diacritics_are_repaired_counted_and_kept_in_the_history():
    sheet = read_procedures(AUDITED.encode(), "master-data-audit.csv")
    names = {r.code: r.name for r in sheet.rows}
    assert names["1.000001"] == "Cấp phép hoạt động giáo dục mầm non"
    assert names["1.000002"] == "Thủ tục chứng thực bản sao"
    assert names["1.000003"] == "Công nhận người Việt Nam ở nước ngoài"
    assert sheet.repaired == 3
    assert any("sửa dấu bị tách rời trong 3 tên thủ tục" in w for w in sheet.warnings)
    services.apply_import(services.plan_import(sheet), source_name="audit.csv")
    change = ProcedureChange.objects.get(procedure__code="1.000001")
    assert change.diff == {
        "original_name": ["Cấp phép hoạt động giáo dục m ầm non", "Cấp phép hoạt động giáo dục mầm non"]
    }
    assert Procedure.objects.get(code="1.000001").status == ProcedureStatus.REPEALED


def test_a_repaired_name_is_found_by_search_and_its_original_shown(client, world):
    services.apply_import(
        services.plan_import(read_procedures(AUDITED.encode(), "a.csv")), source_name="a.csv"
    )
    client.force_login(world.officer_a)
    response = client.get(reverse("procedures:list"), {"q": "mam non", "status": ""})
    assert "1.000001" in response.text
    detail = client.get(reverse("procedures:detail", args=["1.000001"]))
    assert "Tên trong tệp (trước khi sửa dấu)" in detail.text
    assert "giáo dục m ầm non" in detail.text


# --- levels: the agency table, the catalogue, "chưa xác định" ------------------------------------------


def test_a_procedure_without_agency_gets_its_level_from_the_catalogue_or_stays_undetermined(client, world):
    import_file("BoTuPhap.xlsx")
    rows = portal_export(
        [
            ("1.004001", "Đăng ký khai sinh", TP, "", "Hộ tịch"),  # known: keeps its level
            ("1.004001.01", "Đăng ký khai sinh (trường hợp đặc biệt)", TP, "", "Hộ tịch"),  # base code's
            ("1.004009", "Thủ tục không ghi cơ quan", TP, "", "Hộ tịch"),  # nothing to go on
        ]
    )
    plan = services.plan_import(read_procedures(rows, "x.xlsx"), full_list=False)
    assert plan.undetermined == [5]
    assert any("1 thủ tục chưa xác định cấp thực hiện" in w for w in services.plan_warnings(plan))
    services.apply_import(plan, source_name="x.xlsx")
    assert Procedure.objects.get(code="1.004001").levels == ["xa"]
    assert Procedure.objects.get(code="1.004001.01").levels == ["xa"]
    assert Procedure.objects.get(code="1.004009").levels == []
    client.force_login(world.officer_a)
    response = client.get(reverse("procedures:detail", args=["1.004009"]))
    assert '<span class="tag tag-warning">Chưa xác định</span>' in response.text


# --- a provincial appendix over the national catalogue -------------------------------------------------


def appendix(rows: list[tuple[str, str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH MỤC THỦ TỤC HÀNH CHÍNH THUỘC THẨM QUYỀN GIẢI QUYẾT CỦA UBND TỈNH"])
    sheet.append(["STT", "Mã TTHC", "Tên thủ tục hành chính", "Ghi chú"])
    sheet.append(["A", "THỦ TỤC HÀNH CHÍNH CẤP TỈNH"])
    sheet.append(["I", "LĨNH VỰC HỘ TỊCH"])
    for i, (code, name) in enumerate(rows, start=1):
        sheet.append([i, code, name, ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_appendix_keeps_the_national_name_and_level_and_records_its_own_name():
    import_file("BoTuPhap.xlsx")
    content = appendix([("1.004001", "Khai sinh"), ("2.009999", "Thủ tục riêng của tỉnh")])
    plan = services.plan_import(read_procedures(content, "phu-luc.xlsx"))
    assert plan.scope == "" and plan.repealed == []
    [row] = plan.of("changed")
    assert row.diff == {"local_name": ("", "Khai sinh")}
    assert set(row.kept) == {"levels"}
    services.apply_import(plan, source_name="phu-luc.xlsx")
    national = Procedure.objects.get(code="1.004001")
    assert (national.name, national.local_name, national.levels, national.source) == (
        "Đăng ký khai sinh",
        "Khai sinh",
        ["xa"],
        TP,
    )
    assert Procedure.objects.get(code="2.009999").levels == ["tinh"]
    # Again, and the national export again: nothing changes.
    assert not services.plan_import(read_procedures(content, "phu-luc.xlsx")).has_changes
    assert import_file("BoTuPhap.xlsx") is None


def test_english_column_names_are_read_too():
    content = (
        "code,name,field,level,agency,issuer,effective_date,repeal_date,decision_number\n"
        "1.000010,Cấp phép,Xây dựng,Cấp tỉnh,Sở Xây dựng,Bộ Xây dựng,01/07/2025,,5/QĐ-BXD\n"
    ).encode()
    sheet = read_procedures(content, "en.csv")
    assert sheet.unused_columns == []
    [row] = sheet.rows
    assert (row.field, row.levels, row.agencies, row.ministry, row.decisions) == (
        "Xây dựng",
        ["tinh"],
        ["Sở Xây dựng"],
        "Bộ Xây dựng",
        "5/QĐ-BXD",
    )
    assert row.effective_from.isoformat() == "2025-07-01"


def test_the_admin_preview_says_the_scope_and_the_unread_columns(as_persona):
    from django.core.files.uploadedfile import SimpleUploadedFile

    import_file("BoCongAn.xlsx")
    client = as_persona("admin")
    url = reverse("admin:procedures_procedure_import")
    response = client.post(
        url,
        {
            "action": "preview",
            "full_list": "auto",
            "file": SimpleUploadedFile("BoXayDung.xlsx", SOURCES["BoXayDung.xlsx"]),
        },
    )
    assert "Phạm vi: Bộ Xây dựng (cơ quan ban hành mà tệp khai)" in response.text
    assert 'id="protected-rows"' in response.text and "1.003133" in response.text
    assert '<strong id="count-repealed">0</strong>' in response.text
    response = client.post(
        url,
        {
            "action": "preview",
            "full_list": "partial",
            "file": SimpleUploadedFile("audit.csv", AUDITED.encode()),
        },
    )
    assert "Các cột không được đọc" in response.text and "formalityId" in response.text
    assert "sửa dấu bị tách rời trong 3 tên thủ tục" in response.text
