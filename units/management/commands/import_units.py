import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cchc_portal.lib.imports import confirm_in_terminal
from cchc_portal.lib.spreadsheets import SpreadsheetError, check_size
from units.importers import UnitFileError, read_unit_file
from units.services import apply_unit_import, plan_unit_import

PREVIEW_LINES = 50  # changed units listed before "… và N đơn vị khác"


def _date(text: str) -> datetime.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise CommandError(f"Ngày không hợp lệ: {text!r} (dùng dạng 2025-07-01 hoặc 01/07/2025)")


class Command(BaseCommand):
    help = (
        "Nhập danh mục đơn vị hành chính từ tệp: JSON danh mục hai cấp từ 01/7/2025, JSON ba cấp trước đó "
        "(như daohoangson/dvhcvn công bố), hoặc bảng Excel/CSV theo QĐ 19/2025/QĐ-TTg. In bản xem trước rồi "
        "hỏi trước khi ghi (--yes: ghi không hỏi; --dry-run: chỉ xem trước). Chạy lại cùng tệp không thay đổi "
        "gì; tệp có lỗi bị từ chối và không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--valid-from", type=_date, help="Hiệu lực từ (mặc định theo loại danh mục)")
        parser.add_argument("--valid-to", type=_date, help="Hiệu lực đến (mặc định theo loại danh mục)")
        parser.add_argument("--legal-basis", help="Căn cứ pháp lý ghi cho các đơn vị")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ xem trước, không ghi")
        parser.add_argument("--yes", action="store_true", help="Ghi sau bản xem trước, không hỏi lại")

    def handle(self, *args, path: Path, valid_from, valid_to, legal_basis, dry_run, yes, **options):
        try:
            # The admin's limit (UNIT_IMPORT_MAX_BYTES), checked before the file is read.
            check_size(path.stat().st_size, settings.UNIT_IMPORT_MAX_BYTES)
            content = path.read_bytes()
            parsed = read_unit_file(content, max_bytes=settings.UNIT_IMPORT_MAX_BYTES, filename=path.name)
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {path}: {exc.strerror}") from exc
        except (UnitFileError, SpreadsheetError) as exc:
            raise CommandError(str(exc)) from exc
        plan = plan_unit_import(parsed, valid_from=valid_from, valid_to=valid_to, legal_basis=legal_basis)
        self.stdout.write(f"{path.name}: {parsed.format_label}")
        for note in parsed.notes:
            self.stdout.write(f"  {note}")
        self.stdout.write("  " + ", ".join(f"{label}: {n}" for label, n in plan.counts_by_level()))
        if not plan.is_valid:
            for error in plan.errors:
                self.stderr.write(f"  - {error}")
            raise CommandError(plan.summary())
        for update in plan.updates[:PREVIEW_LINES]:
            changes = "; ".join(f"{c.label}: {c.old} → {c.new}" for c in update.changes)
            self.stdout.write(f"  ~ {update.unit.code} {update.unit.full_name}: {changes}")
        if len(plan.updates) > PREVIEW_LINES:
            self.stdout.write(f"  … và {len(plan.updates) - PREVIEW_LINES} đơn vị thay đổi khác.")
        if plan.missing:
            self.stdout.write(f"  Có {len(plan.missing)} đơn vị hiện có không nằm trong tệp (giữ nguyên).")
        if dry_run or not plan.has_changes:
            self.stdout.write(f"Xem trước (chưa ghi): {plan.summary()}")
            return
        self.stdout.write(f"Xem trước: {plan.summary()}")
        if not confirm_in_terminal(self, "Ghi vào cơ sở dữ liệu?", yes=yes):
            self.stdout.write("Đã hủy. Không có gì được ghi.")
            return
        apply_unit_import(plan, source_name=path.name)
        self.stdout.write(self.style.SUCCESS(plan.summary()))
