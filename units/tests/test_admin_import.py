import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from units.models import Level, Unit, UnitImport
from units.tests.test_import_units import QUANG_NAM, small_2025

IMPORT_URL = reverse("admin:units_unit_import")


@pytest.fixture
def admin_client(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.admin)
    return client


def preview(client, content: bytes, name: str = "units.json", **extra):
    upload = SimpleUploadedFile(name, content, content_type="application/json")
    return client.post(IMPORT_URL, {"action": "preview", "file": upload, **extra})


def test_the_form_renders(admin_client):
    response = admin_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert "Xem trước" in response.text


def test_a_preview_writes_nothing_then_confirm_imports(admin_client):
    before = Unit.objects.count()
    response = preview(admin_client, QUANG_NAM.read_bytes(), "quang-nam.json")
    assert response.status_code == 200
    assert "252 đơn vị mới" in response.text
    assert "Cấp huyện: <strong>17</strong>" in response.text
    assert Unit.objects.count() == before
    token = response.context["token"]
    response = admin_client.post(
        IMPORT_URL, {"action": "confirm", "token": token, "source_name": "quang-nam.json"}
    )
    assert response.status_code == 302
    assert Unit.objects.filter(kind__level=Level.DISTRICT).count() == 17
    record = UnitImport.objects.get()
    assert record.user.username == "admin"
    assert record.source_name == "quang-nam.json"
    assert (
        Unit.objects.get(code="20335", valid_to__isnull=False).history.first().history_user.username
        == "admin"
    )


def test_a_second_preview_says_nothing_changes(admin_client):
    preview_response = preview(admin_client, QUANG_NAM.read_bytes())
    admin_client.post(IMPORT_URL, {"action": "confirm", "token": preview_response.context["token"]})
    response = preview(admin_client, QUANG_NAM.read_bytes())
    assert "Không có thay đổi" in response.text
    assert 'value="confirm"' not in response.text


def test_cancel_writes_nothing(admin_client):
    before = Unit.objects.count()
    token = preview(admin_client, QUANG_NAM.read_bytes()).context["token"]
    response = admin_client.post(IMPORT_URL, {"action": "cancel", "token": token}, follow=True)
    assert "Đã hủy nhập" in response.text
    assert Unit.objects.count() == before
    # The stored upload is gone: confirming afterwards is refused.
    response = admin_client.post(IMPORT_URL, {"action": "confirm", "token": token}, follow=True)
    assert "hết hạn hoặc không hợp lệ" in response.text
    assert Unit.objects.count() == before


def test_a_malformed_file_lists_its_rows_and_cannot_be_confirmed(admin_client):
    response = preview(admin_client, small_2025(Code="2034"))
    assert response.status_code == 200
    assert "Tỉnh thứ 1 (mã 48), đơn vị cấp xã thứ 1 (mã 2034)" in response.text
    assert 'value="confirm"' not in response.text
    assert not UnitImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        # Neither JSON nor a table: the message says which formats are read.
        (b"not json at all", ["Các dạng được đọc: (1) JSON danh mục từ 01/7/2025"]),
        (b"", ["rỗng", "bắt buộc"]),  # an empty upload may not even arrive as a file
        (b"\x89PNG\r\n\x1a\n\x00\x00", ["Chỉ nhận tệp Excel (.xlsx) hoặc CSV", "Các dạng được đọc"]),
        (b'{"Code": "48",', ["không phải JSON hợp lệ: dòng 1, cột"]),
    ],
)
def test_an_unreadable_file_gets_a_message_not_a_500(admin_client, content, messages):
    before = Unit.objects.count()
    response = preview(admin_client, content)
    assert response.status_code == 200
    assert any(m in response.text for m in messages)
    assert Unit.objects.count() == before


def test_an_oversized_file_is_refused(admin_client, settings):
    settings.UNIT_IMPORT_MAX_BYTES = 100
    response = preview(admin_client, small_2025())
    assert "Tệp quá lớn" in response.text


@pytest.mark.parametrize("token", ["../../etc/passwd", "a" * 32, "", "ZZ"])
def test_a_forged_token_is_refused(admin_client, token):
    response = admin_client.post(IMPORT_URL, {"action": "confirm", "token": token}, follow=True)
    assert response.status_code == 200
    assert "hết hạn hoặc không hợp lệ" in response.text


def test_overrides_of_validity_reach_the_units(admin_client):
    content = json.dumps(
        {"level1_id": "49", "name": "Tỉnh Quảng Nam", "type": "Tỉnh", "level2s": []}, ensure_ascii=False
    ).encode()
    response = preview(admin_client, content, valid_to="31/12/2024", legal_basis="Thử nghiệm")
    admin_client.post(
        IMPORT_URL,
        {
            "action": "confirm",
            "token": response.context["token"],
            "valid_to": "31/12/2024",
            "legal_basis": "Thử nghiệm",
        },
    )
    unit = Unit.objects.get(code="49")
    assert str(unit.valid_to) == "2024-12-31"
    assert unit.legal_basis == "Thử nghiệm"


def test_a_staff_member_who_is_not_superuser_cannot_import(client, world):
    world.reviewer.is_staff = True
    world.reviewer.save()
    client.force_login(world.reviewer)
    response = client.get(IMPORT_URL, follow=True)
    assert "Chỉ quản trị viên hệ thống" in response.text or response.status_code == 403


def test_the_admin_unit_search_ignores_diacritics(admin_client, world):
    response = admin_client.get(reverse("admin:units_unit_changelist"), {"q": "ban thach"})
    assert "Phường Bàn Thạch" in response.text
    assert "Phường Tam Kỳ" not in response.text


def test_a_department_added_in_the_admin_gets_its_header_lines(admin_client, world):
    from units.models import UnitKind

    response = admin_client.post(
        reverse("admin:units_unit_add"),
        {
            "parent": world.danang.pk,
            "code": "48-STP",
            "name": "Sở Tư pháp",
            "full_name": "Sở Tư pháp",
            "kind": UnitKind.objects.get(code="so-ban-nganh").pk,
            "valid_from": "01/07/2025",
            "body_symbol": "STP",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit = Unit.objects.get(code="48-STP")
    assert unit.parent_path == world.danang.path
    assert unit.parent_authority_line == "UBND THÀNH PHỐ ĐÀ NẴNG"
    assert unit.authority_line == "SỞ TƯ PHÁP"
    assert unit.history.get().history_user == world.admin


def test_a_duplicate_code_in_the_admin_is_a_form_error(admin_client, world):
    from units.models import UnitKind

    response = admin_client.post(
        reverse("admin:units_unit_add"),
        {
            "parent": world.danang.pk,
            "code": "20341",
            "name": "Trùng",
            "full_name": "Phường Trùng",
            "kind": UnitKind.objects.get(code="phuong").pk,
            "valid_from": "01/07/2025",
        },
    )
    assert response.status_code == 200
    assert "đã được dùng cho Phường Tam Kỳ" in response.text


def test_a_membership_added_without_capabilities_takes_the_roles_defaults(admin_client, world):
    from units.models import Membership, Role

    role = Role.objects.get(code="van-phong-hdnd-ubnd")
    response = admin_client.post(
        reverse("admin:units_membership_add"),
        {"user": world.officer_b.pk, "unit": world.commune_b.pk, "role": role.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=world.officer_b, role=role)
    assert (
        membership.capabilities == role.capabilities == {"enter_progress", "compile_reports", "manage_plans"}
    )
    assert membership.history.get().history_user == world.admin


def test_a_role_cannot_be_given_in_a_unit_of_the_wrong_kind(admin_client, world):
    from units.models import Membership, Role

    role = Role.objects.get(code="chuyen-vien-so-noi-vu")  # provinces only
    response = admin_client.post(
        reverse("admin:units_membership_add"),
        {"user": world.officer_b.pk, "unit": world.commune_b.pk, "role": role.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "không áp dụng cho loại đơn vị Phường" in response.text
    assert not Membership.objects.filter(role=role, user=world.officer_b).exists()
