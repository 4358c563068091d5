"""cchc_portal.lib.bounds: the shared rules for lengths, control characters and numbers."""

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from cchc_portal.lib.bounds import (
    BoundedForm,
    RejectControlCharacters,
    check_text,
    control_character,
    decimal_in_range,
    no_control_characters,
    shown,
)


@pytest.mark.parametrize(
    ("text", "multiline", "found"),
    [
        ("Tân Thạnh", False, None),
        ("a\x00b", False, "U+0000"),
        ("a\x00b", True, "U+0000"),
        ("a\tb", False, "U+0009"),
        ("a\tb\r\nc", True, None),
        ("\x1b[31m", True, "U+001B"),
        ("\x7f", True, "U+007F"),
        ("\x85", True, "U+0085"),
        ("\u200b", False, None),  # invisible, not a control character: left to the text cleaners
    ],
)
def test_it_finds_control_characters(text, multiline, found):
    assert control_character(text, multiline=multiline) == found


def test_the_message_names_the_field():
    with pytest.raises(ValidationError) as caught:
        no_control_characters("x\x00", label="Lý do trả lại")
    assert "“Lý do trả lại” chứa ký tự điều khiển" in caught.value.messages[0]
    with pytest.raises(ValidationError, match=r"“Tên” dài 1\.001 ký tự; tối đa 1\.000 ký tự"):
        check_text("x" * 1001, label="Tên", limit=1000)
    check_text("x" * 1000, label="Tên", limit=1000)


def test_a_refused_value_is_quoted_short_and_visible():
    assert shown("a\x00b") == "a?b"
    assert shown("x" * 100) == "x" * 19 + "…"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.346", Decimal("12.35")),
        ("9999999999.994", Decimal("9999999999.99")),
        ("9999999999.995", None),  # rounds to 10^10: one digit too many for numeric(12, 2)
        ("-0.001", Decimal("0.00")),
        ("-1", None),
        ("1e400", None),
        ("NaN", None),
        ("Infinity", None),
        ("-Infinity", None),
        ("1" * 5000, None),
    ],
)
def test_numbers_are_checked_after_rounding(value, expected):
    assert decimal_in_range(Decimal(value), places=2, max_digits=12) == expected


class _Form(BoundedForm):
    title = forms.CharField(label="Tiêu đề", max_length=300)
    note = forms.CharField(label="Ghi chú", widget=forms.Textarea, required=False)
    q = forms.CharField(required=False)
    body = forms.CharField(label="Nội dung", widget=forms.Textarea, max_length=50_000, required=False)


def test_the_form_mixin_bounds_every_text_field():
    form = _Form()
    assert form.fields["title"].widget.attrs["maxlength"] == "300"
    assert form.fields["note"].widget.attrs["maxlength"] == "5000"  # a default for a textarea
    assert form.fields["q"].widget.attrs["maxlength"] == "1000"  # and for a one-line input
    assert "data-counter" in form.fields["body"].widget.attrs
    assert "data-counter" in form.fields["note"].widget.attrs
    assert 'maxlength="50000"' in str(form["body"])


def test_the_form_mixin_names_the_field_in_its_messages():
    form = _Form({"title": "T\x01", "note": "a\r\n\tb", "q": "x" * 1001, "body": "\x00"})
    assert not form.is_valid()
    assert "“Tiêu đề” chứa ký tự điều khiển" in form.errors["title"][0]
    assert "note" not in form.errors  # line breaks and tabs are text in a textarea
    assert form.errors["q"] == ["“Q” dài 1001 ký tự; tối đa 1.000 ký tự."]
    assert form.errors["body"] == [
        "“Nội dung” chứa ký tự điều khiển không hiển thị được (U+0000), thường do dán từ phần mềm khác; "
        "hãy xóa ký tự đó rồi gửi lại."
    ]


@pytest.mark.parametrize("path", ["/thu-tuc/\x00/", "/thu-tuc/?q=%00", "/?a%00=1", "/?q=%1b"])
def test_the_middleware_refuses_control_characters_in_urls(db, path):
    def view(request):
        raise AssertionError("not reached")

    request = RequestFactory().get(path)
    response = RejectControlCharacters(view)(request)
    assert response.status_code == 400
    assert "ký tự điều khiển" in response.content.decode()


def test_the_middleware_lets_ordinary_urls_through(db):
    request = RequestFactory().get("/thu-tuc/?q=khai%20sinh&page=2")
    assert RejectControlCharacters(lambda r: "passed")(request) == "passed"


def test_a_huge_id_in_a_multiple_choice_is_a_form_error(db):
    from plans.models import Channel

    class ChannelsForm(BoundedForm):
        channels = forms.ModelMultipleChoiceField(Channel.objects.all())

    form = ChannelsForm({"channels": ["99999999999999999999999"]})
    assert not form.is_valid() and "channels" in form.errors
    form = ChannelsForm({"channels": [str(Channel.objects.first().pk)]})
    assert form.is_valid()
