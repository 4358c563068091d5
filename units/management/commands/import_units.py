import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from units.importers import UnitFileError, read_unit_file
from units.services import apply_unit_import, plan_unit_import


def _date(text: str) -> datetime.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise CommandError(f"Ngày không hợp lệ: {text!r} (dùng dạng 2025-07-01 hoặc 01/07/2025)")


class Command(BaseCommand):
    help = (
        "Nhập danh mục đơn vị hành chính từ tệp JSON (danh mục hai cấp từ 01/7/2025 hoặc ba cấp trước đó). "
        "Chạy lại cùng tệp không thay đổi gì; tệp có lỗi bị từ chối và không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--valid-from", type=_date, help="Hiệu lực từ (mặc định theo loại danh mục)")
        parser.add_argument("--valid-to", type=_date, help="Hiệu lực đến (mặc định theo loại danh mục)")
        parser.add_argument("--legal-basis", help="Căn cứ pháp lý ghi cho các đơn vị")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ xem trước, không ghi")

    def handle(self, *args, path: Path, valid_from, valid_to, legal_basis, dry_run, **options):
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {path}: {exc.strerror}") from exc
        try:
            parsed = read_unit_file(content)
        except UnitFileError as exc:
            raise CommandError(str(exc)) from exc
        plan = plan_unit_import(parsed, valid_from=valid_from, valid_to=valid_to, legal_basis=legal_basis)
        self.stdout.write(f"{path.name}: {parsed.format_label}")
        self.stdout.write("  " + ", ".join(f"{label}: {n}" for label, n in plan.counts_by_level()))
        if not plan.is_valid:
            for error in plan.errors:
                self.stderr.write(f"  - {error}")
            raise CommandError(plan.summary())
        for update in plan.updates:
            changes = "; ".join(f"{c.label}: {c.old} → {c.new}" for c in update.changes)
            self.stdout.write(f"  ~ {update.unit.code} {update.unit.full_name}: {changes}")
        if plan.missing:
            self.stdout.write(f"  Có {len(plan.missing)} đơn vị hiện có không nằm trong tệp (giữ nguyên).")
        if dry_run:
            self.stdout.write(f"Xem trước (chưa ghi): {plan.summary()}")
            return
        apply_unit_import(plan, source_name=path.name)
        self.stdout.write(self.style.SUCCESS(plan.summary()))
