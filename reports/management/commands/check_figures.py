"""`manage.py check_figures`: every figure of the roll-ups (and, with `--drafted`, of the
superiors' drafted reports) recomputed from the raw entries and compared (reports/differential.py).

    manage.py check_figures --unit 48 --period 2026-Q1
    manage.py check_figures --period all --year 2026 --drafted

Prints each figure that differs and exits with an error when any does; reads, never writes.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports import differential
from reports.models import Report
from reports.periods import COUNT, SPAN, Period, PeriodError
from reports.services import today
from units.models import Unit


class Command(BaseCommand):
    help = (
        "Kiểm tra chéo số liệu tổng hợp: tính lại mọi số liệu của bảng tổng hợp (và của báo cáo cấp trên "
        "soạn từ báo cáo cấp dưới) trực tiếp từ kết quả các đơn vị đã nhập, rồi so sánh."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--unit",
            action="append",
            help="Mã đơn vị cấp trên (lặp lại được; mặc định: mọi tỉnh, thành phố).",
        )
        parser.add_argument(
            "--period",
            default="all",
            help="Kỳ báo cáo, ví dụ 2026-Q1, 2026-6T1, 2026-N; hoặc all (mọi kỳ đã bắt đầu).",
        )
        parser.add_argument("--year", type=int, help="Năm của --period all (mặc định: năm nay).")
        parser.add_argument(
            "--drafted",
            action="store_true",
            help="Kiểm tra cả báo cáo của đơn vị cấp trên đã soạn từ cấp dưới.",
        )

    def handle(self, *args, unit: list[str] | None, period: str, year: int | None, drafted: bool, **options):
        periods = _periods(period, year)
        units = _units(unit, periods[-1].end if periods else today())
        mismatches = 0
        seen_units: set[int] = set()
        seen_tasks: set[int] = set()
        seen_targets: set[int] = set()
        for superior in units:
            for p in periods:
                for include_unaccepted in (True, False):
                    mine = differential.recompute(superior, p, include_unaccepted)
                    found = differential.diff(
                        differential.product_figures(superior, p, include_unaccepted), mine
                    )
                    seen_units |= mine.rows.keys()
                    seen_tasks |= mine.tasks.keys()
                    seen_targets |= {pk for task in mine.tasks.values() for pk in task.targets}
                    scope = (
                        _("kể cả báo cáo chưa tiếp nhận") if include_unaccepted else _("báo cáo đã tiếp nhận")
                    )
                    mismatches += self._print(found, f"{superior.code} · {p.code} · {scope}")
                found = differential.compare_cumulative(superior, p)
                mismatches += self._print(found, f"{superior.code} · {p.code} · {_('số liệu cả kỳ')}")
                if drafted:
                    report = Report.objects.filter(
                        unit=superior, year=p.year, period_kind=p.kind, period_number=p.number
                    ).first()
                    if report is not None and report.results.strip():
                        found = differential.compare_drafted(report)
                        mismatches += self._print(
                            found, f"{superior.code} · {p.code} · {_('báo cáo đã soạn')}"
                        )
        summary = _("Đã kiểm tra %(units)s đơn vị, %(tasks)s nhiệm vụ, %(targets)s chỉ tiêu") % {
            "units": len(seen_units),
            "tasks": len(seen_tasks),
            "targets": len(seen_targets),
        }
        if mismatches:
            raise CommandError(
                _("%(summary)s: %(n)s số liệu không khớp.") % {"summary": summary, "n": mismatches}
            )
        self.stdout.write(self.style.SUCCESS(_("%(summary)s: khớp.") % {"summary": summary}))

    def _print(self, found: list[differential.Mismatch], scope: str) -> int:
        for mismatch in found:
            self.stdout.write(self.style.ERROR(f"[{scope}] {mismatch}"))
        return len(found)


def _periods(code: str, year: int | None) -> list[Period]:
    if code != "all":
        try:
            return [Period.from_code(code)]
        except PeriodError:
            raise CommandError(
                _("Kỳ “%(code)s” không hợp lệ: ví dụ 2026-T03, 2026-Q1, 2026-6T1, 2026-9T, 2026-N hoặc all.")
                % {"code": code}
            ) from None
    year = year or today().year
    started = [Period(year, kind, n) for kind in SPAN for n in range(1, COUNT[kind] + 1)]
    return sorted((p for p in started if p.start <= today()), key=lambda p: (p.end, SPAN[p.kind]))


def _units(codes: list[str] | None, day) -> list[Unit]:
    if not codes:
        return list(Unit.objects.filter(depth=1).valid_on(day).order_by("path"))
    units = []
    for code in codes:
        unit = Unit.objects.filter(code=code).valid_on(day).first()
        if unit is None:
            raise CommandError(_("Không có đơn vị mã “%(code)s” còn hiệu lực.") % {"code": code})
        units.append(unit)
    return units
