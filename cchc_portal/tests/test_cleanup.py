"""`manage.py cleanup` removes import files previewed and never confirmed once they are older than
their age, expired sessions and login failures past the cool-off; --dry-run removes nothing."""

from __future__ import annotations

import datetime
import io
import os
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from cchc_portal.lib import uploads

HOUR = 3600


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _aged(media, kind: str, hours: float, suffix: str = ".bin") -> str:
    token = uploads.stash(kind, b"x" * 10, suffix)
    path = media / "imports" / kind / f"{token}{suffix}"
    then = time.time() - hours * HOUR
    os.utime(path, (then, then))
    return token


def _cleanup(*args) -> str:
    out = io.StringIO()
    call_command("cleanup", *args, stdout=out)
    return out.getvalue()


def test_it_removes_previews_older_than_their_age_and_keeps_the_rest(media, db):
    old_tasks = _aged(media, "tasks", 30, ".xlsx")
    old_units = _aged(media, "units", 25)
    fresh = _aged(media, "tasks", 2, ".xlsx")
    (media / "imports" / "README.txt").write_text("not a preview")  # not ours: left alone
    (media / "imports" / "tasks" / "ghi-chu.txt").write_text("nor this")
    os.utime(media / "imports" / "tasks" / "ghi-chu.txt", (0, 0))

    output = _cleanup()

    assert f"Đã xóa imports/tasks/{old_tasks}.xlsx (10 byte, ghi lúc " in output
    assert f"Đã xóa imports/units/{old_units}.bin" in output
    assert "Đã xóa 2 tệp nhập dữ liệu chờ xác nhận cũ hơn 24 giờ." in output
    assert uploads.unstash("tasks", old_tasks, ".xlsx") is None
    assert uploads.unstash("units", old_units) is None
    assert uploads.unstash("tasks", fresh, ".xlsx") == b"x" * 10
    assert (media / "imports" / "README.txt").exists()
    assert (media / "imports" / "tasks" / "ghi-chu.txt").exists()


def test_the_age_is_a_setting_and_an_option(media, db, settings):
    token = _aged(media, "tasks", 5, ".xlsx")
    settings.CCHC_TEMPORARY_FILE_HOURS = 6
    assert "Đã xóa 0 tệp" in _cleanup()
    assert "Đã xóa 1 tệp" in _cleanup("--hours", "4")
    assert uploads.unstash("tasks", token, ".xlsx") is None
    with pytest.raises(CommandError, match="phải từ 1 trở lên"):
        _cleanup("--hours", "0")


def test_a_dry_run_lists_and_removes_nothing(media, db):
    token = _aged(media, "procedures", 48)
    output = _cleanup("--dry-run")
    assert f"Sẽ xóa imports/procedures/{token}.bin" in output
    assert "Sẽ xóa 1 tệp nhập dữ liệu chờ xác nhận" in output
    assert uploads.unstash("procedures", token) == b"x" * 10


def test_without_any_import_it_says_so(media, db):
    assert "Đã xóa 0 tệp nhập dữ liệu chờ xác nhận cũ hơn 24 giờ." in _cleanup()


def test_it_removes_expired_sessions_and_old_login_failures(media, db, settings):
    from axes.models import AccessAttempt

    now = timezone.now()
    Session.objects.create(
        session_key="a" * 32, session_data="", expire_date=now - datetime.timedelta(hours=1)
    )
    Session.objects.create(
        session_key="b" * 32, session_data="", expire_date=now + datetime.timedelta(hours=1)
    )
    for minutes, username in ((60, "cu"), (1, "moi")):
        attempt = AccessAttempt.objects.create(
            username=username, ip_address="203.0.113.7", user_agent="", failures_since_start=3
        )
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=now - datetime.timedelta(minutes=minutes)
        )

    dry = _cleanup("--dry-run")
    assert "Sẽ xóa 1 phiên đăng nhập đã hết hạn." in dry
    assert "Sẽ xóa 1 bản ghi đăng nhập sai" in dry
    assert Session.objects.count() == 2 and AccessAttempt.objects.count() == 2

    output = _cleanup()
    assert "Đã xóa 1 phiên đăng nhập đã hết hạn." in output
    assert "Đã xóa 1 bản ghi đăng nhập sai đã quá thời gian tạm khóa." in output
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["moi"]
