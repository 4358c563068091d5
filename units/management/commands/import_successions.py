import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cchc_portal.lib.imports import confirm_in_terminal
from cchc_portal.lib.spreadsheets import SpreadsheetError, check_size
from units.services import UnitImportError, apply_successions
from units.successions import SuccessionFileError, plan_successions, read_successions

PREVIEW_LINES = 50


def _date(text: str) -> datetime.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise CommandError(f"Ngày không hợp lệ: {text!r} (dùng dạng 2025-07-01 hoặc 01/07/2025)")


class Command(BaseCommand):
    help = (
        "Nhập bảng kế thừa đơn vị (đơn vị cũ → đơn vị mới): bảng chuyển đổi ĐVHC cấp xã như được công bố, "
        "hoặc bảng old_code, new_code, kind, date, legal_basis (.xlsx hoặc CSV). Đơn vị được đối chiếu theo mã "
        "và thời gian hiệu lực. In bản xem trước rồi hỏi trước khi ghi; chỉ ghi khi mọi dòng hợp lệ "
        "(hoặc có --skip-invalid). Chạy lại cùng tệp không thay đổi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--date", type=_date, help="Ngày hiệu lực khi tệp không ghi (mặc định theo tệp, 01/07/2025)"
        )
        parser.add_argument("--legal-basis", default="", help="Căn cứ pháp lý khi tệp không ghi")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Bỏ qua các dòng lỗi, ghi các dòng hợp lệ"
        )
        parser.add_argument("--dry-run", action="store_true", help="Chỉ xem trước, không ghi")
        parser.add_argument("--yes", action="store_true", help="Ghi sau bản xem trước, không hỏi lại")

    def handle(self, *args, path: Path, date, legal_basis, skip_invalid, dry_run, yes, **options):
        try:
            check_size(path.stat().st_size, settings.UNIT_IMPORT_MAX_BYTES)
            content = path.read_bytes()
            parsed = read_successions(content, path.name, default_date=date, legal_basis=legal_basis)
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {path}: {exc.strerror}") from exc
        except (SuccessionFileError, SpreadsheetError) as exc:
            raise CommandError(str(exc)) from exc
        plan = plan_successions(parsed)
        counts = plan.counts
        self.stdout.write(f"{path.name}: {parsed.shape_label}, {len(parsed.rows)} dòng")
        self.stdout.write(
            f"  mới {counts['new']}, thay đổi {counts['changed']}, không đổi {counts['unchanged']}, "
            f"lỗi {counts['invalid']}"
        )
        for warning in plan.warnings:
            self.stdout.write(f"  ! {warning}")
        for error in plan.errors[:PREVIEW_LINES]:
            self.stderr.write(f"  - {error}")
        if len(plan.errors) > PREVIEW_LINES:
            self.stderr.write(f"  … và {len(plan.errors) - PREVIEW_LINES} lỗi khác.")
        for link in plan.of("changed")[:PREVIEW_LINES]:
            changes = "; ".join(f"{name}: {a} → {b}" for name, (a, b) in link.changes.items())
            self.stdout.write(f"  ~ {link.row.old_code} → {link.row.new_code}: {changes}")
        if counts["invalid"] and not skip_invalid:
            raise CommandError(
                f"Tệp có {counts['invalid']} dòng lỗi; không có gì được ghi. Sửa tệp, hoặc thêm --skip-invalid."
            )
        if dry_run or not plan.has_changes:
            self.stdout.write(f"Xem trước (chưa ghi): {plan.summary()}")
            return
        self.stdout.write(f"Xem trước: {plan.summary()}")
        if not confirm_in_terminal(self, "Ghi vào cơ sở dữ liệu?", yes=yes):
            self.stdout.write("Đã hủy. Không có gì được ghi.")
            return
        try:
            apply_successions(plan, source_name=path.name, skip_invalid=skip_invalid)
        except UnitImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Đã nhập: {plan.summary()}"))
