from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cchc_portal.lib.formatting import short_date
from documents.services import verify_upload


class Command(BaseCommand):
    help = (
        "Xác minh chữ ký số của một tệp PDF như trang xác minh công khai (cùng một cách phán quyết chặt). "
        "Mã thoát 0 chỉ khi mọi chữ ký nguyên vẹn, hợp lệ, được tin cậy, chứng thư chưa bị thu hồi và tệp không "
        "bị thêm gì sau khi ký; 2 khi chưa kiểm tra được tình trạng thu hồi; 1 trong mọi trường hợp khác."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {path}: {exc.strerror}") from exc
        verdict, document = verify_upload(content)
        self.stdout.write(f"{path.name}: {verdict.message}")
        for signature in verdict.signatures:
            self.stdout.write(f"  - {signature.summary}")
        if document is not None:
            self.stdout.write(
                f"  Văn bản số {document.reference} ngày {short_date(document.issued_on)} của {document.unit.full_name}"
            )
        else:
            self.stdout.write("  Không trùng với văn bản đã ký nào trong sổ văn bản đi.")
        if not verdict.ok:
            raise CommandError(
                f"Không hợp lệ ({verdict.status}) / invalid.",
                returncode=2 if verdict.status == "indeterminate" else 1,
            )
