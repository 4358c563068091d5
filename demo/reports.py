"""Demo periodic reports for `make run`: every issued commune plan of the demo province (Thành phố
Đà Nẵng) reported on, so that the reporting pages show realistic data.

For the year (today's, or else the latest year with issued commune plans):

- every period whose deadline has passed gets a report from each commune: every task entered with
  a plausible narrative, target values near the targets, a few links as evidence, submitted
  around the deadline (about one in ten late), most accepted by the Sở Nội vụ reviewer a few days
  later, about one in twenty returned with a reason first and resubmitted, and a couple of the
  latest period's reports left awaiting review;
- the period open today (services.current_period) is left half done: some communes have a draft
  with part of their tasks entered, the others have not started.

Entries, target results and evidence are written directly (the periods are closed, so the
services would refuse them); the transitions go through reports.services (submit with `now=`,
return, accept) and their timestamps are then moved to when they would have happened.

Deterministic (random.Random seeded with 2026) and idempotent: a unit's report for a period that
already exists is left alone, so a second run creates nothing.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cchc_portal.lib.formatting import number, short_date
from plans.models import Aggregation, Frequency, Plan, Status, Target, TargetKind, Task
from reports import cumulative, services
from reports.models import Entry, EntryStatus, Evidence, Report, ReportEvent, ReportState, TargetResult
from reports.periods import Period
from units.models import Level, Membership, Unit

SEED = 2026
PROVINCE = "48"  # Thành phố Đà Nẵng (demo.units.DEMO_PROVINCE)
REVIEWER = "snv.danang"
LATE_SHARE = 0.10
RETURNED_SHARE = 0.05
PENDING = 2  # at least this many reports of the latest closed period left awaiting review
PENDING_SHARE = 0.08  # of the latest closed period's reports, in a city of many communes
NOT_SENT_SHARE = 0.025  # closed-period reports never sent, once there are many (MANY) reports
MANY = 40
FILE_SHARE = 0.15  # entries with evidence links that also carry a small PDF file
PDF_EVIDENCE = (  # the smallest valid PDF: what a scanned minute stands for in the demo
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
DRAFT_SHARE = 0.55  # units with a draft in the open period (the others have not started)

# --- what a commune writes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A kind of task, recognised by words of its title, and what units write about it."""

    words: tuple[str, ...]
    path: str  # evidence links: https://danang.gov.vn/web/<unit>/<path>/-/<period>-<n>
    done: tuple[str, ...]
    doing: tuple[str, ...] = ()
    waiting: str = "Chưa đến thời điểm triển khai theo kế hoạch (hạn {deadline})."


TOPICS = [
    Topic(
        ("địa chỉ hành chính",),
        "dia-chi-hanh-chinh-moi",
        (
            "Đã phát trên hệ thống truyền thanh, phát tờ rơi và đăng trên nhóm Zalo các khu phố thông tin về "
            "địa chỉ hành chính mới, nơi tiếp nhận hồ sơ; giải đáp thắc mắc của người dân về giấy tờ đã cấp "
            "tiếp tục có giá trị sử dụng.",
        ),
        (
            "Đang phát thông tin về địa chỉ hành chính mới trên hệ thống truyền thanh và nhóm Zalo các khu "
            "phố; đã in tờ rơi, chuẩn bị phát đến từng hộ gia đình.",
        ),
    ),
    Topic(
        ("bảng thông tin điện tử",),
        "bang-thong-tin-dien-tu",
        (
            "Đã đưa vào vận hành {n} bảng thông tin điện tử tại Trung tâm Phục vụ hành chính công, hiển thị "
            "danh mục TTHC và tra cứu tình trạng hồ sơ.",
        ),
        (
            "Đã khảo sát vị trí lắp đặt, phối hợp doanh nghiệp viễn thông chuẩn bị thiết bị; dự kiến đưa vào "
            "sử dụng trước ngày {deadline}.",
        ),
    ),
    Topic(
        ("niêm yết",),
        "thu-tuc-hanh-chinh",
        (
            "Niêm yết đầy đủ TTHC tại Bộ phận một cửa và trên trang thông tin điện tử {kind}; cập nhật kịp "
            "thời các thủ tục mới được UBND thành phố công bố.",
            "Công khai {n}% thủ tục hành chính thuộc thẩm quyền tại Trung tâm Phục vụ hành chính công; thay "
            "bảng niêm yết các thủ tục đã sửa đổi, bổ sung trong kỳ.",
        ),
        (
            "Đã niêm yết {n}% TTHC thuộc thẩm quyền; một số thủ tục mới công bố đang được cập nhật trên "
            "trang thông tin điện tử {kind}.",
        ),
    ),
    Topic(
        ("bản tin",),
        "ban-tin-cai-cach-hanh-chinh",
        (
            "Đăng tải {posts} tin, bài về cải cách hành chính trên trang thông tin điện tử, Zalo OA và "
            "Fanpage của UBND {kind}; phát hành bình quân {n} số bản tin mỗi tháng.",
            "Phát hành đều đặn bản tin cải cách hành chính điện tử ({n} số/tháng) và {posts} tin, bài trên "
            "trang thông tin điện tử {kind}.",
        ),
        (
            "Đăng tải {posts} tin, bài về cải cách hành chính; bản tin điện tử bình quân {n} số/tháng, chưa "
            "đạt chỉ tiêu do thiếu cộng tác viên viết tin.",
        ),
    ),
    Topic(
        ("truyền thanh",),
        "chuyen-muc-cai-cach-hanh-chinh",
        (
            "Đã phát {n} chuyên đề cải cách hành chính trên Đài truyền thanh {kind}, thời lượng 12–15 phút "
            "mỗi chuyên đề; nội dung tập trung vào dịch vụ công trực tuyến toàn trình và thủ tục hành chính "
            "sau sắp xếp đơn vị hành chính.",
            "Duy trì chuyên mục cải cách hành chính trên hệ thống truyền thanh {kind}: {n} chuyên đề, phát "
            "lại vào khung giờ sáng và chiều; các khu phố tiếp âm đầy đủ.",
        ),
        (
            "Đã phát {n} chuyên đề trên Đài truyền thanh {kind}; một chuyên đề lùi sang kỳ sau do hệ thống "
            "loa ở một số khu phố đang sửa chữa.",
        ),
    ),
    Topic(
        ("hội nghị", "tập huấn"),
        "hoi-nghi-tap-huan",
        (
            "Đã tổ chức {n} hội nghị tập huấn về dịch vụ công trực tuyến, thanh toán trực tuyến cho cán bộ, "
            "công chức và đại diện các khu phố, với khoảng {people} lượt người tham dự.",
        ),
        (
            "Đã xây dựng kế hoạch, chuẩn bị tài liệu; dự kiến tổ chức hội nghị đối thoại với người dân về "
            "thủ tục hành chính trước ngày {deadline}.",
        ),
        "Chưa đến thời điểm tổ chức theo kế hoạch (hạn {deadline}); đang xây dựng nội dung tài liệu.",
    ),
    Topic(
        ("tờ gấp",),
        "to-gap-hoi-dap-tthc",
        (
            "Đã in và phát hành {n} tờ gấp hỏi – đáp về thủ tục hành chính thường gặp tại Trung tâm Phục vụ "
            "hành chính công và qua các khu phố.",
        ),
        ("Đã biên soạn nội dung tờ gấp, đang chờ duyệt in.",),
    ),
    Topic(
        ("pano", "áp phích"),
        "tuyen-truyen-truc-quan",
        (
            "Đã lắp đặt {n} cụm pano, áp phích và treo băng rôn tuyên truyền cải cách hành chính tại trụ sở "
            "UBND, Trung tâm Phục vụ hành chính công và các tuyến đường chính.",
        ),
        ("Đã hoàn thành thiết kế maket pano, áp phích; đang phối hợp đơn vị thi công lắp đặt.",),
    ),
    Topic(
        ("thứ bảy",),
        "huong-dan-dich-vu-cong",
        (
            "Duy trì hướng dẫn trực tiếp vào sáng thứ Bảy hằng tuần tại các khu phố: {n} lượt người dân được "
            "hướng dẫn cài đặt VNeID, nộp hồ sơ và thanh toán trực tuyến.",
        ),
    ),
    Topic(
        ("công nghệ số", "công nghệ cộng đồng"),
        "chuyen-doi-so",
        (
            "Tổ công nghệ số cộng đồng hướng dẫn người dân cài đặt, kích hoạt tài khoản VNeID mức độ 2 và nộp "
            "hồ sơ trực tuyến toàn trình; hỗ trợ thanh toán phí, lệ phí trực tuyến.",
            "Tổ công nghệ số cộng đồng tiếp tục hỗ trợ người dân sử dụng dịch vụ công trực tuyến; tổ chức "
            "{sessions} buổi hướng dẫn lưu động tại nhà văn hóa các khu phố.",
        ),
    ),
]
GENERAL = Topic(
    (),
    "cai-cach-hanh-chinh",
    ("Đã hoàn thành nhiệm vụ theo kế hoạch; kết quả cụ thể được tổng hợp trong báo cáo.",),
    ("Đang triển khai theo kế hoạch, đạt khoảng {progress}% khối lượng công việc của năm.",),
)
DONE_EARLIER = "Đã hoàn thành trong tháng {month}, đã báo cáo ở kỳ trước; tiếp tục duy trì hiệu quả."
DONE_LATE = " Hoàn thành chậm so với hạn {deadline} do phải chờ bố trí kinh phí."
OVERDUE = (
    "Chậm so với kế hoạch (hạn {deadline}) do phải điều chỉnh nội dung sau khi UBND thành phố công bố bộ "
    "TTHC mới; dự kiến hoàn thành trong tháng {month}."
)

STRENGTHS = (
    "Các phòng, đơn vị chủ động triển khai nhiệm vụ được giao; hình thức tuyên truyền đa dạng, chú trọng "
    "nền tảng số (Zalo OA, Fanpage, bản tin điện tử).",
    "Công tác tuyên truyền được lãnh đạo UBND quan tâm chỉ đạo; sự phối hợp giữa các phòng, đơn vị và các "
    "khu phố chặt chẽ, kịp thời.",
)
WEAKNESSES = (
    "Tỷ lệ người dân sử dụng dịch vụ công trực tuyến toàn trình ở một số khu phố còn thấp; một số tin, bài "
    "còn chậm cập nhật.",
    "Nội dung tuyên truyền ở một số thời điểm chưa phong phú; hệ thống loa truyền thanh ở một vài khu phố "
    "xuống cấp.",
)
CAUSES = (
    "Một bộ phận người dân, nhất là người cao tuổi, chưa quen sử dụng thiết bị thông minh; cán bộ làm công "
    "tác tuyên truyền còn kiêm nhiệm nhiều việc.",
    "Kinh phí dành cho công tác tuyên truyền còn hạn chế; khối lượng công việc sau sắp xếp đơn vị hành chính "
    "lớn.",
)
NEXT_TASKS = (
    "Tiếp tục duy trì chuyên mục cải cách hành chính trên hệ thống truyền thanh; đẩy mạnh hướng dẫn dịch vụ "
    "công trực tuyến toàn trình; hoàn thành các nhiệm vụ còn lại theo kế hoạch.",
    "Tập trung tuyên truyền về thanh toán trực tuyến và số hóa hồ sơ; tổ chức đối thoại với người dân về thủ "
    "tục hành chính; rà soát, niêm yết kịp thời các thủ tục mới.",
)
PROPOSALS = (
    "Đề nghị Sở Nội vụ tiếp tục tổ chức tập huấn kỹ năng viết tin, bài tuyên truyền cải cách hành chính cho "
    "cán bộ cơ sở.",
    "Đề nghị UBND thành phố hỗ trợ kinh phí sửa chữa, nâng cấp hệ thống truyền thanh cơ sở.",
    "Không.",
)
RETURN_REASONS = (
    "Đề nghị bổ sung tài liệu kiểm chứng (đường dẫn tin, bài) cho các nhiệm vụ đã báo cáo hoàn thành.",
    "Số liệu chỉ tiêu chưa khớp với báo cáo tháng; đề nghị rà soát, bổ sung minh chứng và gửi lại.",
)
FIXED = " Đã bổ sung minh chứng theo đề nghị của Sở Nội vụ."


def topic_for(task: Task) -> Topic:
    title = task.title.lower()
    for topic in TOPICS:
        if any(word in title for word in topic.words):
            return topic
    return GENERAL


def number_text(value: Decimal | int) -> str:
    """1500 → "1.500" (Vietnamese thousands), 98.5 → "98,5"."""
    return number(value)


def _slug(text: str) -> str:
    return slugify(text.replace("đ", "d").replace("Đ", "D"))


# --- one entry -------------------------------------------------------------------------------------------


@dataclass
class Value:
    status: str
    progress: int
    narrative: str
    achieved: dict[int, Decimal] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _year_start(year: int) -> datetime.date:
    return datetime.date(year - 1, 12, 15)  # January's data starts on 15 December (NĐ 09)


def _fraction(start: datetime.date, end: datetime.date) -> float:
    return max(0.0, min(1.0, ((end - start).days + 1) / 365))


def _round(value: float, goal: Decimal, *, down: bool = False) -> Decimal:
    step = 10 if goal >= 1000 else 1
    rounded = math.floor(value / step) if down else round(value / step)
    return Decimal(max(0, rounded * step))


def _achieved(target: Target, share: float, mode: str, rng: random.Random) -> Decimal:
    """What a unit achieved of a target over the part of the year `share` (0–1): "done" (the
    period's share met), "short" (behind) or "steady" (a continuous task)."""
    goal = target.value
    if target.kind == TargetKind.PERCENT:
        if mode == "short" or (mode == "steady" and rng.random() < 0.2):
            return Decimal(rng.choice((95, 96, 98)))
        return Decimal(100)
    if target.kind == TargetKind.RATE or target.aggregation == Aggregation.AVERAGE:  # "số/tháng"
        # A rate is met or missed, never exceeded much: 4 bulletins a month are 2 to 4 in practice.
        if mode == "short":
            return max(Decimal(1), goal - rng.choice((1, 2)))
        return goal - (1 if mode == "steady" and rng.random() < 0.3 else 0)
    expected = float(goal) * share
    if mode == "short":
        return _round(expected * rng.uniform(0.7, 0.95), goal, down=True)
    if mode == "steady":
        return _round(expected * rng.uniform(0.9, 1.12), goal)
    return max(_round(expected * rng.uniform(1.0, 1.12), goal), Decimal(math.ceil(expected)))


def _once(
    topic: Topic,
    period: Period,
    as_of: datetime.date,
    done_on: datetime.date,
    deadline: datetime.date,
    rng: random.Random,
) -> tuple[str, int, str, bool]:
    """A one-off task: (status, progress, narrative template, whether its targets count in the
    period)."""
    if done_on <= as_of:
        status = EntryStatus.DONE_LATE if done_on > deadline else EntryStatus.DONE_ON_TIME
        if done_on < period.start and not period.is_cumulative:
            return status, 100, DONE_EARLIER, False
        text = rng.choice(topic.done)
        if status == EntryStatus.DONE_LATE:
            text += DONE_LATE
        return status, 100, text, True
    if as_of > deadline:
        return EntryStatus.OVERDUE, rng.randint(12, 18) * 5, OVERDUE, False
    begin = datetime.date(period.year, 1, 15)
    progress = round(100 * (as_of - begin).days / max((done_on - begin).days, 1) / 5) * 5
    if progress < 10:
        return EntryStatus.NOT_STARTED, 0, topic.waiting, False
    return EntryStatus.IN_PROGRESS, min(progress, 90), rng.choice(topic.doing or GENERAL.doing), False


def _value(
    task: Task, unit: Unit, period: Period, as_of: datetime.date, rng: random.Random, first: random.Random
) -> Value:
    """What the unit writes for a task in its report for the period, with data up to `as_of`.
    `first` is the task's own random source (the same in every period), `rng` the period's."""
    topic = topic_for(task)
    targets = list(task.targets.all())
    as_of = min(as_of, period.end)
    share = _fraction(period.start, as_of)
    deadline = task.deadline or datetime.date(period.year, 12, 14)
    # When a one-off task gets done: before its deadline, or (about one in eight) after it.
    late = first.random() < 0.12
    done_on = deadline + datetime.timedelta(days=first.randint(5, 20) if late else -first.randint(5, 40))
    done_on = max(done_on, datetime.date(period.year, 2, 10))
    achieved: dict[int, Decimal] = {}
    if task.frequency == Frequency.ONCE:
        status, progress, text, counts = _once(topic, period, as_of, done_on, deadline, rng)
        if counts:
            for target in targets:
                bump = 1 if 2 <= target.value < 10 and rng.random() < 0.25 else 0
                achieved[target.pk] = target.value + bump
    else:
        if task.frequency in (Frequency.MONTHLY, Frequency.QUARTERLY):
            mode = "done" if rng.random() < 0.75 else "short"
        else:
            mode = "steady"
        if mode == "done":
            status, progress = EntryStatus.DONE_ON_TIME, 100
        else:
            year_share = _fraction(_year_start(period.year), as_of)
            status = EntryStatus.IN_PROGRESS
            progress = max(5, min(95, round(100 * year_share) + rng.randint(-4, 4)))
        for target in targets:
            achieved[target.pk] = _achieved(target, share, mode, rng)
        short = mode == "short" or any(
            t.kind == TargetKind.PERCENT and achieved[t.pk] < t.value for t in targets
        )
        text = rng.choice(topic.doing if short and topic.doing else topic.done)
    months = max(1, round(share * 12))
    narrative = text.format(
        n=number_text(next(iter(achieved.values()), Decimal(0))),
        kind=(unit.kind.label or unit.kind.name).lower(),
        deadline=short_date(deadline),
        month=f"{done_on.month:02d}/{done_on.year}",
        progress=progress,
        posts=rng.randint(4, 9) * months,
        people=rng.randint(8, 25) * 10,
        sessions=rng.randint(2, 4) * max(1, months // 3),
    )
    links = []
    if text not in (DONE_EARLIER, topic.waiting) and (achieved or status == EntryStatus.DONE_ON_TIME):
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
            links.append(
                f"https://danang.gov.vn/web/{_slug(unit.full_name)}/{topic.path}/-/"
                f"{period.code.lower()}-{rng.randint(100, 999)}"
            )
    files = [f"{topic.path}-{period.code}.pdf"] if links and rng.random() < FILE_SHARE else []
    return Value(status, progress, narrative, achieved, links, files)


# --- times ---------------------------------------------------------------------------------------------------


def _workday(day: datetime.date, step: int = 1) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=step)
    return day


def _at(
    day: datetime.date, rng: random.Random, first_hour: int = 8, last_hour: int = 16
) -> datetime.datetime:
    moment = datetime.datetime.combine(
        day, datetime.time(rng.randint(first_hour, last_hour), rng.randint(0, 59))
    )
    return timezone.make_aware(moment)


def _days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]


# --- the reports ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    late: bool = False
    returned: bool = False
    pending: bool = False  # left awaiting review
    not_sent: bool = False  # never sent (the unit has no report for the period)


@dataclass
class People:
    by_role: dict[int, Any]
    compiler: Any
    reviewer: Any

    def for_task(self, task: Task) -> Any:
        return self.by_role.get(task.group.lead_role_id) or self.compiler


def _people(unit: Unit, reviewer) -> People:
    memberships = list(Membership.objects.active().filter(unit=unit).select_related("user").order_by("pk"))
    by_role = {m.role_id: m.user for m in memberships}
    compiler = next((m.user for m in memberships if m.compile_reports), None)
    if compiler is None and memberships:
        compiler = memberships[0].user
    return People(by_role, compiler, reviewer)


def _tasks(plan: Plan) -> list[Task]:
    return list(
        plan.tasks.select_related("group")
        .prefetch_related("targets")
        .order_by("group__position", "position", "pk")
    )


def _typed_figures(report: Report, entries: list[Entry], values) -> dict[int, dict[int, Decimal]]:
    """entry pk → target pk → the figure an officer types. In a cumulative report that covers
    earlier reports, what is typed is the remainder's (reports/cumulative.py): for a count, the
    whole period's figure less what the earlier reports counted; for a rate, a percentage, a
    level or yes/no, the figure itself."""
    whole = {
        entry.pk: {t: a.quantize(Decimal("0.01")) for t, a in values[entry.task_id][0].achieved.items()}
        for entry in entries
    }
    parts = cumulative.parts_of(report)
    if parts is None or not parts.earlier or not parts.remainder_months:
        return whole
    earlier: dict[tuple[int, int], Decimal] = {}
    for task_id, target_id, achieved in TargetResult.objects.filter(
        entry__report__in=parts.earlier, achieved__isnull=False, target__kind=TargetKind.COUNT
    ).values_list("entry__task_id", "target_id", "achieved"):
        earlier[(task_id, target_id)] = earlier.get((task_id, target_id), Decimal(0)) + achieved
    for entry in entries:
        for target_id, figure in whole[entry.pk].items():
            if (entry.task_id, target_id) in earlier:
                whole[entry.pk][target_id] = max(figure - earlier[(entry.task_id, target_id)], Decimal(0))
    return whole


def _write_entries(report: Report, values: dict[int, tuple[Value, Any, datetime.datetime]]) -> None:
    """Entries (by task pk) saved as the services would have, at the given times."""
    entries = [e for e in report.entries.all() if e.task_id in values]
    for entry in entries:
        value, by, at = values[entry.task_id]
        entry.status, entry.progress, entry.narrative = value.status, value.progress, value.narrative
        entry.is_entered, entry.updated_by, entry.updated_at = True, by, at
        entry.lock_version += 1
    Entry.objects.bulk_update(
        entries, ["status", "progress", "narrative", "is_entered", "updated_by", "updated_at", "lock_version"]
    )
    TargetResult.objects.filter(entry__in=entries).delete()  # a cumulative report's prefilled ones
    typed = _typed_figures(report, entries, values)
    TargetResult.objects.bulk_create(
        [
            TargetResult(entry=entry, target_id=target_id, achieved=figure, own=figure)
            for entry in entries
            for target_id, figure in typed[entry.pk].items()
        ]
    )
    # A 6-month, 9-month or annual report: the period's figures put together as the product does.
    cumulative.refresh(report, [entry.task_id for entry in entries])
    for entry in entries:
        value, by, at = values[entry.task_id]
        _add_links(entry, value.links, by, at)
        _add_files(entry, value.files, by, at)


def _add_links(entry, links: list[str], by, at: datetime.datetime) -> None:
    for i, url in enumerate(links):
        evidence = Evidence.objects.create(entry=entry, url=url, name=url[:255], uploaded_by=by)
        Evidence.objects.filter(pk=evidence.pk).update(uploaded_at=at + datetime.timedelta(minutes=2 + i))


def _add_files(entry, names: list[str], by, at: datetime.datetime) -> None:
    """Small PDF files, stored as services.add_evidence stores an upload."""
    for i, name in enumerate(names):
        evidence = Evidence(
            entry=entry, name=name, size=len(PDF_EVIDENCE), content_type="application/pdf", uploaded_by=by
        )
        evidence.file.save(name, ContentFile(PDF_EVIDENCE), save=False)
        evidence.save()
        Evidence.objects.filter(pk=evidence.pk).update(uploaded_at=at + datetime.timedelta(minutes=5 + i))


def _date_times(
    report: Report,
    created: datetime.datetime,
    times: list[datetime.datetime],
    last: datetime.datetime | None = None,
) -> None:
    """Move the report's creation and events (`times`, in order), and its history, to when they
    happened; `last`: its last change if later."""
    events = list(report.events.order_by("pk").values_list("pk", flat=True))
    for pk, at in zip(events, times, strict=False):
        ReportEvent.objects.filter(pk=pk).update(at=at)
    history = list(report.history.order_by("history_id").values_list("history_id", flat=True))
    if len(events) == len(times) and len(history) == len(events) + 1:
        for history_id, at in zip(history, [created, *times], strict=True):
            report.history.filter(history_id=history_id).update(history_date=at)
    updated = max([created, *times, *([last] if last else [])])
    Report.objects.filter(pk=report.pk).update(created_at=created, updated_at=updated)


def _narrative(rng: random.Random) -> dict[str, str]:
    return {
        "strengths": rng.choice(STRENGTHS),
        "weaknesses": rng.choice(WEAKNESSES),
        "causes": rng.choice(CAUSES),
        "next_tasks": rng.choice(NEXT_TASKS),
        "proposals": rng.choice(PROPOSALS),
    }


def _submission_day(period: Period, deadline: datetime.date, rng: random.Random) -> datetime.date:
    days = [d for d in _days(period.end + datetime.timedelta(days=1), deadline) if d.weekday() < 5]
    return rng.choice(days) if days else deadline


def _past_report(
    unit: Unit,
    plan: Plan,
    period: Period,
    tasks: list[Task],
    outcome: Outcome,
    people: People,
    day: datetime.date,
) -> Report:
    """A report of a closed period, entered, submitted and (mostly) accepted around its deadline."""
    rng = random.Random(f"{SEED}:{unit.code}:{period.code}")
    rule = services.deadline_rule(plan, period)
    deadline, closes = period.deadline(*rule), period.closes(*rule)
    submitted_on = _submission_day(period, deadline, rng)
    if outcome.late:
        late_day = _workday(deadline + datetime.timedelta(days=rng.randint(2, 12)))
        if late_day < day and late_day <= closes:
            submitted_on = late_day
    fill_days = _days(max(period.start, period.end - datetime.timedelta(days=12)), submitted_on)[:-1] or [
        submitted_on
    ]
    values = {}
    for task in tasks:
        first = random.Random(f"{SEED}:{unit.code}:task:{task.pk}")
        value = _value(task, unit, period, period.end, rng, first)
        values[task.pk] = (value, people.for_task(task), _at(rng.choice(fill_days), rng))
    created = min(at for _, _, at in values.values()) - datetime.timedelta(minutes=rng.randint(5, 50))
    submitted_at = max(_at(submitted_on, rng, 9, 16), max(at for _, _, at in values.values()))
    submitted_at += datetime.timedelta(minutes=5)

    report = services.open_report(unit, period, plan=plan)
    _write_entries(report, values)
    Report.objects.filter(pk=report.pk).update(results=services.compose_results(report), **_narrative(rng))
    report = services.submit(report, by=people.compiler, now=submitted_at)
    times = [submitted_at]
    last_day = submitted_on

    if outcome.returned:
        returned_on = _workday(submitted_on + datetime.timedelta(days=rng.randint(1, 3)))
        resubmitted_on = _workday(returned_on + datetime.timedelta(days=rng.randint(1, 2)))
        if resubmitted_on < day and resubmitted_on <= closes:
            returned_at = _at(returned_on, rng, 8, 11)
            reason = rng.choice(RETURN_REASONS)
            report = services.return_report(report, reason=reason, by=people.reviewer)
            _fix(report, rng, returned_at + datetime.timedelta(hours=3), people)
            resubmitted_at = _at(resubmitted_on, rng, 8, 16)
            report = services.submit(report, by=people.compiler, now=resubmitted_at)
            times += [returned_at, resubmitted_at]
            last_day = resubmitted_on

    accepted_on = _workday(last_day + datetime.timedelta(days=rng.randint(1, 4)))
    if not outcome.pending and accepted_on < day:
        accepted_at = _at(accepted_on, rng, 8, 16)
        report = services.accept(report, by=people.reviewer)
        Report.objects.filter(pk=report.pk).update(accepted_at=accepted_at)
        times.append(accepted_at)
    _date_times(report, created, times)
    return report


def _fix(report: Report, rng: random.Random, at: datetime.datetime, people: People) -> None:
    """After a return: evidence added to a done entry (the reviewer asked for it)."""
    entries = list(report.entries.select_related("task").order_by("task__pk"))
    done = [e for e in entries if e.status in (EntryStatus.DONE_ON_TIME, EntryStatus.DONE_LATE)] or entries
    entry = rng.choice(done)
    by = people.for_task(entry.task)
    entry.narrative += FIXED
    entry.updated_by, entry.updated_at = by, at
    entry.lock_version += 1
    Entry.objects.bulk_update([entry], ["narrative", "updated_by", "updated_at", "lock_version"])
    path = topic_for(entry.task).path
    url = f"https://danang.gov.vn/web/{_slug(report.unit.full_name)}/{path}/-/bo-sung-{rng.randint(100, 999)}"
    _add_links(entry, [url], by, at)
    Report.objects.filter(pk=report.pk).update(results=services.compose_results(report))


def _draft_report(
    unit: Unit, plan: Plan, period: Period, tasks: list[Task], people: People, day: datetime.date
) -> Report:
    """The open period's report, part of its tasks entered over the last weeks."""
    rng = random.Random(f"{SEED}:{unit.code}:{period.code}")
    chosen = rng.sample(tasks, max(1, round(len(tasks) * rng.uniform(0.4, 0.8))))
    earliest = max(period.start, day - datetime.timedelta(days=20))
    fill_days = _days(earliest, day - datetime.timedelta(days=1)) or [day]
    now = timezone.now()
    values = {}
    for task in chosen:
        first = random.Random(f"{SEED}:{unit.code}:task:{task.pk}")
        at = min(_at(rng.choice(fill_days), rng), now)
        values[task.pk] = (_value(task, unit, period, day, rng, first), people.for_task(task), at)
    report = services.open_report(unit, period, plan=plan)
    _write_entries(report, values)
    created = min(at for _, _, at in values.values()) - datetime.timedelta(minutes=rng.randint(5, 50))
    _date_times(report, created, [], last=max(at for _, _, at in values.values()))
    return report


def _outcomes(count: int, latest: list[int], rng: random.Random) -> list[Outcome]:
    """Which of `count` closed-period reports are late, returned first, still awaiting review
    (`latest`: the indexes of the latest period's ones) or, among many, never sent."""
    outcomes = [Outcome() for _ in range(count)]
    if not count:
        return outcomes
    waiting = max(PENDING, round(len(latest) * PENDING_SHARE))
    pending = rng.sample(latest, min(waiting, len(latest), count - 1))
    rest = [i for i in range(count) if i not in pending]
    late = rng.sample(rest, min(len(rest), max(1, round(count * LATE_SHARE))))
    pool = [i for i in rest if i not in late]
    if len(pool) < 2:  # few reports: a late one may be returned as well
        pool = rest
    returned = rng.sample(pool, min(len(pool), max(1, round(count * RETURNED_SHARE))))
    quiet = [i for i in pool if i not in returned]
    not_sent = rng.sample(quiet, round(count * NOT_SENT_SHARE)) if count >= MANY else []
    for i, outcome in enumerate(outcomes):
        outcome.pending = i in pending
        outcome.late = i in late or (outcome.pending and rng.random() < LATE_SHARE)
        outcome.returned = i in returned
        outcome.not_sent = i in not_sent
    return outcomes


def reporting_plans(province: Unit, year: int) -> tuple[int, list[Plan]]:
    """The year to report (today's, or the latest with issued commune plans) and the communes'
    plans that ask for reports, in unit order."""
    issued = Plan.objects.filter(
        unit__path__startswith=province.path,
        unit__kind__level=Level.COMMUNE,
        unit__in=Unit.objects.current(),
        status=Status.ISSUED,
        reporting_rules__isnull=False,
    )
    years = set(issued.values_list("year", flat=True))
    if year not in years:
        if not years:
            return year, []
        year = max(y for y in years if y <= year) if any(y <= year for y in years) else min(years)
    plans = []
    unit_ids = issued.filter(year=year).values_list("unit_id", flat=True).distinct()
    for unit in Unit.objects.filter(pk__in=list(unit_ids)).select_related("kind").order_by("path"):
        plan = services.plan_for(unit, year)
        if plan is not None and services.periods_for(plan):
            plans.append(plan)
    return year, plans


@transaction.atomic
def load_report_demo(log=print) -> None:
    log("Nạp báo cáo minh họa…")
    province = Unit.objects.current().filter(code=PROVINCE).first()
    if province is None:
        log("  Chưa có thành phố Đà Nẵng trong danh mục; bỏ qua báo cáo minh họa")
        return
    day = services.today()
    year, plans = reporting_plans(province, day.year)
    if not plans:
        log(f"  Chưa có kế hoạch cấp xã nào năm {year} đã ban hành; bỏ qua báo cáo minh họa")
        return
    reviewer = get_user_model().objects.filter(username=REVIEWER).first()
    existing = {
        (r.unit_id, r.period.code)
        for r in Report.objects.filter(unit__in=[p.unit for p in plans], year=year).only(
            "unit_id", "year", "period_kind", "period_number"
        )
    }
    rng = random.Random(SEED)

    # Which unit reports which period: closed ones in full, the open one half done.
    closed: list[tuple[Plan, Period]] = []
    open_: list[tuple[Plan, Period]] = []
    for plan in plans:
        current = services.current_period(plan, on=day)
        for period in services.periods_for(plan):
            if period == current:
                open_.append((plan, period))
            elif services.window(plan, period, on=day).deadline < day:
                closed.append((plan, period))
    closed.sort(key=lambda pair: (pair[1].end, pair[0].unit.path))
    last_end = max((period.end for _, period in closed), default=None)
    outcomes = _outcomes(len(closed), [i for i, (_, p) in enumerate(closed) if p.end == last_end], rng)
    drafts = [rng.random() < DRAFT_SHARE for _ in open_]
    if open_ and not any(drafts):
        drafts[0] = True
    if len(open_) > 1 and all(drafts):
        drafts[-1] = False

    people: dict[int, People] = {}
    tasks: dict[int, list[Task]] = {}

    def context(plan: Plan) -> tuple[People, list[Task]]:
        if plan.pk not in tasks:
            people[plan.pk] = _people(plan.unit, reviewer)
            tasks[plan.pk] = _tasks(plan)
        return people[plan.pk], tasks[plan.pk]

    made: list[Report] = []
    for (plan, period), outcome in zip(closed, outcomes, strict=True):
        if outcome.not_sent or (plan.unit_id, period.code) in existing:
            continue
        who, plan_tasks = context(plan)
        if plan_tasks:
            made.append(_past_report(plan.unit, plan, period, plan_tasks, outcome, who, day))
    for (plan, period), draft in zip(open_, drafts, strict=True):
        if not draft or (plan.unit_id, period.code) in existing:
            continue
        who, plan_tasks = context(plan)
        if plan_tasks:
            made.append(_draft_report(plan.unit, plan, period, plan_tasks, who, day))

    units = len(plans)
    if not made:
        log(f"  Báo cáo minh họa: đã có {len(existing)} báo cáo của {units} đơn vị, giữ nguyên")
        return
    states = [Report.objects.values_list("state", "is_late").get(pk=r.pk) for r in made]
    accepted = sum(1 for state, _ in states if state == ReportState.ACCEPTED)
    waiting = sum(1 for state, _ in states if state == ReportState.SUBMITTED)
    late = sum(1 for _, is_late in states if is_late)
    draft = sum(1 for state, _ in states if state == ReportState.DRAFT)
    log(
        f"  Báo cáo minh họa: {len(made)} báo cáo của {len({r.unit_id for r in made})} đơn vị năm {year} "
        f"({accepted} đã tiếp nhận, {waiting} chờ xét, {late} gửi trễ hạn, {draft} đang soạn; "
        f"{units} đơn vị cấp xã có kế hoạch đã ban hành)"
    )
