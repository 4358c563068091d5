from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from procedures import services
from procedures.reading import ReadError, read_procedures


class Command(BaseCommand):
    help = (
        "Nhập danh mục thủ tục hành chính từ tệp .xlsx (xuất từ Cổng DVC quốc gia hoặc phụ lục quyết định "
        "công bố) hoặc .csv. In bản xem trước; chỉ ghi khi không có dòng lỗi (hoặc có --skip-invalid)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Chỉ xem trước, không ghi gì.")
        parser.add_argument("--skip-invalid", action="store_true", help="Bỏ qua các dòng lỗi.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--full", action="store_true", help="Tệp là danh sách đầy đủ: bãi bỏ thủ tục vắng mặt."
        )
        group.add_argument(
            "--partial", action="store_true", help="Tệp là một phần danh mục: không bãi bỏ gì."
        )
        parser.add_argument(
            "--scope",
            default="",
            help='Phạm vi (nguồn) của tệp, ví dụ "Bộ Tư pháp"; mặc định là cơ quan ban hành mà tệp khai. '
            "Danh sách đầy đủ chỉ bãi bỏ thủ tục trong phạm vi này.",
        )

    def handle(
        self,
        *args,
        path: Path,
        dry_run: bool,
        skip_invalid: bool,
        full: bool,
        partial: bool,
        scope: str,
        **options,
    ):
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {path}: {exc.strerror}") from exc
        try:
            sheet = read_procedures(content, path.name, max_bytes=settings.PROCEDURE_IMPORT_MAX_BYTES)
        except ReadError as exc:
            raise CommandError(str(exc)) from exc
        plan = services.plan_import(
            sheet, full_list=True if full else False if partial else None, scope=scope or None
        )
        counts = plan.counts
        self.stdout.write(plan.scope_note())
        for warning in [*sheet.warnings, *services.plan_warnings(plan)]:
            self.stdout.write(f"  ! {warning}")
        self.stdout.write(
            f"{path.name}: {len(sheet.rows)} dòng — thêm mới {counts['new']}, sửa đổi {counts['changed']}, "
            f"không đổi {counts['unchanged']}, bãi bỏ {counts['repealed']}, lỗi {counts['invalid']}."
        )
        for row in plan.of("invalid")[:50]:
            for error in row.row.errors:
                self.stdout.write(f"  {error}")
        for row in plan.of("changed")[:50]:
            changes = "; ".join(
                f"{services.LABELS[name]}: {services.describe(a)} → {services.describe(b)}"
                for name, (a, b) in row.diff.items()
            )
            self.stdout.write(f"  sửa {row.row.code}: {changes}")
        for procedure in plan.repealed[:50]:
            self.stdout.write(f"  bãi bỏ {procedure.code}: {procedure.name}")
        for procedure in plan.protected[:50]:
            self.stdout.write(f"  giữ {procedure.code} (có trong danh sách của nguồn khác): {procedure.name}")
        if plan.refusal:
            raise CommandError(plan.refusal)
        if dry_run:
            self.stdout.write("Chỉ xem trước (--dry-run): không có gì được ghi.")
            return
        try:
            batch = services.apply_import(
                plan, source_name=path.name, content=content, skip_invalid=skip_invalid
            )
        except services.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        if batch is None:
            self.stdout.write("Không có thay đổi nào; không có gì được ghi.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Đã nhập: {batch.added} thêm mới, {batch.changed} sửa đổi, {batch.repealed} bãi bỏ, "
                    f"{batch.skipped} dòng lỗi bỏ qua."
                )
            )
