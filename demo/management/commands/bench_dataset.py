"""`manage.py bench_dataset`: the national benchmark dataset (reports/national.py says what it holds).

    createdb -h 127.0.0.1 -U postgres cchc_national
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_national .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc_national .venv/bin/python manage.py bench_dataset

Runs only on a freshly migrated database (it refuses when the year already has plans).
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from demo import national, require_development


class Command(BaseCommand):
    help = "Tạo bộ dữ liệu toàn quốc để đo hiệu năng (34 tỉnh, 3.321 xã, kế hoạch, báo cáo một năm, 10.000 TTHC)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Năm của kế hoạch và báo cáo (mặc định: năm nay).")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            help="Ngày coi là hôm nay (YYYY-MM-DD): các kỳ đã quá hạn trước ngày này có báo cáo đã gửi.",
        )
        parser.add_argument("--provinces", type=int, help="Chỉ lấy N tỉnh đầu danh sách (thử nhanh).")
        parser.add_argument("--communes", type=int, help="Chỉ lấy N xã đầu mỗi tỉnh (thử nhanh).")
        parser.add_argument(
            "--procedures",
            type=int,
            default=national.PROCEDURES,
            help="Số thủ tục hành chính (mặc định 10.000).",
        )

    def handle(self, *args, **options):
        require_development()
        try:
            summary = national.build(
                year=options["year"],
                today=options["today"],
                provinces=options["provinces"],
                communes_per_province=options["communes"],
                procedures=options["procedures"],
                log=self.stdout.write,
            )
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for line in summary.lines():
            self.stdout.write(line)
        timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.timings.items())
        self.stdout.write(f"Thời gian: {timings}")
        self.stdout.write(
            f"Đăng nhập: snv.<mã tỉnh>, cb.<mã xã>, vp.<mã xã>, ct.<mã xã>, {national.NATIONAL_USER}; "
            f"mật khẩu {national.BENCH_PASSWORD}"
        )
