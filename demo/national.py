"""The national benchmark dataset (`manage.py bench_dataset`): the whole country on one database.

What it builds, deterministically (random.Random seeded per province, so a subset of provinces gets
exactly the rows it would get in the full run):

* the 34 provincial units and 3,321 communes of the real 2025 list (units/data/units-2025.json),
  imported with the portal's own importer;
* people: for each province a Sở Nội vụ reviewer `snv.<province code>`; for each commune an officer
  `cb.<code>` (Phòng Văn hóa - Xã hội), the office `vp.<code>` (Văn phòng HĐND và UBND) and the
  chairman `ct.<code>`; a national reader `bnv.theodoi` (Bộ Nội vụ) who sees the national overview.
  One password for all of them (BENCH_PASSWORD, printed by the command);
* for each province an issued plan: sections I–V, 25 tasks in five groups given to every commune,
  40 countable targets (sums, averages, shares), quarterly, 6-month and annual reporting;
* for each commune an issued plan cascaded from its province's: the same sections, the 25 tasks
  linked to the province's (superior_task) and given to the commune's roles, the 40 targets linked
  to the province's (superior_target);
* one year of reports for every commune: each period whose deadline has passed (Q1, 6 months, Q3 for
  a dataset built in late 2026) submitted with an entry for every task and a result for every
  target — about 10% late, about 5% returned with a reason then resubmitted and accepted, the rest
  of the latest closed period partly still awaiting review; the period open on `today` has a draft
  for four communes in five (an entry for every task, some of them entered) and nothing for the
  rest; about one entry in ten has a link as evidence and one in two hundred a small PDF file;
* 10,000 procedures in the TTHC catalogue, imported with the portal's own importer.

Rows are written in bulk (bulk_create; PostgreSQL COPY for the largest table), not through the
services that check each step: the periods are closed, so the services would refuse them — the
same reason as demo/reports.py. Audit history is not written for the bulk rows.
"""

from __future__ import annotations

import datetime
import json
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from cchc_portal.lib.bulk import copy_rows
from demo import plans as plan_demo
from demo.reports import PDF_EVIDENCE, number_text, topic_for
from plans.models import (
    Aggregation,
    Channel,
    ContentArea,
    Frequency,
    PeriodType,
    Plan,
    ReportingRule,
    Section,
    SectionItem,
    Status,
    Target,
    Task,
    TaskGroup,
)
from plans.targets import default_aggregation, infer_kind
from reports.models import Entry, EntryStatus, Evidence, Report, ReportEvent, ReportState, TargetResult
from reports.periods import Period, required_periods
from units.models import Level, Membership, Role, Unit

SEED = 2026
BENCH_PASSWORD = "bench@2026-cchc"
TASKS = 25
TARGETS = 40
LATE_SHARE = 0.10
RETURNED_SHARE = 0.05
AWAITING_SHARE = 0.15  # of the latest closed period's reports, still awaiting review
DRAFT_SHARE = 0.80  # communes with a draft in the open period
ENTERED_SHARE = 0.60  # of a draft's entries, already entered
LINK_SHARE = 0.10
FILE_SHARE = 0.005
PROCEDURES = 10_000
RULES = {PeriodType.QUARTERLY: 20, PeriodType.HALF_YEAR: 20, PeriodType.ANNUAL: 20}
# The communes report to the province by the 17th (the province plan's subordinate_deadline_day,
# which sets their reports' deadline), the province to the Bộ Nội vụ by the 20th.
COMMUNE_DAY = 17
NATIONAL_USER = "bnv.theodoi"
# Commune roles that lead the five task groups (the officer `cb.` holds the first one).
GROUP_ROLES = [
    "phong-van-hoa-xa-hoi",
    "phong-van-hoa-xa-hoi",
    "trung-tam-phuc-vu-hcc",
    "phong-kinh-te",
    "van-phong-hdnd-ubnd",
]
GROUP_HEADINGS = [
    "Tuyên truyền trên hệ thống truyền thanh cơ sở và trực quan",
    "Tuyên truyền trên môi trường số",
    "Công khai thủ tục hành chính, hướng dẫn dịch vụ công trực tuyến",
    "Tuyên truyền trong doanh nghiệp, hộ kinh doanh",
    "Hội nghị, tập huấn, đối thoại; tổng hợp, báo cáo",
]
GENERIC_TARGETS = [
    ("Lượt tin, bài tuyên truyền", "lượt", 24, Aggregation.SUM),
    ("Người được tuyên truyền", "người", 1500, Aggregation.SUM),
    ("Tỷ lệ hồ sơ trực tuyến toàn trình", "%", 80, Aggregation.AVERAGE),
    ("Hội nghị, buổi đối thoại", "buổi", 4, Aggregation.SUM),
    ("Tỷ lệ TTHC được công khai đầy đủ", "%", 100, Aggregation.SHARE),
]


@dataclass
class Summary:
    provinces: int = 0
    communes: int = 0
    users: int = 0
    plans: int = 0
    tasks: int = 0
    targets: int = 0
    reports: int = 0
    entries: int = 0
    results: int = 0
    evidence: int = 0
    late: int = 0
    returned: int = 0
    procedures: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"{self.provinces} tỉnh, {self.communes} xã; {self.users} người dùng",
            f"{self.plans} kế hoạch, {self.tasks} nhiệm vụ, {self.targets} chỉ tiêu",
            f"{self.reports} báo cáo ({self.late} trễ hạn, {self.returned} bị trả lại rồi gửi lại), "
            f"{self.entries} kết quả nhiệm vụ, {self.results} số liệu chỉ tiêu, {self.evidence} tài liệu kiểm chứng",
            f"{self.procedures} thủ tục hành chính",
        ]


@dataclass
class Context:
    """What every province's rows are built from, looked up once for the whole dataset."""

    year: int
    today: datetime.date
    summary: Summary
    templates: list[TaskTemplate]
    channels: dict[str, Channel]
    roles: dict[str, Role]
    periods: list[Period]
    password: str  # the hash of BENCH_PASSWORD (PBKDF2: slow, so computed once)

    @classmethod
    def load(cls, year: int, today: datetime.date, summary: Summary | None = None) -> Context:
        return cls(
            year=year,
            today=today,
            summary=summary or Summary(),
            templates=task_templates(),
            channels={c.code: c for c in Channel.objects.all()},
            roles={r.code: r for r in Role.objects.all()},
            periods=required_periods(RULES, year),
            password=make_password(BENCH_PASSWORD),
        )


# --- the province plan's content ------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskTemplate:
    title: str
    area: str
    frequency: str
    channels: tuple[str, ...]
    targets: tuple[tuple[str, str, Decimal, str], ...]


def _demo_task_specs() -> list[plan_demo.TaskSpec]:
    """The task specs of the demo plans (the real 2022 seed plan and the 2026 city plan), in order."""
    specs: list[plan_demo.TaskSpec] = []
    for groups in (plan_demo.DN_GROUPS, plan_demo.SEED_GROUPS, plan_demo.TAM_KY_2022_GROUPS):
        for group in groups:
            specs.extend(group.tasks)
    seen: set[str] = set()
    unique = []
    for spec in specs:
        if spec.title not in seen and not spec.addressees:
            seen.add(spec.title)
            unique.append(spec)
    return unique


def task_templates() -> list[TaskTemplate]:
    """25 tasks with 40 targets between them: the first 15 tasks carry two targets, the others one;
    the demo plans' own targets first, then generic countable ones."""
    specs = _demo_task_specs()
    while len(specs) < TASKS:
        specs = specs + specs
    templates = []
    for index, spec in enumerate(specs[:TASKS]):
        wanted = 2 if index < TARGETS - TASKS else 1
        targets = [
            (
                t.name,
                t.unit_of_measure,
                Decimal(str(t.value)),
                t.aggregation or default_aggregation(infer_kind(t.unit_of_measure)),
            )
            for t in spec.targets
            if str(t.value).replace(".", "", 1).isdigit()
        ][:wanted]
        generic = index
        while len(targets) < wanted:
            name, unit, value, aggregation = GENERIC_TARGETS[generic % len(GENERIC_TARGETS)]
            generic += 1
            if name not in {t[0] for t in targets}:
                targets.append((name, unit, Decimal(value), aggregation))
        templates.append(
            TaskTemplate(
                spec.title[:1000],
                spec.area or ContentArea.GENERAL,
                spec.frequency or Frequency.CONTINUOUS,
                spec.channels,
                tuple(targets),
            )
        )
    return templates


# --- units and people --------------------------------------------------------------------------------


def load_units(provinces: int | None, communes_per_province: int | None, log: Callable) -> None:
    """The real 2025 list, or its first provinces and their first communes."""
    from demo.units import DATA_DIR
    from units.importers import read_unit_file
    from units.services import apply_unit_import, plan_unit_import

    data = json.loads((DATA_DIR / "units-2025.json").read_bytes())
    if provinces is not None:
        data = data[:provinces]
    if communes_per_province is not None:
        data = [{**p, "Wards": p["Wards"][:communes_per_province]} for p in data]
    plan = plan_unit_import(read_unit_file(json.dumps(data, ensure_ascii=False).encode()))
    if not plan.is_valid:
        raise RuntimeError(plan.summary())
    if plan.has_changes:
        apply_unit_import(plan, source_name="units-2025.json (bench_dataset)")
    log(f"  đơn vị: {plan.summary()}")


def _people(ctx: Context, provinces: list[Unit], communes: list[Unit]) -> dict[str, Any]:
    User = get_user_model()
    roles = ctx.roles
    wanted: list[tuple[str, str, Unit, str]] = []
    for province in provinces:
        wanted.append((f"snv.{province.code}", "Chuyên viên Sở Nội vụ", province, "chuyen-vien-so-noi-vu"))
    for commune in communes:
        wanted.append((f"cb.{commune.code}", "Cán bộ VHXH", commune, "phong-van-hoa-xa-hoi"))
        wanted.append((f"vp.{commune.code}", "Văn phòng", commune, "van-phong-hdnd-ubnd"))
        wanted.append((f"ct.{commune.code}", "Chủ tịch", commune, "chu-tich"))
    users = User.objects.bulk_create(
        [
            User(username=username, first_name=first, last_name=unit.name, password=ctx.password)
            for username, first, unit, _role in wanted
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                unit=unit,
                role=roles[role],
                position=first,
                **roles[role].capability_values(),
            )
            for user, (_username, first, unit, role) in zip(users, wanted, strict=True)
        ],
        batch_size=5000,
    )
    ctx.summary.users += len(users)
    return {user.username: user for user in users}


# --- plans -------------------------------------------------------------------------------------------


def _sections(plans: list[Plan]) -> None:
    sections = Section.objects.bulk_create(
        [
            Section(plan=plan, position=position, kind=kind, title=title)
            for plan in plans
            for position, (kind, title, _items) in enumerate(plan_demo.DN_SECTIONS)
        ],
        batch_size=5000,
    )
    # Items level by level (a child needs its parent's id).
    level = [
        (section, None, position, item)
        for section, (_kind, _title, items) in zip(
            sections, [s for _p in plans for s in plan_demo.DN_SECTIONS], strict=True
        )
        for position, item in enumerate(items)
    ]
    while level:
        made = SectionItem.objects.bulk_create(
            [
                SectionItem(section=section, parent=parent, position=position, style=style, text=text)
                for section, parent, position, (style, text, _children) in level
            ],
            batch_size=5000,
        )
        level = [
            (section, item, position, child)
            for item, (section, _parent, _position, (_style, _text, children)) in zip(
                made, level, strict=True
            )
            for position, child in enumerate(children)
        ]


PlanRows = tuple[list[Task], list[list[Target]]]  # a plan's tasks, and each task's targets


def plan_rows(plan: Plan) -> PlanRows:
    """An existing plan's tasks and targets in the order `_plans` made them."""
    tasks = list(plan.tasks.prefetch_related("targets").order_by("group__position", "position", "pk"))
    return tasks, [list(task.targets.all()) for task in tasks]


def _plans(
    ctx: Context, units: list[Unit], *, superior: Plan | None = None, above: PlanRows | None = None
) -> tuple[list[Plan], dict[int, PlanRows]]:
    """Issued plans for `units`, each with the 25 tasks and 40 targets; for communes implementing
    `superior` (whose tasks and targets are `above`), linked to them. Returns the plans and, per
    plan, its tasks and targets."""
    year, templates, channels, roles = ctx.year, ctx.templates, ctx.channels, ctx.roles
    plans = Plan.objects.bulk_create(
        [
            Plan(
                unit=unit,
                year=year,
                status=Status.ISSUED,
                title=plan_demo.DN_TITLE.replace("2026", str(year)),
                summary=plan_demo.DN_SUMMARY.replace("2026", str(year)),
                parent_plan=superior,
                signer_name="Nguyễn Văn An",
            )
            for unit in units
        ],
        batch_size=2000,
    )
    _sections(plans)
    ReportingRule.objects.bulk_create(
        [
            ReportingRule(plan=plan, period_type=kind, deadline_day=day, subordinate_deadline_day=COMMUNE_DAY)
            for plan in plans
            for kind, day in RULES.items()
        ],
        batch_size=5000,
    )
    is_commune = superior is not None
    groups = TaskGroup.objects.bulk_create(
        [
            TaskGroup(
                plan=plan,
                position=position,
                heading=heading,
                lead_role=roles[GROUP_ROLES[position]] if is_commune else None,
                lead_level="" if is_commune else Level.COMMUNE,
            )
            for plan in plans
            for position, heading in enumerate(GROUP_HEADINGS)
        ],
        batch_size=5000,
    )
    per_group = -(-TASKS // len(GROUP_HEADINGS))
    task_rows = []
    above_tasks = above[0] if is_commune else None
    for p_index, plan in enumerate(plans):
        for t_index, template in enumerate(templates):
            up = above_tasks[t_index] if above_tasks else None
            task_rows.append(
                Task(
                    plan=plan,
                    group=groups[p_index * len(GROUP_HEADINGS) + t_index // per_group],
                    position=t_index % per_group,
                    key=uuid.uuid4(),
                    title=template.title,
                    content_area=template.area,
                    frequency=template.frequency,
                    timing_note="Thường xuyên",
                    superior_task=up,
                    superior_key=up.key if up else None,
                )
            )
    tasks = Task.objects.bulk_create(task_rows, batch_size=5000)
    Task.channels.through.objects.bulk_create(
        [
            Task.channels.through(task=task, channel=channels[code])
            for task, template in zip(tasks, templates * len(plans), strict=True)
            for code in template.channels
            if code in channels
        ],
        batch_size=10000,
    )
    target_rows = []
    above_targets = above[1] if is_commune else None
    for p_index in range(len(plans)):
        for t_index, template in enumerate(templates):
            for position, (name, unit_of_measure, value, aggregation) in enumerate(template.targets):
                up = above_targets[t_index][position] if above_targets else None
                target_rows.append(
                    Target(
                        task=tasks[p_index * TASKS + t_index],
                        position=position,
                        name=name,
                        unit_of_measure=unit_of_measure,
                        value=value,
                        kind=infer_kind(unit_of_measure),
                        aggregation=aggregation,
                        superior_target=up,
                        superior_key=up.key if up else None,
                    )
                )
    targets = Target.objects.bulk_create(target_rows, batch_size=5000)
    made: dict[int, PlanRows] = {}
    cursor = 0
    for p_index, plan in enumerate(plans):
        plan_tasks = tasks[p_index * TASKS : (p_index + 1) * TASKS]
        plan_targets = []
        for template in templates:
            plan_targets.append(targets[cursor : cursor + len(template.targets)])
            cursor += len(template.targets)
        made[plan.pk] = (plan_tasks, plan_targets)
    ctx.summary.plans += len(plans)
    ctx.summary.tasks += len(tasks)
    ctx.summary.targets += len(targets)
    return plans, made


# --- reports -----------------------------------------------------------------------------------------


def _moment(day: datetime.date, rng: random.Random) -> datetime.datetime:
    at = datetime.datetime.combine(day, datetime.time(rng.randint(7, 16), rng.randint(0, 59)))
    return timezone.make_aware(at)


def _achieved(target: Target, share: float, rng: random.Random) -> Decimal:
    if target.aggregation == Aggregation.SUM:
        value = float(target.value) * share * rng.uniform(0.7, 1.3)
    else:
        value = float(target.value) * rng.uniform(0.75, 1.05)
        value = min(value, 100.0) if target.unit_of_measure == "%" else value
    return Decimal(str(round(value, 0 if target.aggregation == Aggregation.SUM else 1)))


@dataclass
class ReportRows:
    reports: list[Report] = field(default_factory=list)
    # Per report: the entries' (task, status, progress, narrative, entered) and results.
    entries: list[list[tuple[Task, str, int, str, bool]]] = field(default_factory=list)
    results: list[list[tuple[Target, Decimal | None]]] = field(default_factory=list)
    events: list[list[tuple[str, datetime.datetime, str, bool, Any]]] = field(default_factory=list)
    officers: list[Any] = field(default_factory=list)  # who entered each report's entries


def _entry_values(
    task: Task, targets: list[Target], share: float, entered: bool, kind: str, year: int, rng: random.Random
) -> tuple[tuple[str, int, str], list[tuple[Target, Decimal | None]]]:
    topic = topic_for(task)
    if not entered:
        return (EntryStatus.NOT_STARTED, 0, ""), [(t, None) for t in targets]
    roll = rng.random()
    if share >= 0.99 and roll < 0.85:
        status, progress, text = EntryStatus.DONE_ON_TIME, 100, rng.choice(topic.done)
    elif roll < 0.05:
        status, progress, text = (
            EntryStatus.OVERDUE,
            rng.randint(10, 60),
            rng.choice(topic.doing or topic.done),
        )
    elif roll < 0.35 and task.frequency == Frequency.ONCE:
        status, progress, text = EntryStatus.DONE_ON_TIME, 100, rng.choice(topic.done)
    else:
        progress = max(5, min(95, round(share * 100 + rng.randint(-15, 10))))
        status, text = EntryStatus.IN_PROGRESS, rng.choice(topic.doing or topic.done)
    values = [(t, _achieved(t, share, rng)) for t in targets]
    months = max(1, round(share * 12))
    narrative = text.format(
        n=number_text(values[0][1] if values else 0),
        kind=kind,
        deadline=f"14/12/{year}",
        month=f"{min(12, months):02d}/{year}",
        progress=progress,
        posts=rng.randint(4, 9) * months,
        people=rng.randint(8, 25) * 10,
        sessions=rng.randint(2, 4) * max(1, months // 3),
    )
    return (status, progress, narrative), values


def _commune_reports(
    ctx: Context,
    commune: Unit,
    province_name: str,
    plan: Plan,
    made: PlanRows,
    people: dict[str, Any],
    reviewer: Any,
    rng: random.Random,
    rows: ReportRows,
) -> None:
    tasks, targets = made
    periods, today, summary = ctx.periods, ctx.today, ctx.summary
    recipient = f"Sở Nội vụ {province_name}"
    kind = (commune.kind.label or commune.kind.name).lower()
    officer = people[f"cb.{commune.code}"]
    office = people[f"vp.{commune.code}"]
    closed = [p for p in periods if p.deadline(COMMUNE_DAY) < today]
    open_periods = [p for p in periods if p not in closed and p.start <= today]
    year_start = datetime.date(plan.year - 1, 12, 15)
    year_days = (datetime.date(plan.year, 12, 14) - year_start).days
    for period in closed + open_periods[:1]:
        is_open = period not in closed
        if is_open and rng.random() >= DRAFT_SHARE:
            continue
        deadline = period.deadline(COMMUNE_DAY)
        share = min(1.0, max(0.05, ((min(period.end, today) - year_start).days) / year_days))
        report = Report(
            unit=commune,
            plan=plan,
            year=period.year,
            period_kind=period.kind,
            period_number=period.number,
            deadline=deadline,
            recipients=recipient,
            results="",
            signer_name="Nguyễn Văn An",
        )
        events: list[tuple[str, datetime.datetime, str, bool, Any]] = []
        if is_open:
            report.state = ReportState.DRAFT
        else:
            late = rng.random() < LATE_SHARE
            returned = rng.random() < RETURNED_SHARE
            day = deadline + datetime.timedelta(days=rng.randint(1, 12) if late else -rng.randint(0, 6))
            first = _moment(day, rng)
            report.first_submitted_at = report.submitted_at = first
            report.is_late = late
            events.append((ReportEvent.Action.SUBMITTED, first, "", late, office))
            last = first
            if returned:
                back = first + datetime.timedelta(days=rng.randint(1, 3))
                again = back + datetime.timedelta(days=rng.randint(1, 3))
                events.append(
                    (
                        ReportEvent.Action.RETURNED,
                        back,
                        "Đề nghị bổ sung minh chứng cho các nhiệm vụ đã hoàn thành.",
                        False,
                        reviewer,
                    )
                )
                events.append((ReportEvent.Action.RESUBMITTED, again, "", late, office))
                report.submitted_at = last = again
                summary.returned += 1
            summary.late += late
            awaiting = period == closed[-1] and not returned and rng.random() < AWAITING_SHARE
            if awaiting:
                report.state = ReportState.SUBMITTED
            else:
                accepted = last + datetime.timedelta(days=rng.randint(1, 6))
                report.state, report.accepted_at, report.accepted_by = (
                    ReportState.ACCEPTED,
                    accepted,
                    reviewer,
                )
                events.append((ReportEvent.Action.ACCEPTED, accepted, "", False, reviewer))
            report.results = (
                f"Trong {period.label.lower()}, UBND {commune.full_name} đã triển khai các nhiệm vụ "
                "tuyên truyền cải cách hành chính theo kế hoạch; kết quả cụ thể tại phụ lục kèm theo."
            )
            report.strengths = "Các nhiệm vụ được triển khai đúng tiến độ, bám sát kế hoạch của tỉnh."
            report.weaknesses = (
                "Hình thức tuyên truyền trên môi trường số ở một số thôn, tổ dân phố còn hạn chế."
            )
            report.next_tasks = "Tiếp tục triển khai các nhiệm vụ còn lại của kế hoạch năm."
        entries = []
        results = []
        for task, task_targets in zip(tasks, targets, strict=True):
            entered = not is_open or rng.random() < ENTERED_SHARE
            (status, progress, text), values = _entry_values(
                task, task_targets, share, entered, kind, plan.year, rng
            )
            entries.append((task, status, progress, text, entered))
            results.extend(values)
        if not is_open:
            report.progress = sum(e[2] for e in entries) / len(entries)
        rows.reports.append(report)
        rows.entries.append(entries)
        rows.results.append(results)
        rows.events.append(events)
        rows.officers.append(officer)


@contextmanager
def _given_times(model: type, name: str) -> Iterator[None]:
    """bulk_create would stamp an auto_now_add field with the current time; the dataset's rows
    carry the time each transition happened, so the stamp is turned off while they are written."""
    model_field = model._meta.get_field(name)
    model_field.auto_now_add = False
    try:
        yield
    finally:
        model_field.auto_now_add = True


def _write_reports(ctx: Context, rows: ReportRows, rng: random.Random) -> None:
    summary = ctx.summary
    reports = Report.objects.bulk_create(rows.reports, batch_size=2000)
    with _given_times(ReportEvent, "at"):
        ReportEvent.objects.bulk_create(
            [
                ReportEvent(report=report, action=action, at=at, reason=reason, is_late=late, by=by)
                for report, events in zip(reports, rows.events, strict=True)
                for action, at, reason, late, by in events
            ],
            batch_size=5000,
        )
    entry_objs = Entry.objects.bulk_create(
        [
            Entry(
                report=report,
                task=task,
                status=status,
                progress=progress,
                narrative=text,
                is_entered=entered,
                updated_by=officer if entered else None,
            )
            for report, officer, entries in zip(reports, rows.officers, rows.entries, strict=True)
            for task, status, progress, text, entered in entries
        ],
        batch_size=5000,
    )
    by_report = iter(entry_objs)
    result_rows: list[list[Any]] = []
    evidence: list[Evidence] = []
    for report, officer, entries, results in zip(
        reports, rows.officers, rows.entries, rows.results, strict=True
    ):
        entry_of_task = {}
        for task, _status, _progress, _text, entered in entries:
            entry = next(by_report)
            entry_of_task[task.pk] = entry
            if entered:
                roll = rng.random()
                if roll < FILE_SHARE:
                    name = f"evidence/{report.year}/{report.unit_id}/{uuid.UUID(int=rng.getrandbits(128)).hex}.pdf"
                    evidence.append(
                        Evidence(
                            entry=entry,
                            file=default_storage.save(name, ContentFile(PDF_EVIDENCE)),
                            name="Bien-ban-hoi-nghi.pdf",
                            size=len(PDF_EVIDENCE),
                            content_type="application/pdf",
                            uploaded_by=officer,
                        )
                    )
                elif roll < FILE_SHARE + LINK_SHARE:
                    evidence.append(
                        Evidence(
                            entry=entry,
                            url=f"https://{report.unit.code}.gov.vn/tin-tuc/cai-cach-hanh-chinh-{entry.pk}",
                            name="Tin bài trên trang thông tin điện tử",
                            uploaded_by=officer,
                        )
                    )
        for target, achieved in results:
            result_rows.append([entry_of_task[target.task_id].pk, target.pk, achieved])
    if connection.vendor == "postgresql":
        copy_rows(TargetResult._meta.db_table, ["entry_id", "target_id", "achieved"], result_rows)
    else:
        TargetResult.objects.bulk_create(
            [TargetResult(entry_id=e, target_id=t, achieved=a) for e, t, a in result_rows], batch_size=5000
        )
    Evidence.objects.bulk_create(evidence, batch_size=5000)
    summary.reports += len(reports)
    summary.entries += len(entry_objs)
    summary.results += len(result_rows)
    summary.evidence += len(evidence)


# --- procedures --------------------------------------------------------------------------------------


def load_procedures(count: int, log: Callable) -> int:
    from procedures import services
    from procedures.reading import ProcedureRow, Sheet

    rng = random.Random(SEED)
    words = [
        "đăng",
        "ký",
        "khai",
        "sinh",
        "kết",
        "hôn",
        "chứng",
        "thực",
        "bản",
        "sao",
        "cấp",
        "giấy",
        "phép",
        "xây",
        "dựng",
        "kinh",
        "doanh",
        "hộ",
        "tịch",
        "đất",
        "đai",
    ]
    fields = ["Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng", "Đăng ký kinh doanh", "Lao động", "Y tế"]
    agencies = ["Ủy ban nhân dân cấp xã", "Sở Tư pháp", "Ủy ban nhân dân cấp tỉnh", "Sở Xây dựng"]
    rows = [
        ProcedureRow(
            line=n + 2,
            code=f"{1 + n % 3}.{n:06d}",
            name=" ".join(rng.choice(words) for _ in range(8)).capitalize() + f" ({n})",
            field=rng.choice(fields),
            ministry="Bộ Tư pháp",
            agencies=rng.sample(agencies, rng.randint(1, 3)),
        )
        for n in range(count)
    ]
    sheet = Sheet(shape="portal", sheet_name="TTHC", header_row=1, columns={}, rows=rows, warnings=[])
    plan = services.plan_import(sheet, full_list=False)
    services.apply_import(plan, source_name="bench_dataset (10.000 TTHC)")
    log(f"  thủ tục: {count}")
    return count


def add_communes(
    ctx: Context,
    province: Unit,
    province_plan: Plan,
    above: PlanRows,
    communes: list[Unit],
    *,
    reviewer: Any,
    rng: random.Random,
) -> None:
    """The communes' people, their plans implementing `province_plan` (whose tasks and targets
    are `above`), and their year of reports reviewed by `reviewer`."""
    people = _people(ctx, [], communes)
    plans, made = _plans(ctx, communes, superior=province_plan, above=above)
    rows = ReportRows()
    for commune, plan in zip(communes, plans, strict=True):
        _commune_reports(ctx, commune, province.full_name, plan, made[plan.pk], people, reviewer, rng, rows)
    _write_reports(ctx, rows, rng)


# --- the whole dataset -------------------------------------------------------------------------------


def build(
    *,
    year: int | None = None,
    today: datetime.date | None = None,
    provinces: int | None = None,
    communes_per_province: int | None = None,
    procedures: int = PROCEDURES,
    log: Callable = print,
) -> Summary:
    import time

    today = today or timezone.localdate()
    year = year or today.year
    summary = Summary()
    if Plan.objects.filter(year=year).exists():
        raise RuntimeError(
            f"Cơ sở dữ liệu đã có kế hoạch năm {year}: bench_dataset chỉ chạy trên cơ sở dữ liệu mới (đã migrate)."
        )
    started = time.perf_counter()
    with transaction.atomic():
        load_units(provinces, communes_per_province, log)
    summary.timings["units"] = time.perf_counter() - started
    province_units = list(
        Unit.objects.filter(depth=1, kind__level=Level.PROVINCE)
        .valid_on(datetime.date(year, 12, 14))
        .order_by("path")
    )
    ctx = Context.load(year, today, summary)
    with transaction.atomic():
        national = get_user_model().objects.create(
            username=NATIONAL_USER,
            password=ctx.password,
            first_name="Vụ Cải cách hành chính",
            last_name="Bộ Nội vụ",
        )
        national.user_permissions.add(Permission.objects.get(codename="view_national_overview"))
        summary.users += 1
    for province in province_units:
        step = time.perf_counter()
        communes = list(
            Unit.objects.filter(path__startswith=province.path, kind__level=Level.COMMUNE)
            .select_related("kind")
            .valid_on(datetime.date(year, 12, 14))
            .order_by("path")
        )
        with transaction.atomic():
            reviewer = _people(ctx, [province], [])[f"snv.{province.code}"]
            (province_plan,), made = _plans(ctx, [province])
            add_communes(
                ctx,
                province,
                province_plan,
                made[province_plan.pk],
                communes,
                reviewer=reviewer,
                rng=random.Random(f"{SEED}-{province.code}"),
            )
        summary.provinces += 1
        summary.communes += len(communes)
        log(f"  {province.full_name}: {len(communes)} xã, {time.perf_counter() - step:.1f} s")
    summary.timings["plans_reports"] = time.perf_counter() - started - summary.timings["units"]
    step = time.perf_counter()
    if procedures:
        with transaction.atomic():
            summary.procedures = load_procedures(procedures, log)
    summary.timings["procedures"] = time.perf_counter() - step
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    summary.timings["total"] = time.perf_counter() - started
    return summary
