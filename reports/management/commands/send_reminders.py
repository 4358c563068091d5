"""`manage.py send_reminders`: the daily reminder run, for cron, e.g.

    30 7 * * *  cd /srv/cchc && .venv/bin/python manage.py send_reminders

Prints one line of summary. Running it again the same day sends nothing new.
"""

from __future__ import annotations

import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.reminders import send_reminders

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Command(BaseCommand):
    help = (
        "Nhắc các đơn vị có báo cáo sắp đến hạn hoặc quá hạn mà chưa gửi (thư điện tử), rồi gửi "
        "bản tổng hợp cho người theo dõi ở cấp trên. Chạy hằng ngày; chạy lại trong ngày không gửi trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=5, help="Nhắc báo cáo có hạn gửi trong số ngày này (mặc định 5)."
        )
        parser.add_argument(
            "--date", help="Coi như hôm nay là ngày này, dạng YYYY-MM-DD (mặc định: hôm nay)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Chạy thử: chỉ đếm, không gửi thư, không ghi dữ liệu."
        )

    def handle(self, *args, days: int, date: str | None, dry_run: bool, **options):
        day = None
        if date is not None:
            try:
                if not DATE.match(date):
                    raise ValueError(date)
                day = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(
                    _("Ngày “%(date)s” không hợp lệ: hãy ghi theo dạng YYYY-MM-DD, ví dụ 2026-03-18.")
                    % {"date": date}
                ) from None
        if days < 0:
            raise CommandError(_("Số ngày (--days) phải từ 0 trở lên."))
        summary = send_reminders(days=days, on=day, dry_run=dry_run)
        self.stdout.write(summary.line())
        if summary.failed:
            raise CommandError(
                _("Không gửi được thư nhắc cho %(n)d đơn vị; xem nhật ký lỗi.") % {"n": summary.failed}
            )
