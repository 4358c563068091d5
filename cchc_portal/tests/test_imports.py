"""The upload → preview → confirm flow (cchc_portal.lib.imports) with an import made up here: a CSV
of group names, each written as an auth Group. The three real imports have their own page tests."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import RequestFactory
from django.test.signals import template_rendered

from cchc_portal.lib import imports, uploads
from cchc_portal.lib.spreadsheets import HeaderSpec, SpreadsheetError, read_table

pytestmark = pytest.mark.django_db

SPEC = HeaderSpec(
    match=lambda text: ("name", 0) if text == "Tên" else None, required={"name"}, describe="cột Tên"
)


class UploadForm(forms.Form):
    file = forms.FileField()
    prefix_ = forms.CharField(required=False)


class OptionsForm(forms.Form):
    prefix_ = forms.CharField(required=False)


class GroupImport(imports.Import):
    kind = "test-groups"
    upload_form = UploadForm
    options_form = OptionsForm
    form_template = preview_template = "includes/pagination.html"  # any template: the context is checked
    refused_status = 422
    fail_after: int | None = None  # raise after writing this many groups
    failure: Exception = SpreadsheetError("Lỗi giữa chừng.")
    version = "1"

    max_bytes = 1000

    def read(self, content: bytes, name: str, options: dict[str, Any]) -> list[str]:
        grid = read_table(content, name, SPEC).grid
        return [options.get("prefix_", "") + grid.text(row, 1) for row in grid.rows[1:]]

    def preview(self, names: list[str], name: str) -> imports.Preview:
        return imports.Preview(title=name, confirmable=bool(names))

    def fingerprint(self, names: list[str]) -> str:
        return f"{self.version}:{len(names)}"

    def apply(self, names: list[str], *, content: bytes, name: str, skip_invalid: bool) -> imports.Applied:
        for i, group in enumerate(names):
            if i == self.fail_after:
                raise self.failure
            Group.objects.create(name=group)
        return imports.Applied(f"Đã thêm {len(names)} nhóm.")

    def form_url(self) -> str:
        return "/nhap/"

    def done_url(self) -> str:
        return "/xong/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run(data: dict[str, Any], flow: type[GroupImport] = GroupImport):
    request = RequestFactory().post("/nhap/", data)
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    contexts: list[dict] = []

    def seen(sender, context, **kwargs):
        contexts.append(context)

    template_rendered.connect(seen)
    try:
        response = imports.handle(request, flow(request))
    finally:
        template_rendered.disconnect(seen)
    context = contexts[0].flatten() if contexts else {}
    return response, context, [str(m) for m in get_messages(request)]


def preview(content: bytes = "Tên\nMột\nHai\n".encode(), **data):
    return run({"action": "preview", "file": SimpleUploadedFile("nhom.csv", content), **data})


def confirm(context: dict, **data):
    return run(
        {
            "action": "confirm",
            "token": context["token"],
            "source_name": context["source_name"],
            "fingerprint": context["fingerprint"],
            **data,
        }
    )


def test_a_preview_writes_nothing_then_the_confirmation_writes_the_same_file_once():
    response, context, _ = preview(prefix_="Tổ-")
    assert response.status_code == 200 and not Group.objects.exists()
    assert context["preview"].title == "nhom.csv" and context["fingerprint"] == "1:2"
    assert uploads.unstash("test-groups", context["token"]) == "Tên\nMột\nHai\n".encode()
    response, _, messages = confirm(context, prefix_="Tổ-")
    assert (response.status_code, response["Location"], messages) == (302, "/xong/", ["Đã thêm 2 nhóm."])
    assert sorted(Group.objects.values_list("name", flat=True)) == ["Tổ-Hai", "Tổ-Một"]
    assert uploads.unstash("test-groups", context["token"]) is None  # discarded
    response, _, messages = confirm(context)
    assert (response["Location"], messages) == (
        "/nhap/",
        ["Phiên xem trước đã hết hạn hoặc không hợp lệ. Hãy tải tệp lên lại."],
    )
    assert Group.objects.count() == 2


def test_cancel_discards_the_file():
    _, context, _ = preview()
    response, _, messages = run({"action": "cancel", "token": context["token"]})
    assert (response["Location"], messages) == ("/xong/", ["Đã hủy nhập. Không có gì được ghi."])
    assert uploads.unstash("test-groups", context["token"]) is None and not Group.objects.exists()


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 32, ""])
def test_a_forged_token_reads_nothing(token):
    response, _, messages = run({"action": "confirm", "token": token})
    assert response["Location"] == "/nhap/" and "hết hạn hoặc không hợp lệ" in messages[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7", "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)"),
        (b"x" * 1001, "Tệp quá lớn"),
    ],
)
def test_a_refused_file_is_shown_on_the_form_with_nothing_kept(content, message, settings):
    response, context, _ = preview(content)
    assert response.status_code == 422
    assert message in context["form"].errors["file"][0]
    assert not list(settings.MEDIA_ROOT.rglob("*.bin"))


def test_a_file_with_nothing_to_write_is_not_kept(settings):
    _, context, _ = preview("Tên\n".encode())
    assert context["token"] == "" and not context["preview"].confirmable
    assert not list(settings.MEDIA_ROOT.rglob("*.bin"))


def test_a_preview_that_no_longer_holds_is_refused():
    _, context, _ = preview()

    class Changed(GroupImport):
        version = "2"  # e.g. the data the file is compared with changed since

    response, _, messages = run(
        {"action": "confirm", "token": context["token"], "fingerprint": context["fingerprint"]}, Changed
    )
    assert (response["Location"], messages) == (
        "/nhap/",
        ["Dữ liệu vừa thay đổi sau khi xem trước; hãy xem lại bản xem trước rồi xác nhận."],
    )
    assert not Group.objects.exists() and uploads.unstash("test-groups", context["token"])


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (SpreadsheetError("Lỗi giữa chừng."), "Lỗi giữa chừng."),
        (IntegrityError("duplicate key"), "Dữ liệu vừa bị thay đổi đồng thời; không có gì được ghi."),
    ],
)
def test_a_failure_while_writing_writes_nothing_and_keeps_the_file(failure, message):
    _, context, _ = preview()

    class Failing(GroupImport):
        fail_after = 1

    Failing.failure = failure
    response, _, messages = run(
        {"action": "confirm", "token": context["token"], "fingerprint": context["fingerprint"]}, Failing
    )
    assert response["Location"] == "/nhap/" and messages[0].startswith(message)
    assert not Group.objects.exists()  # the first group was rolled back with the rest
    assert uploads.unstash("test-groups", context["token"])  # the user can try again


def test_invalid_options_are_refused_on_confirmation():
    _, context, _ = preview()

    class Strict(GroupImport):
        class options_form(forms.Form):  # the attribute it overrides
            prefix_ = forms.CharField(required=True)

    _response, _, messages = run(
        {"action": "confirm", "token": context["token"], "fingerprint": context["fingerprint"]}, Strict
    )
    assert messages == ["Tùy chọn nhập không hợp lệ. Hãy tải tệp lên lại."] and not Group.objects.exists()
