"""The whole demo city: every commune of Thành phố Đà Nẵng with its 2026 plan cascaded from the
city's, and the city's own reports drafted from its communes'.

1. People: each commune without a named persona gets two accounts, its Văn phòng HĐND và UBND
   (vp.<commune code>, compiles the reports) and its Chủ tịch (ct.<commune code>, approves), with
   the demo password.
2. Plans (`load_city_plans`): each commune starts its plan from the city's (plans.services.
   start_from_superior, as a user would), gives the city's tasks to its roles, sometimes sets a
   target of its own or adds a local task, and has it approved and issued (recorded as issued on
   paper, with the next number). A few communes are still drafting (one has submitted its draft
   for approval) and a few have not started. Phường Tam Kỳ and Phường Bàn Thạch keep the plans
   demo/plans.py writes for them.
3. The city's reports (`load_city_reports`): for each closed period, the Sở Nội vụ drafts the
   city's report from the communes' accepted reports (reports.services.compose_from_subordinates)
   around the deadline, enters the city's own tasks and sends it; the latest one is signed by the
   leader and issued by the văn thư (two-act signing, as demo/documents.py does for plans).

Deterministic (random.Random seeded) and idempotent: a commune with a plan, or a period with a
city report, is left alone.
"""

from __future__ import annotations

import contextlib
import datetime
import random
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from documents import services as documents
from plans import services as plan_services
from plans.models import ContentArea, Frequency, Plan, Status
from reports import cumulative, services
from reports.models import Entry, Report
from reports.periods import Period
from units.models import Level, Membership, Role, Unit

from .plans import (
    TAM_KY_ROLES,
    YEAR,
    TargetSpec,
    TaskSpec,
    _add_task,
    _assign,
    _clerk_of,
    _issue,
)
from .reports import People, _at, _date_times, _tasks, _value, _workday, _write_entries
from .units import DEMO_PASSWORD, DEMO_PROVINCE, PERSONAS

SEED = 2026
NOT_STARTED = 5  # communes without a plan
DRAFTING = 3  # besides Phường Bàn Thạch's draft (demo/plans.py); the first has submitted it
NAMED = {p.unit_code for p in PERSONAS}  # communes demo/plans.py writes the plans of
COMPILER_ROLE = "van-phong-hdnd-ubnd"
LEADER_ROLE = "chu-tich"
CITY_AUTHOR, CITY_LEADER, CITY_CLERK = "snv.danang", "lanhdao.danang", "vanthu.danang"

# A commune's own tasks (one in three communes adds one), with who carries it.
LOCAL_TASKS = (
    (
        "to-cong-nghe-so",
        TaskSpec(
            "Hướng dẫn trực tiếp tại nhà văn hóa các thôn, khu phố vào cuối tuần: cài đặt VNeID, nộp hồ sơ "
            "trực tuyến toàn trình, thanh toán phí, lệ phí trực tuyến",
            area=ContentArea.DIGITAL,
            channels=("tuyen-truyen-mieng",),
            officials=False,
            targets=(TargetSpec("Lượt người dân được hướng dẫn", "lượt", 800),),
            timing_note="Cuối tuần",
        ),
    ),
    (
        "phong-van-hoa-xa-hoi",
        TaskSpec(
            "Phát hành tờ gấp hỏi – đáp về thủ tục hành chính thường gặp sau sắp xếp đơn vị hành chính, "
            "phát tại Trung tâm Phục vụ hành chính công và các thôn, khu phố",
            area=ContentArea.PROCEDURES,
            channels=("to-roi",),
            frequency=Frequency.ONCE,
            targets=(TargetSpec("Tờ gấp", "tờ", 2000),),
            deadline=datetime.date(2026, 6, 30),
        ),
    ),
)


# --- people ------------------------------------------------------------------------------------


# Each commune's accounts: username prefix → (role, what the account is called, position).
ACCOUNTS = {
    "vp": (COMPILER_ROLE, "Văn phòng", "Chuyên viên"),
    "ct": (LEADER_ROLE, "Chủ tịch", "Chủ tịch"),
}


def _commune_people(communes: list[Unit]) -> dict[int, tuple]:
    """The Văn phòng and Chủ tịch accounts of each commune (created once, with one password hash)."""
    User = get_user_model()
    roles = {r.code: r for r in Role.objects.filter(code__in=[a[0] for a in ACCOUNTS.values()])}
    wanted = {f"{prefix}.{u.code}": (u, prefix) for u in communes for prefix in ACCOUNTS}
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    if len(existing) < len(wanted):
        password = make_password(DEMO_PASSWORD)
        User.objects.bulk_create(
            [
                User(username=name, password=password, first_name=f"{ACCOUNTS[prefix][1]} {unit.name}")
                for name, (unit, prefix) in wanted.items()
                if name not in existing
            ]
        )
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    members = set(Membership.objects.filter(user__in=users.values()).values_list("user_id", "unit_id"))
    memberships = []
    for name, (unit, prefix) in wanted.items():
        role_code, _label, position = ACCOUNTS[prefix]
        if (users[name].pk, unit.pk) not in members:
            role = roles[role_code]
            memberships.append(
                Membership(
                    user=users[name], unit=unit, role=role, position=position, **role.capability_values()
                )
            )
    Membership.objects.bulk_create(memberships)
    return {u.pk: (users[f"vp.{u.code}"], users[f"ct.{u.code}"]) for u in communes}


# --- the communes' plans -----------------------------------------------------------------------


def city_communes() -> list[Unit]:
    """The current communes of the demo city, in the order of the unit list."""
    city = Unit.objects.current().get(code=DEMO_PROVINCE)
    return list(
        Unit.objects.current()
        .filter(path__startswith=city.path, kind__level=Level.COMMUNE)
        .select_related("kind")
        .order_by("path")
    )


def _stages(communes: list[Unit]) -> dict[str, str]:
    """Each commune's stage ("none", "submitted", "draft" or "issued"), drawn once from the seed."""
    others = sorted(u.code for u in communes if u.code not in NAMED)
    random.Random(f"{SEED}:stages").shuffle(others)
    stages = dict.fromkeys(others, "issued")
    for code in others[:NOT_STARTED]:
        stages[code] = "none"
    for i, code in enumerate(others[NOT_STARTED : NOT_STARTED + DRAFTING]):
        stages[code] = "submitted" if i == 0 else "draft"
    return stages


def _commune_plan(unit: Unit, city_plan: Plan, stage: str, vp, ct) -> Plan:
    rng = random.Random(f"{SEED}:plan:{unit.code}")
    plan = plan_services.start_from_superior(unit, city_plan, by=vp)
    roles = dict(TAM_KY_ROLES)
    if stage == "draft":  # part assigned, the rest still in the holding group
        roles = dict(rng.sample(sorted(roles.items()), 3))
    _assign(plan, roles, vp)
    if stage != "draft" and rng.random() < 1 / 3:
        role, spec = rng.choice(LOCAL_TASKS)
        group = plan_services.group_for_role(plan, Role.objects.get(code=role))
        _add_task(group, spec)
    if stage == "draft":
        return plan
    if stage == "submitted":
        return plan_services.submit(plan, by=vp)
    issued_on = datetime.date(YEAR, 1, 26) + datetime.timedelta(days=rng.randint(0, 40))
    return _issue(plan, by=vp, approver=ct, issued_on=issued_on)


def load_city_plans(log=print) -> None:
    city_plan = plan_services.in_force(Unit.objects.current().get(code=DEMO_PROVINCE), YEAR)
    if city_plan is None:
        log(f"  Thành phố Đà Nẵng {YEAR}: kế hoạch chưa ban hành; bỏ qua kế hoạch của các xã, phường")
        return
    communes = city_communes()
    stages = _stages(communes)
    planned = set(Plan.objects.filter(unit__in=communes, year=YEAR).values_list("unit_id", flat=True))
    todo = [u for u in communes if u.code in stages and stages[u.code] != "none" and u.pk not in planned]
    people = _commune_people([u for u in communes if u.code in stages])
    for unit in todo:
        with transaction.atomic():
            _commune_plan(unit, city_plan, stages[unit.code], *people[unit.pk])
    counts = {
        status: Plan.objects.filter(unit__in=communes, year=YEAR, is_latest=True, status=status).count()
        for status in (Status.ISSUED, Status.SUBMITTED, Status.DRAFT)
    }
    without = len(communes) - sum(counts.values())
    log(
        f"  {len(communes)} xã, phường, đặc khu của Đà Nẵng: {counts[Status.ISSUED]} đã ban hành kế hoạch, "
        f"{counts[Status.SUBMITTED]} đang trình, {counts[Status.DRAFT]} đang soạn, {without} chưa có "
        f"({len(todo)} kế hoạch mới); tài khoản mỗi xã: vp.<mã xã>, ct.<mã xã>"
    )


# --- the city's own reports ----------------------------------------------------------------------


@contextlib.contextmanager
def _as_of(day: datetime.date) -> Iterator[None]:
    """Replay a past day: the report services' clock (reports.services.today) reads `day`."""
    real = services.today
    services.today = lambda: day
    try:
        yield
    finally:
        services.today = real


def _city_report(city: Unit, plan: Plan, period: Period, people: People, sign: bool) -> Report:
    """The city's report for a closed period: drafted from the communes' accepted reports a few
    days before the deadline, the city's own tasks entered, sent (and, if `sign`, signed by the
    leader and issued by the văn thư)."""
    rng = random.Random(f"{SEED}:city:{period.code}")
    deadline = services.window(plan, period).deadline
    drafted_on = _workday(deadline - datetime.timedelta(days=rng.randint(3, 6)), step=-1)
    drafted_at = _at(drafted_on, rng, 8, 10)
    # The city's own tasks (those no commune plan implements) written by hand first, so that the
    # draft reports them; then the rest drafted from the communes' accepted reports.
    with _as_of(drafted_on):
        report = services.open_report(city, period, plan=plan)
    tasks = {t.pk: t for t in _tasks(plan)}
    own = cumulative.own_tasks(list(tasks))
    values = {}
    for task_id in sorted(own):
        task = tasks[task_id]
        first = random.Random(f"{SEED}:{city.code}:task:{task.pk}")
        value = _value(task, city, period, period.end, rng, first)
        values[task.pk] = (
            value,
            people.compiler,
            drafted_at + datetime.timedelta(minutes=rng.randint(10, 90)),
        )
    _write_entries(report, values)
    with _as_of(drafted_on):
        report = services.compose_from_subordinates(city, period, by=people.compiler)
    # The drafted entries read through and saved as they are.
    drafted = [e for e in report.entries.all() if e.task_id not in own]
    for entry in drafted:
        entry.is_entered, entry.updated_by = True, people.compiler
        entry.updated_at = drafted_at + datetime.timedelta(minutes=rng.randint(5, 40))
        entry.lock_version += 1
    Entry.objects.bulk_update(drafted, ["is_entered", "updated_by", "updated_at", "lock_version"])
    submitted_at = _at(_workday(drafted_on + datetime.timedelta(days=rng.randint(1, 2))), rng, 14, 16)
    report = services.submit(report, by=people.compiler, now=submitted_at)
    if sign:
        report = services.sign_as_leader(report, by=people.by_role["leader"], now=submitted_at)
        report = services.issue_by_clerk(report, by=people.by_role["clerk"])
    _date_times(report, drafted_at - datetime.timedelta(minutes=5), [submitted_at])
    return report


def load_city_reports(log=print) -> None:
    city = Unit.objects.current().select_related("kind").get(code=DEMO_PROVINCE)
    plan = services.plan_for(city, YEAR)
    if plan is None:
        log(f"  Thành phố Đà Nẵng {YEAR}: chưa có kế hoạch đã ban hành; bỏ qua báo cáo của thành phố")
        return
    day = services.today()
    current = services.current_period(plan, on=day)
    closed = [
        p
        for p in services.periods_for(plan)
        if p != current and services.window(plan, p, on=day).deadline < day
    ]
    existing = set(Report.objects.filter(unit=city, year=YEAR).values_list("period_kind", "period_number"))
    User = get_user_model()
    people = People(
        {
            "leader": User.objects.get(username=CITY_LEADER),
            "clerk": _clerk_of(city) or User.objects.get(username=CITY_CLERK),
        },
        User.objects.get(username=CITY_AUTHOR),
        None,
    )
    signer = people.by_role["leader"]
    can_sign = documents.active_credential(user=signer) is not None
    made = []
    for period in closed:
        if (period.kind, period.number) in existing:
            continue
        with transaction.atomic():
            made.append(_city_report(city, plan, period, people, sign=can_sign and period == closed[-1]))
    signed = Report.objects.filter(unit=city, year=YEAR, document__isnull=False).count()
    total = Report.objects.filter(unit=city, year=YEAR).count()
    log(f"  Báo cáo của thành phố Đà Nẵng: {total} kỳ ({len(made)} mới), {signed} đã ký số và phát hành")
