"""Upload → preview → confirm: the one flow of every import (the unit lists, the TTHC catalogue,
a plan's tasks).

1. The form: a file and the import's options.
2. Preview (nothing written): the size is checked, the file is read and kept under a random token
   (cchc_portal.lib.uploads); the page shows what would be written, the refused rows ("Dòng N,
   cột X: …") and the warnings (`Preview`, templates/includes/import_preview.html).
3. Confirm or cancel with the token: confirming reads the kept bytes again, so the write sees the
   file the user saw, applies it in one transaction and discards the file.

An import is a subclass of `Import` (its reader, its writer, its pages); `handle()` runs it for a
request. Who may import is checked by the view before it calls `handle()`. A management command
runs the same steps in a terminal: it prints the preview, then `confirm_in_terminal()` asks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from django import forms
from django.contrib import messages
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cchc_portal.lib import uploads
from cchc_portal.lib.bounds import control_character
from cchc_portal.lib.spreadsheets import SpreadsheetError, check_size

PREVIEW_ROWS = 300  # rows listed per table and errors listed; the counts are always complete
SOURCE_NAME_MAX = 255  # the import records' source_name; an uploaded file's name is cut to it by Django

# --- what a preview shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    label: str
    value: int
    id: str = ""  # an element id, for the counts that pages and tests look up


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Changes:
    """A table cell listing changed fields: label: <del>before</del> → <ins>after</ins>."""

    kind: ClassVar[str] = "changes"
    changes: list[Change]


@dataclass(frozen=True)
class Lines:
    """A table cell of several lines."""

    kind: ClassVar[str] = "lines"
    lines: list[str]


@dataclass
class Row:
    cells: list[Any]  # text, a number, Lines or Changes
    invalid: bool = False


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[Row]
    id: str = ""
    more: str = ""  # the line under the table when rows were left out ("… và 12 thủ tục khác.")


@dataclass
class Preview:
    title: str = ""
    notes: list[str] = field(default_factory=list)  # lines under the title
    counts: list[Count] = field(default_factory=list)
    summary: str = ""
    outcome: str = "changes"  # "changes", "nothing" (nothing to write) or "errors": how the summary looks
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # refused rows, "Dòng N, cột X: …"
    more_errors: int = 0
    tables: list[Table] = field(default_factory=list)
    confirmable: bool = True  # there is something to write: the file is kept, the page offers to confirm
    skippable: int = 0  # refused rows that may be skipped to write the others

    def set_errors(self, errors: Sequence[str]) -> None:
        """The refused rows' messages: the first PREVIEW_ROWS, and how many more there are."""
        self.errors, self.more_errors = list(errors[:PREVIEW_ROWS]), max(0, len(errors) - PREVIEW_ROWS)

    def add_table(
        self,
        title: str,
        columns: list[str],
        items: Sequence[Any],
        cells: Callable[[Any], list[Any]],
        *,
        id: str = "",
        more: str = "",
        invalid: Callable[[Any], bool] = lambda item: False,
    ) -> None:
        """A table of the first PREVIEW_ROWS `items`, if there are any; `more` ("… và %(n)d thủ tục
        khác.") tells how many were left out."""
        if not items:
            return
        rows = [Row(cells(item), invalid(item)) for item in items[:PREVIEW_ROWS]]
        left = len(items) - len(rows)
        self.tables.append(Table(title, columns, rows, id, more % {"n": left} if left else ""))


class Applied(NamedTuple):
    message: str
    wrote: bool = True  # False: the file changed nothing (an info, not a success)


# --- an import -----------------------------------------------------------------------------------


class Import:
    """One import's parts; the flow itself is `handle()`."""

    kind: str  # the folder its files are kept in between preview and confirmation
    suffix = ".bin"
    upload_form: type[forms.Form]  # a `file` field and the options
    options_form: type[forms.Form] | None = None  # the options alone, posted again to confirm
    refusals: tuple[type[Exception], ...] = ()  # errors shown as they are (SpreadsheetError always)
    form_template: str
    preview_template: str
    refused_status = 200  # the form page shown again with the file's refusal
    cancelled_message = gettext_lazy("Đã hủy nhập. Không có gì được ghi.")
    conflict_message = gettext_lazy(
        "Dữ liệu vừa bị thay đổi đồng thời; không có gì được ghi. Hãy xem trước và nhập lại."
    )
    stale_message = gettext_lazy(
        "Dữ liệu vừa thay đổi sau khi xem trước; hãy xem lại bản xem trước rồi xác nhận."
    )

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @property
    def max_bytes(self) -> int:
        raise NotImplementedError

    def read(self, content: bytes, name: str, options: dict[str, Any]) -> Any:
        """The file read and checked, nothing written; raises one of `refusals`."""
        raise NotImplementedError

    def preview(self, result: Any, name: str) -> Preview:
        raise NotImplementedError

    def fingerprint(self, result: Any) -> str:
        """What the preview promised; confirming is refused if the file now reads otherwise."""
        return ""

    def apply(self, result: Any, *, content: bytes, name: str, skip_invalid: bool) -> Applied:
        """Write it (inside the flow's transaction); raises one of `refusals`."""
        raise NotImplementedError

    def form_url(self) -> str:
        raise NotImplementedError

    def done_url(self) -> str:
        raise NotImplementedError

    def cancel_url(self) -> str:
        return self.done_url()

    def context(self) -> dict[str, Any]:
        return {}


class AdminImport(Import):
    """An import in the admin: the page of `admin/import.html`, back to the model's list."""

    form_template = preview_template = "admin/import.html"
    title = ""
    intro = ""
    intro_items: tuple[str, ...] = ()

    def __init__(self, request: HttpRequest, model_admin: Any) -> None:
        super().__init__(request)
        self.model_admin = model_admin
        self.opts = model_admin.model._meta

    def form_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def done_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def context(self) -> dict[str, Any]:
        return {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.opts,
            "title": self.title,
            "intro": self.intro,
            "intro_items": self.intro_items,
            "import_url": self.form_url(),
        }


# --- the flow ------------------------------------------------------------------------------------


def handle(request: HttpRequest, flow: Import) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    if action in ("confirm", "cancel"):
        return _finish(request, flow, action)
    if request.method == "POST" and action in (None, "preview"):
        form = flow.upload_form(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            options = {name: value for name, value in form.cleaned_data.items() if name != "file"}
            try:
                check_size(upload.size, flow.max_bytes)
                content = upload.read()
                result = flow.read(content, upload.name, options)
            except (SpreadsheetError, *flow.refusals) as exc:
                form.add_error("file", str(exc))
            else:
                return _preview(request, flow, result, content, upload.name)
        return _form_page(request, flow, form, status=flow.refused_status)
    return _form_page(request, flow, flow.upload_form())


def _form_page(request: HttpRequest, flow: Import, form: forms.Form, status: int = 200) -> HttpResponse:
    return render(request, flow.form_template, {**flow.context(), "form": form}, status=status)


def _preview(request: HttpRequest, flow: Import, result: Any, content: bytes, name: str) -> HttpResponse:
    preview = flow.preview(result, name)
    token = uploads.stash(flow.kind, content, flow.suffix) if preview.confirmable else ""
    return render(
        request,
        flow.preview_template,
        {
            **flow.context(),
            "preview": preview,
            "token": token,
            "source_name": name,
            "fingerprint": flow.fingerprint(result),
            # The options as posted, sent again with the confirmation.
            "options_form": flow.options_form(request.POST) if flow.options_form else None,
        },
    )


def _finish(request: HttpRequest, flow: Import, action: str) -> HttpResponse:
    token = request.POST.get("token", "")
    content = uploads.unstash(flow.kind, token, flow.suffix)
    if content is None:
        messages.error(request, _("Phiên xem trước đã hết hạn hoặc không hợp lệ. Hãy tải tệp lên lại."))
        return HttpResponseRedirect(flow.form_url())
    if action == "cancel":
        uploads.discard(flow.kind, token, flow.suffix)
        messages.info(request, flow.cancelled_message)
        return HttpResponseRedirect(flow.cancel_url())
    options: dict[str, Any] = {}
    if flow.options_form is not None:
        form = flow.options_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Tùy chọn nhập không hợp lệ. Hãy tải tệp lên lại."))
            return HttpResponseRedirect(flow.form_url())
        options = form.cleaned_data
    name = request.POST.get("source_name", "?")
    if control_character(name) or len(name) > SOURCE_NAME_MAX:  # not what the preview sent
        messages.error(request, _("Tên tệp không hợp lệ. Hãy tải tệp lên lại."))
        return HttpResponseRedirect(flow.form_url())
    try:
        result = flow.read(content, name, options)
        if flow.fingerprint(result) != request.POST.get("fingerprint", ""):
            messages.error(request, flow.stale_message)
            return HttpResponseRedirect(flow.form_url())
        with transaction.atomic():
            applied = flow.apply(
                result, content=content, name=name, skip_invalid=bool(request.POST.get("skip_invalid"))
            )
    except (SpreadsheetError, *flow.refusals) as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(flow.form_url())
    except IntegrityError:
        messages.error(request, flow.conflict_message)
        return HttpResponseRedirect(flow.form_url())
    uploads.discard(flow.kind, token, flow.suffix)
    (messages.success if applied.wrote else messages.info)(request, applied.message)
    return HttpResponseRedirect(flow.done_url())


# --- the same in a terminal ----------------------------------------------------------------------


def confirm_in_terminal(command: BaseCommand, question: str, *, yes: bool) -> bool:
    """The admin's "Xác nhận nhập" for a management command, after it printed the preview: `yes`
    (--yes) answers it; without a terminal to ask on (cron, a script) nothing is written."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError(
            _("Không có gì được ghi: thêm --yes để ghi mà không hỏi, hoặc --dry-run để chỉ xem trước.")
        )
    command.stdout.write(f"{question} [c/K] ", ending="")
    command.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("c", "co", "có", "y", "yes")
