"""`manage.py cleanup`: remove what the portal leaves behind, for cron, e.g. every hour

    15 * * * *  cd /srv/cchc && .venv/bin/python manage.py cleanup

- import files previewed and never confirmed (media/imports/, cchc_portal/lib/uploads.py),
  once older than CCHC_TEMPORARY_FILE_HOURS (or --hours);
- expired sessions (with the database session engines; a cache forgets them by itself);
- login failures past django-axes' cool-off (they no longer count; the failure log stays).

Prints each file it removes and one line per kind; --dry-run prints the same and removes nothing.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from cchc_portal.lib import uploads
from cchc_portal.lib.formatting import number, short_datetime

# The session engines that keep sessions in the database table (cache-only ones expire there).
DATABASE_SESSIONS = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


class Command(BaseCommand):
    help = _(
        "Xóa tệp nhập dữ liệu đã xem trước mà không xác nhận, phiên đăng nhập hết hạn và lần đăng nhập sai "
        "đã quá thời gian tạm khóa. Chạy định kỳ (cron); --dry-run chỉ liệt kê."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=None,
            help=_("Xóa tệp tạm cũ hơn số giờ này (mặc định CCHC_TEMPORARY_FILE_HOURS, 24)."),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("Chạy thử: chỉ liệt kê, không xóa gì."))

    def handle(self, *args, hours: int | None, dry_run: bool, **options):
        hours = settings.CCHC_TEMPORARY_FILE_HOURS if hours is None else hours
        if hours < 1:
            raise CommandError(_("Số giờ (--hours) phải từ 1 trở lên."))
        now = timezone.now()
        verb = _("Sẽ xóa") if dry_run else _("Đã xóa")

        files = uploads.stale(datetime.timedelta(hours=hours), now=now)
        for stashed in files:
            if not dry_run:
                uploads.remove(stashed)
            self.stdout.write(
                _("%(verb)s %(name)s (%(size)s byte, ghi lúc %(when)s)")
                % {
                    "verb": verb,
                    "name": stashed.name,
                    "size": number(stashed.size),
                    "when": short_datetime(stashed.modified),
                }
            )
        self.stdout.write(
            _("%(verb)s %(n)s tệp nhập dữ liệu chờ xác nhận cũ hơn %(hours)s giờ.")
            % {"verb": verb, "n": number(len(files)), "hours": hours}
        )

        if settings.SESSION_ENGINE in DATABASE_SESSIONS:
            from django.contrib.sessions.models import Session

            sessions = Session.objects.filter(expire_date__lt=now)
            count = sessions.count()
            if not dry_run:
                sessions.delete()
            self.stdout.write(
                _("%(verb)s %(n)s phiên đăng nhập đã hết hạn.") % {"verb": verb, "n": number(count)}
            )

        from axes.models import AccessAttempt

        attempts = AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME)
        count = attempts.count()
        if not dry_run:
            attempts.delete()
        self.stdout.write(
            _("%(verb)s %(n)s bản ghi đăng nhập sai đã quá thời gian tạm khóa.")
            % {"verb": verb, "n": number(count)}
        )
