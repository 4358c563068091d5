"""Demo plans for `make run`: the seed plan in full, and a 2026 cascade in the demo province.

1. The seed plan (../shared/seeds/003): Phường Tân Thạnh's 2022 plan, under the pre-2025 Quảng
   Nam units, started from the Thành phố Tam Kỳ plan it cites (Kế hoạch số 71/KH-UBND ngày
   24/3/2022) so that the cascade links exist, then made to read exactly like the seed.
2. A 2026 cascade in Thành phố Đà Nẵng: the city plan (issued), Phường Tam Kỳ's plan (issued,
   every task given to a role) and Phường Bàn Thạch's (a draft, partly assigned). No other
   commune has a plan, so the cascade overview shows most communes without one.

Everything goes through plans.services, as a user would. Idempotent: a plan that already exists
for its unit and year is left alone (with whatever users changed in it).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from documents import services as documents
from plans import services
from plans.models import (
    Aggregation,
    Channel,
    ContentArea,
    Frequency,
    PeriodType,
    Plan,
    Section,
    SectionItem,
    Task,
    TaskGroup,
)
from units.models import Level, Membership, Role, Unit

# --- small builders -----------------------------------------------------------------------------

Item = tuple[str, str, tuple["Item", ...]]  # (style, text, children)

# H(…) and B(…) read like the plan they write: a numbered heading and a bullet.


def H(text: str, *children: Item) -> Item:
    return (SectionItem.Style.HEADING, text, children)


def B(text: str) -> Item:
    return (SectionItem.Style.BULLET, text, ())


SCHEDULE: Item = (SectionItem.Style.SCHEDULE, "", ())


@dataclass(frozen=True)
class TargetSpec:
    name: str
    unit_of_measure: str
    value: int | str
    # None: the kind's own rule (plans/targets.py): a count summed over units, a rate such as
    # "4 số/tháng" as the share of units meeting it (a city does not sum its communes' rates).
    aggregation: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    title: str
    area: str = ContentArea.GENERAL
    channels: tuple[str, ...] = ()
    frequency: str = Frequency.CONTINUOUS
    officials: bool = True
    public: bool = True
    targets: tuple[TargetSpec, ...] = ()
    co_roles: tuple[str, ...] = ()
    co_text: str = ""
    addressees: tuple[str, ...] = ()  # commune codes (current units)
    deadline: datetime.date | None = None
    timing_note: str = ""
    budget: int | None = None
    product: str = ""
    # In a subordinate plan: the title of the superior task this one implements (its copy is
    # reworded to this spec and moved into the group instead of adding a new task).
    implements: str = ""

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "content_area": self.area,
            "frequency": self.frequency,
            "for_officials": self.officials,
            "for_public": self.public,
            "co_text": self.co_text,
            "deadline": self.deadline,
            "timing_note": self.timing_note,
            "product": self.product,
            "channels": _channels(self.channels),
            "co_roles": _roles(self.co_roles),
        }


@dataclass(frozen=True)
class GroupSpec:
    heading: str
    tasks: tuple[TaskSpec, ...]
    lead_role: str = ""
    lead_unit: str = ""  # agency code (current units)
    lead_level: str = ""


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _channels(codes: tuple[str, ...]) -> list[Channel]:
    channels = list(Channel.objects.filter(code__in=codes))
    missing = set(codes) - {c.code for c in channels}
    if missing:
        raise LookupError(f"Không có hình thức tuyên truyền: {', '.join(sorted(missing))}")
    return channels


def _roles(codes: tuple[str, ...]) -> list[Role]:
    return [Role.objects.get(code=code) for code in codes]


def _pre_2025(code: str) -> Unit:
    return Unit.objects.select_related("kind").get(code=code, valid_to__isnull=False)


def _current(code: str) -> Unit:
    return Unit.objects.select_related("kind").get(code=code, valid_to__isnull=True)


def _existing(unit: Unit, year: int, log) -> Plan | None:
    plan = Plan.objects.filter(unit=unit, year=year, is_latest=True).first()
    if plan is not None:
        log(f"  {unit.full_name} {year}: đã có kế hoạch ({plan.get_status_display().lower()}), giữ nguyên")
    return plan


def _edit(obj, plan: Plan, by, **values) -> Any:
    return services.update_fields(obj, None, values, plan=plan, by=by)


def _write_section(plan: Plan, kind: str, title: str, items: tuple[Item, ...], by) -> None:
    """Replace a section's title and items (the copied or default ones) with `items`."""
    section = plan.sections.get(kind=kind)
    if section.title != title:
        _edit(section, plan, by, title=title)
    for item in section.items.filter(parent__isnull=True):
        services.delete(item, plan=plan)

    def add(specs: tuple[Item, ...], parent: SectionItem | None) -> None:
        for style, text, children in specs:
            item = services.add_item(section, style=style, text=text, parent=parent)
            add(children, item)

    add(items, None)


def _add_targets(task: Task, targets: tuple[TargetSpec, ...]) -> None:
    for t in targets:
        services.add_target(
            task,
            name=t.name,
            unit_of_measure=t.unit_of_measure,
            value=Decimal(str(t.value)),
            aggregation=t.aggregation,
        )


def _add_task(group: TaskGroup, spec: TaskSpec) -> Task:
    values = spec.values() | {"budget": spec.budget}
    if spec.addressees:
        values["addressees"] = [_current(code) for code in spec.addressees]
    task = services.add_task(group, **values)
    _add_targets(task, spec.targets)
    return task


def _write_groups(plan: Plan, groups: tuple[GroupSpec, ...], by) -> None:
    """Section IV: the groups in order; a task that implements a superior task is that task's
    copy, reworded and moved here (the link to the superior task stays)."""
    linked = plan.tasks.filter(superior_task__isnull=False).select_related("superior_task")
    copies = {t.superior_task.title: t for t in linked}
    for spec in groups:
        if spec.lead_role:
            group = services.add_group(
                plan, heading=spec.heading, lead_role=Role.objects.get(code=spec.lead_role)
            )
        else:
            group = services.add_group(
                plan,
                heading=spec.heading,
                lead_unit=_current(spec.lead_unit) if spec.lead_unit else None,
                lead_level=spec.lead_level,
            )
        for task_spec in spec.tasks:
            copy = copies.pop(task_spec.implements, None) if task_spec.implements else None
            if copy is None:
                _add_task(group, task_spec)
                continue
            copy = _edit(copy, plan, by, **task_spec.values())
            services.move_task_to_group(copy, group, None, by=by)
            _add_targets(copy, task_spec.targets)
    # Superior tasks the plan has no bullet for are not carried.
    for task in copies.values():
        services.delete(task, plan=plan)
    for group in plan.groups.filter(heading=services.UNASSIGNED_HEADING):
        for task in group.tasks.all():
            services.delete(task, plan=plan)
        services.delete(group, plan=plan)


def _issue(plan: Plan, *, by, approver, issued_on: datetime.date, number: int | None = None) -> Plan:
    """Submitted, approved, then issued: signed by the leader and issued by the unit's văn thư
    (demo/documents.py gave them DEMO certificates), or — for plans of before the portal, or
    without them — recorded as issued on paper with the number they had."""
    plan = services.submit(plan, by=by)
    plan = services.approve(plan, by=approver)
    clerk = _clerk_of(plan.unit)
    if number is None and clerk is not None and documents.active_credential(user=approver) is not None:
        plan = services.sign_as_leader(plan, by=approver)
        return services.issue_by_clerk(plan, by=clerk, issued_on=issued_on)
    return services.issue(plan, by=approver, issued_on=issued_on, number=number)


def _clerk_of(unit) -> Any:
    membership = (
        Membership.objects.active().filter(unit=unit, issue_documents=True).select_related("user").first()
    )
    return membership.user if membership else None


# --- 1. The seed plan, and the Tam Kỳ city plan it implements -----------------------------------

SEED_YEAR = 2022

# ILLUSTRATIVE: the seed cites this plan but does not contain it. Only its number (71), date
# (24/3/2022) and subject ("tuyên truyền cải cách hành chính năm 2022") are from the seed; the
# content below is a short, plausible city plan whose commune tasks the ward plan implements.
TAM_KY_2022_TITLE = "Kế hoạch tuyên truyền cải cách hành chính năm 2022"
TAM_KY_2022_SUMMARY = "Tuyên truyền cải cách hành chính năm 2022"
TAM_KY_2022_NUMBER = 71
TAM_KY_2022_ISSUED_ON = datetime.date(2022, 3, 24)

TAM_KY_2022_SECTIONS = [
    (
        Section.Kind.PURPOSE,
        "MỤC ĐÍCH, YÊU CẦU",
        (
            H(
                "Mục đích",
                B(
                    "Nâng cao nhận thức, trách nhiệm của cán bộ, công chức, viên chức và người dân, doanh "
                    "nghiệp về cải cách hành chính; tạo sự đồng thuận trong triển khai Kế hoạch cải cách "
                    "hành chính thành phố năm 2022."
                ),
                B(
                    "Đẩy mạnh sử dụng dịch vụ công trực tuyến mức độ 3, mức độ 4; nâng cao Chỉ số cải cách "
                    "hành chính và mức độ hài lòng của người dân đối với sự phục vụ của cơ quan hành chính."
                ),
            ),
            H(
                "Yêu cầu",
                B(
                    "Tuyên truyền thường xuyên, đúng định hướng, bằng nhiều hình thức phù hợp với từng đối "
                    "tượng; gắn với nhiệm vụ chính trị của từng cơ quan, đơn vị, địa phương."
                ),
            ),
        ),
    ),
    (
        Section.Kind.CONTENT,
        "NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
        (
            H(
                "Nội dung tuyên truyền",
                B(
                    "Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030; Nghị quyết số "
                    "07-NQ/TU ngày 21/7/2021 của Thành ủy Tam Kỳ về đẩy mạnh cải cách hành chính trên địa "
                    "bàn thành phố giai đoạn 2021-2025."
                ),
                B(
                    "Bộ thủ tục hành chính đã được Chủ tịch UBND tỉnh công bố; dịch vụ công trực tuyến, "
                    "dịch vụ bưu chính công ích; số hóa hồ sơ, kết quả giải quyết thủ tục hành chính."
                ),
                B(
                    "Kết quả Chỉ số cải cách hành chính, Chỉ số hài lòng (SIPAS) năm 2021 của tỉnh, thành phố."
                ),
            ),
            H(
                "Các hình thức tuyên truyền",
                B(
                    "Trên sóng Đài Truyền thanh - Truyền hình thành phố, hệ thống truyền thanh phường, xã, "
                    "Trang thông tin điện tử thành phố và các phường, xã."
                ),
                B("Pano, áp phích, băng rôn, khẩu hiệu; hội nghị, tập huấn; mạng xã hội Zalo, Facebook."),
            ),
        ),
    ),
    (
        Section.Kind.ACTIVITIES,
        "MỘT SỐ HOẠT ĐỘNG TUYÊN TRUYỀN TRỌNG TÂM",
        (
            H(
                "Duy trì chuyên mục cải cách hành chính trên hệ thống truyền thanh phường, xã: mỗi tháng 01 "
                "chuyên đề, thời lượng từ 12 đến 15 phút."
            ),
            H("Niêm yết công khai 100% thủ tục hành chính tại Bộ phận Tiếp nhận và Trả kết quả các cấp."),
        ),
    ),
    (Section.Kind.TASKS, "NHIỆM VỤ CỤ THỂ", ()),
    (
        Section.Kind.ORGANISATION,
        "TỔ CHỨC THỰC HIỆN",
        (
            B(
                "Thủ trưởng các cơ quan, đơn vị, Chủ tịch UBND các phường, xã chịu trách nhiệm triển khai "
                "thực hiện Kế hoạch này."
            ),
            SCHEDULE,
        ),
    ),
]

# The city's commune tasks, by the name the ward plan uses for them.
CITY_VISUAL = TaskSpec(
    "Thiết kế, xây dựng pano, áp phích, băng rôn, khẩu hiệu tuyên truyền cải cách hành chính tại trụ sở, "
    "Bộ phận Tiếp nhận và Trả kết quả và nơi công cộng",
    channels=("truc-quan",),
    timing_note="Quý II/2022",
)
CITY_POSTAL = TaskSpec(
    "Tuyên truyền việc tiếp nhận hồ sơ, trả kết quả giải quyết thủ tục hành chính qua dịch vụ bưu chính "
    "công ích",
    area=ContentArea.PROCEDURES,
    channels=("truyen-thanh", "niem-yet"),
    timing_note="Thường xuyên",
)
CITY_RADIO = TaskSpec(
    "Xây dựng chuyên mục cải cách hành chính trên hệ thống truyền thanh phường, xã, mỗi tháng 01 chuyên "
    "đề, thời lượng phát sóng từ 12 đến 15 phút",
    channels=("truyen-thanh",),
    frequency=Frequency.MONTHLY,
    targets=(TargetSpec("Chuyên đề phát thanh", "chuyên đề", 12),),
    timing_note="Hằng tháng",
)
CITY_POSTING = TaskSpec(
    "Niêm yết công khai đầy đủ, kịp thời 100% thủ tục hành chính thuộc thẩm quyền giải quyết tại Bộ phận "
    "Tiếp nhận và Trả kết quả và trên Trang thông tin điện tử",
    area=ContentArea.PROCEDURES,
    channels=("niem-yet", "trang-ttdt"),
    targets=(TargetSpec("TTHC được niêm yết công khai", "%", 100, Aggregation.SHARE),),
    timing_note="Thường xuyên",
)
CITY_SOCIAL = TaskSpec(
    "Phát huy vai trò Tổ công nghệ cộng đồng tuyên truyền trên mạng xã hội Zalo, Facebook; hướng dẫn "
    "người dân cài đặt ứng dụng, thanh toán điện tử",
    area=ContentArea.DIGITAL,
    channels=("mang-xa-hoi",),
    officials=False,
    timing_note="Thường xuyên",
)
CITY_ONLINE = TaskSpec(
    "Hướng dẫn người dân, doanh nghiệp sử dụng dịch vụ công trực tuyến mức độ 3, mức độ 4",
    area=ContentArea.DIGITAL,
    channels=("tuyen-truyen-mieng",),
    officials=False,
    timing_note="Thường xuyên",
)
CITY_LAW = TaskSpec(
    "Lồng ghép nội dung cải cách hành chính trong các buổi tuyên truyền, phổ biến, giáo dục pháp luật",
    area=ContentArea.INSTITUTIONS,
    channels=("tuyen-truyen-mieng",),
    timing_note="Lồng ghép trong năm",
)
CITY_BUDGET = TaskSpec(
    "Bố trí kinh phí bảo đảm cho công tác tuyên truyền cải cách hành chính",
    area=ContentArea.PUBLIC_FINANCE,
    frequency=Frequency.ONCE,
    public=False,
    timing_note="Quý II/2022",
)
CITY_REPORT = TaskSpec(
    "Báo cáo kết quả thực hiện hằng quý, 6 tháng, năm về UBND thành phố (qua Phòng Nội vụ)",
    frequency=Frequency.QUARTERLY,
    public=False,
    timing_note="Trước ngày 20 của tháng cuối kỳ",
)

TAM_KY_2022_GROUPS = (
    GroupSpec(
        "Phòng Nội vụ thành phố",  # no Phòng Nội vụ unit in the catalogue: a heading only
        (
            TaskSpec(
                "Tham mưu UBND thành phố triển khai Kế hoạch; theo dõi, hướng dẫn, kiểm tra việc thực hiện; "
                "tổng hợp báo cáo UBND tỉnh (qua Sở Nội vụ)",
                frequency=Frequency.QUARTERLY,
                public=False,
                timing_note="Hằng quý",
            ),
            TaskSpec(
                "Phối hợp Trung tâm Văn hóa - Thể thao và Truyền thanh - Truyền hình thành phố xây dựng "
                "chuyên mục cải cách hành chính",
                channels=("bao-dai",),
                frequency=Frequency.MONTHLY,
                timing_note="Hằng tháng",
            ),
        ),
    ),
    GroupSpec(
        "Phòng Văn hóa và Thông tin thành phố",
        (
            TaskSpec(
                "Hướng dẫn hệ thống truyền thanh phường, xã và Trang thông tin điện tử các phường, xã đăng "
                "tải tin, bài về cải cách hành chính",
                channels=("truyen-thanh", "trang-ttdt"),
                timing_note="Thường xuyên",
            ),
        ),
    ),
    GroupSpec(
        "UBND các phường, xã",
        (
            CITY_VISUAL,
            CITY_POSTAL,
            CITY_RADIO,
            CITY_POSTING,
            CITY_SOCIAL,
            CITY_ONLINE,
            CITY_LAW,
            CITY_BUDGET,
            CITY_REPORT,
        ),
        lead_level=Level.COMMUNE,
    ),
)

# The seed plan, word for word (the seed's own typos kept).
SEED_TITLE = "Kế hoạch tuyên truyền công tác cải cách hành chính năm 2022"
SEED_SUMMARY = "Tuyên truyền công tác cải cách hành chính năm 2022"
# ILLUSTRATIVE: the seed does not show its number and date.
SEED_NUMBER = 25
SEED_ISSUED_ON = datetime.date(2022, 3, 30)

SEED_SECTIONS = [
    (
        Section.Kind.PURPOSE,
        "MỤC ĐÍCH, YÊU CẦU",
        (
            H(
                "Mục đích",
                B(
                    "Tiếp tục nâng cao nhận thức, trách nhiệm của các cấp, các ngành và toàn thể cán bộ, công "
                    "chức, người lao động về công tác cải cách hành chính; tăng cường kỷ luật, kỷ cương hành "
                    "chính."
                ),
                B(
                    "Nâng cao chất lượng giải quyết các thủ tục hành chính cho tổ chức, cá nhân tại bộ phận "
                    "Tiếp nhận và Trả kết quả phường; hỗ trợ người dân, doanh nghiệp để tăng cường sử dụng "
                    "dịch vụ công trực tuyến mức độ 3, mức độ 4."
                ),
                B(
                    "Khuyến khích, vận động người dân, doanh nghiệp tích cực tham gia góp ý, phản ánh, kiến "
                    "nghị để hoàn thiện các quy định hành chính, nhất là các quy định về thủ tục hành chính; "
                    "đồng thời, tăng cường giám sát cơ quan nhà nước, đội ngũ cán bộ, công chức, người lao "
                    "động trong quá trình thực thi công vụ."
                ),
                B(
                    "Phát huy vai trò tích cực của các cơ quan thông tin đại chúng trong việc phát hiện, phản "
                    "ánh chính xác, kịp thời những mặt tích cực hoặc chưa hiệu quả của tổ chức và cá nhân "
                    "trong thực hiện nhiệm vụ cải cách hành chính."
                ),
            ),
            H(
                "Yêu cầu",
                B(
                    "Công tác tuyên truyền được thực hiện thường xuyên, bằng nhiều hình thức phong phú, thiết "
                    "thực, gắn với tiến độ thực hiện các nhiệm vụ theo kế hoạch công tác cải cách hành chính "
                    "năm 2022."
                ),
                B(
                    "Tuyên truyền đầy đủ các nội dung cải cách hành chính tại cơ quan, lựa chọn các nội dung, "
                    "hình thức tuyên truyền phù hợp, đảm bảo hiệu quả."
                ),
            ),
        ),
    ),
    (
        Section.Kind.CONTENT,
        "NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
        (
            H(
                "Nội dung tuyên truyền",
                # The seed breaks this bullet across a page ("…trên địa bàn" / "thành phố …").
                B(
                    "Tuyên truyền, phổ biến, quán triệt các quan điểm, chủ trương của Đảng, chính sách, pháp "
                    "luật của Nhà nước, của tỉnh, của thành phố về cải cách hành chính. Tuyên truyền định "
                    "hướng Chương trình cải cách hành chính giai đoạn 2021-2030 của Chính phủ, Kế hoạch cải "
                    "cách hành chính nhà nước tỉnh Quảng Nam, thành phố Tam Kỳ giai đoạn 2021-2025; Nghị "
                    "quyết và Chương trình hành động thực hiện Nghị quyết số 16-NQ/TU ngày 14/10/2021 của "
                    "Tỉnh ủy về đẩy mạnh cải cách hành chính trên địa bàn tỉnh giai đoạn 2021-2025, định "
                    "hướng đến năm 2030; Nghị quyết và Chương trình hành động thực hiện Nghị quyết số "
                    "07-NQ/TU ngày 21/7/2021 của Thành ủy Tam Kỳ về đẩy mạnh cải cách hành chính trên địa "
                    "bàn thành phố giai đoạn 2021-2025, hướng đến nền hành chính phục vụ nhân dân và kết quả "
                    "triển khai thực hiện."
                ),
                B(
                    "Phổ biến nội dung kế hoạch, nhiệm vụ cụ thể trong triển khai, thực hiện cải cách hành "
                    "chính nhà nước như: Cải cách thể chế, cải cách thủ tục hành chính, cải cách tổ chức bộ "
                    "máy hành chính nhà nước, cải cách chế độ công vụ, cải cách tài chính công, xây dựng và "
                    "phát triển Chính quyền điện tử, Chính quyền số, công tác chỉ đạo, điều hành cải cách "
                    "hành chính."
                ),
                B(
                    "Tuyên truyền về kết quả xếp hạng Chỉ số cải cách hành chính hằng năm của tỉnh, của "
                    "thành phố, của phường; kết quả cải cách hành chính của địa phương; kết quả khảo sát mức "
                    "độ hài lòng của tổ chức, cá nhân đối với sự phục vụ của cơ quan hành chính nhà nước."
                ),
                B(
                    "Các quy định về quyền, nghĩa vụ, trách nhiệm, đạo đức của cán bộ, công chức, người lao "
                    "động trong thực thi công vụ, gắn với kỷ luật, kỷ cương hành chính, nhất là quy tắc ứng "
                    "xử, văn hóa giao tiếp, tác phong, thái độ phục vụ trong giải quyết các công việc liên "
                    "quan đến người dân."
                ),
                B(
                    "Tuyên truyền bộ thủ tục hành chính thuộc thẩm quyền giải quyết từ cấp tỉnh đến cấp cơ sở "
                    "đã được UBND tỉnh chuẩn hóa và công bố."
                ),
                B(
                    "Tuyên truyền, hướng dẫn sử dụng Cổng dịch vụ công tỉnh để tra cứu thông tin và nộp hồ "
                    "sơ thủ tục hành chính trực tuyến."
                ),
                B(
                    "Tuyên truyền đẩy mạnh việc số hóa kết quả giải quyết thủ tục hành chính, chứng thực bản "
                    "sao điện tử từ bản chính, trả kết quả giải quyết bản điện tử theo quy định."
                ),
                B(
                    "Các mô hình, sáng kiến hay, hiệu quả; các tập thể, cá nhân điển hình trong thực hiện "
                    "công tác cải cách hành chính tại địa phương."
                ),
            ),
            H(
                "Các hình thức tuyên truyền",
                B(
                    "Tuyên truyền thông qua các hội nghị, tập huấn, phát hành các tài liệu tuyên truyền, đưa "
                    "tin trên các phương tiện thông tin đại chúng và trên Trang thông tin điện tử của địa "
                    "phương; thông qua hệ thống đài truyền thanh phường."
                ),
                B(
                    "Tuyên truyền kết nối liên thông việc giải quyết thủ tục hành chính trên môi trường điện "
                    "tử đối với Bộ phận Tiếp nhận và Trả kết quả phường theo hướng tập trung. Nội dung các "
                    "thủ tục hành chính được công khai đầy đủ, đúng quy định. Hình thức công khai rõ ràng, "
                    "thuận tiện để tra cứu."
                ),
                B(
                    "Ứng dụng công nghệ thông tin trong hoạt động cơ quan nhà nước và phục vụ người dân, "
                    "doanh nghiệp."
                ),
            ),
        ),
    ),
    (
        Section.Kind.ACTIVITIES,
        "MỘT SỐ HOẠT ĐỘNG TUYÊN TRUYỀN TRỌNG TÂM",
        (
            H(
                "Tuyên truyền trực quan: Thiết kế, xây dựng các pano, áp phích, băng rôn, tờ rơi tuyên "
                "truyền các nội dung về cải cách hành chính."
            ),
            H(
                "Tuyên truyền trên các phương tiện thông tin đại chúng: Xây dựng chuyên mục tuyên truyền cải "
                "cách hành chính, mỗi tháng 01 chuyên đề, thời lượng phát sóng từ 12 đến 15 phút vào thời "
                "điểm có nhiều người theo dõi; xây dựng chương trình phát thanh tuyên truyền cải cách hành "
                "chính; Thường xuyên cập nhật, đăng tải đầy đủ các thủ tục hành chính đã được Chủ tịch UBND "
                "tỉnh công bố trên Trang thông tin điện tử của phường."
            ),
        ),
    ),
    (Section.Kind.TASKS, "NHIỆM VỤ CỤ THỂ", ()),
    (
        Section.Kind.ORGANISATION,
        "TỔ CHỨC THỰC HIỆN",
        (
            B(
                "Các ngành trong phạm vi, chức năng nhiệm vụ được giao có trách nhiệm triển khai thực hiện "
                "nghiêm túc kế hoạch này."
            ),
            B(
                "Định kỳ hằng tháng, quý, 6 tháng, năm, các bộ phận báo cáo kết quả thực hiện công tác tuyên "
                "truyền cải cách hành chính về UBND phường (qua Công chức Văn phòng thống kê) để tổng hợp báo "
                "cáo UBND thành phố."
            ),
        ),
    ),
]

RADIO = ("dai-truyen-thanh",)
SEED_GROUPS = (
    GroupSpec(
        "Công chức VHXH, cán bộ đài truyền thanh phường",
        (
            TaskSpec(
                "Thực hiện tuyên truyền về cải cách hành chính thường xuyên, bằng nhiều hình thức thiết thực, "
                "đa dạng và dễ hiểu như: khẩu hiệu, pa nô, áp phích, trên trang thông tin điện tử, hệ thống "
                "phát thanh phường ...",
                channels=("truc-quan", "trang-ttdt", "truyen-thanh"),
                co_roles=RADIO,
                implements=CITY_VISUAL.title,
            ),
            TaskSpec(
                "Tuyên truyền việc tiếp nhận hồ sơ và trả kết quả giải quyết thủ tục hành chính qua dịch vụ "
                "bưu chính công ích.",
                area=ContentArea.PROCEDURES,
                channels=("truyen-thanh",),
                co_roles=RADIO,
                implements=CITY_POSTAL.title,
            ),
            TaskSpec(
                "Tăng cường thời lượng đưa tin, bài trên đài truyền thanh phường về công tác cải cách hành "
                "chính; tập trung vào việc thực hiện cơ chế một cửa, một cửa liên thông.",
                area=ContentArea.PROCEDURES,
                channels=("truyen-thanh",),
                co_roles=RADIO,
            ),
            TaskSpec(
                "Định kỳ đăng tin, bài và xây dựng các chuyên mục về cải cách hành chính.",
                channels=("truyen-thanh", "trang-ttdt"),
                frequency=Frequency.MONTHLY,
                co_roles=RADIO,
                implements=CITY_RADIO.title,  # brings the target: 12 chuyên đề phát thanh
            ),
            TaskSpec(
                "Đẩy mạnh ứng dụng công nghệ thông tin trong công tác tuyên truyền về cải cách hành chính.",
                area=ContentArea.DIGITAL,
                channels=("trang-ttdt", "mang-xa-hoi"),
                co_roles=RADIO,
            ),
        ),
        lead_role="cc-van-hoa-xa-hoi",
    ),
    GroupSpec(
        "Công chức Văn phòng – thống kê",
        (
            TaskSpec(
                "Niêm yết công khai, minh bạch bộ thủ tục hành chính, kết quả giải quyết các thủ tục hành "
                "chính, quy trình, biểu mẫu thuộc thẩm quyền giải quyết; bố trí khẩu hiệu tuyên truyền trực "
                "quan; công khai địa chỉ tiếp nhận ý kiến phản ánh kiến nghị của tổ chức, công dân đảm bảo "
                "theo đúng quy định.",
                area=ContentArea.PROCEDURES,
                channels=("niem-yet", "truc-quan"),
            ),
            TaskSpec(
                "Triển khai đồng bộ, hiệu quả hệ thống một cửa điện tử, dịch vụ công trực tuyến.",
                area=ContentArea.DIGITAL,
                channels=("trang-ttdt",),
            ),
            TaskSpec(
                "Theo dõi, kiểm tra, hướng dẫn và đôn đốc việc tổ chức thực hiện thông tin, tuyên truyền về "
                "các nội dung cải cách hành chính; kịp thời chấn chỉnh, xử lý các tồn tại, vướng mắc trong "
                "quá trình triển khai thực hiện.",
                public=False,
            ),
            TaskSpec(
                "Tổng hợp kết quả thực hiện để làm cơ sở đánh giá mức độ hoàn thành nhiệm vụ của từng cá "
                "nhân; đồng thời là một trong những tiêu chí để đánh giá, bình xét danh hiệu thi đua, hình "
                "thức khen thưởng cho tập thể, cá nhân.",
                area=ContentArea.CIVIL_SERVICE,
                public=False,
            ),
            TaskSpec(
                "Phối hợp thực hiện thông tin, tuyên truyền các hoạt động, kết quả cải cách hành chính của "
                "phường, kết quả kiểm soát thủ tục hành chính và các quy định, văn bản hướng dẫn của Trung "
                "ương, tỉnh, thành phố về cải cách hành chính.",
                channels=("trang-ttdt", "truyen-thanh"),
            ),
        ),
        lead_role="cc-van-phong-thong-ke",
    ),
    GroupSpec(
        "Công chức Tư pháp – hộ tịch",
        (
            TaskSpec(
                "Tổ chức tuyên truyền, phổ biến pháp luật về cải cách hành chính trên địa bàn phường; lồng "
                "ghép nội dung cải cách hành chính tại các buổi tuyên truyền phổ biến giáo dục pháp luật tại "
                "UBND các phường, các khối phố trên địa bàn phường.",
                area=ContentArea.INSTITUTIONS,
                channels=("tuyen-truyen-mieng", "hoi-nghi"),
                implements=CITY_LAW.title,
            ),
        ),
        lead_role="cc-tu-phap-ho-tich",
    ),
    GroupSpec(
        "Công chức Tài chính – kế toán",
        (
            TaskSpec(
                "Tham mưu UBND nguồn kinh phí bảo đảm cho công tác tuyên truyền về cải cách hành chính của "
                "phường; theo dõi, hướng dẫn kinh phí phục vụ cho công tác tuyên truyền cải cách hành chính "
                "theo đúng quy định.",
                area=ContentArea.PUBLIC_FINANCE,
                public=False,
                implements=CITY_BUDGET.title,
            ),
        ),
        lead_role="cc-tai-chinh-ke-toan",
    ),
    GroupSpec(
        "Bộ phận Tiếp nhận và Trả kết quả phường",
        (
            TaskSpec(
                "Niêm yết công khai, minh bạch bộ thủ tục hành chính, kết quả giải quyết các thủ tục hành "
                "chính, quy trình, biểu mẫu; khẩu hiệu tuyên truyền trực quan, công khai địa chỉ tiếp nhận ý "
                "kiến phản ánh kiến nghị của tổ chức, công dân theo đúng quy định.",
                area=ContentArea.PROCEDURES,
                channels=("niem-yet", "truc-quan"),
                implements=CITY_POSTING.title,  # brings the target: 100% TTHC niêm yết
            ),
        ),
        lead_role="bo-phan-mot-cua",
    ),
    GroupSpec(
        "Tổ công nghệ cộng đồng",
        (
            TaskSpec(
                "Tuyên truyền sâu rộng cho tầng lớp nhân dân bằng nhiều hình thức đa dạng, thực hiện tuyên "
                "truyền trên các phương tiện công nghệ thông tin như: Facebook, Zalo... Tuyên truyền cài đặt "
                "các ứng dụng hữu ích để nhân dân truy cập giải quyết các thủ tục hành chính, thanh toán "
                "điện tử, kinh doanh trực tuyến.",
                area=ContentArea.DIGITAL,
                channels=("mang-xa-hoi",),
                officials=False,
                implements=CITY_SOCIAL.title,
            ),
            TaskSpec(
                "Hướng dân nhân dân nâng cao kỹ năng sử dụng dịch vụ công trực tuyến mức độ 3, mức độ 4...",
                area=ContentArea.DIGITAL,
                channels=("tuyen-truyen-mieng",),
                officials=False,
                implements=CITY_ONLINE.title,
            ),
        ),
        lead_role="to-cong-nghe-so",
    ),
    GroupSpec(
        # A body outside the People's Committee: no lead role or unit.
        "Đề nghị UBNDTTQ Việt Nam, các hội đoàn thể phường, các khối phố:",
        (
            TaskSpec(
                "Tuyên truyền vận động đoàn, hội viên và toàn thể nhân dân thực hiện nghiêm công tác cải "
                "cách hành chính;",
                channels=("tuyen-truyen-mieng",),
                officials=False,
            ),
            TaskSpec(
                "Thường xuyên phối hợp các ngành hướng dân nhân dân nâng cao kỹ năng sử dụng dịch vụ công "
                "trực tuyến mức độ 3, mức độ 4.",
                area=ContentArea.DIGITAL,
                channels=("tuyen-truyen-mieng",),
                officials=False,
            ),
            TaskSpec(
                "Vận động người dân, doanh nghiệp tích cực tham gia góp ý, phản ánh, kiến nghị để hoàn thiện "
                "các quy định hành chính, nhất là các quy định về thủ tục hành chính; đồng thời, tăng cường "
                "giám sát cơ quan nhà nước, đội ngũ cán bộ, công chức, người lao động trong quá trình thực "
                "thi công vụ.",
                area=ContentArea.INSTITUTIONS,
                channels=("tuyen-truyen-mieng",),
                officials=False,
            ),
        ),
    ),
)

SEED_CLOSING = (
    "Trên đây là kế hoạch tuyên truyền công tác cải cách hành chính năm 2022, yêu cầu các bộ phận, các "
    "ngành nghiêm túc triển khai thực hiện./."
)
SEED_RECIPIENTS = [
    "UBND thành phố",
    "Phòng Nội vụ thành phố",
    "Phòng VHTT thành phố",
    "Các ngành UBND phường",
    "Mặt trận và các đoàn thể phường",
    "Các khối phố",
]
SEED_REPORTING = {
    PeriodType.MONTHLY: 20,
    PeriodType.QUARTERLY: 20,
    PeriodType.HALF_YEAR: 20,
    PeriodType.ANNUAL: 20,
}


@transaction.atomic
def load_tam_ky_2022(log=print) -> Plan | None:
    city = _pre_2025("502")
    plan = _existing(city, SEED_YEAR, log)
    if plan is not None:
        return plan
    admin = _user("admin")
    plan = services.create_plan(city, SEED_YEAR, by=admin)
    plan = _edit(
        plan,
        plan,
        admin,
        title=TAM_KY_2022_TITLE,
        summary=TAM_KY_2022_SUMMARY,
        closing_text=(
            "Trên đây là Kế hoạch tuyên truyền cải cách hành chính năm 2022 của UBND thành phố Tam Kỳ, "
            "đề nghị các cơ quan, đơn vị, UBND các phường, xã nghiêm túc triển khai thực hiện./."
        ),
        recipients="UBND tỉnh\nSở Nội vụ\nTT Thành ủy, HĐND thành phố\nCác phòng, ban thành phố\n"
        "UBND các phường, xã",
        archive_line="VT, NV",
        signer_delegation="KT. CHỦ TỊCH",
        signer_title="PHÓ CHỦ TỊCH",
    )
    for kind, title, items in TAM_KY_2022_SECTIONS:
        _write_section(plan, kind, title, items, admin)
    _write_groups(plan, TAM_KY_2022_GROUPS, admin)
    plan = _issue(plan, by=admin, approver=admin, issued_on=TAM_KY_2022_ISSUED_ON, number=TAM_KY_2022_NUMBER)
    log(f"  {city.full_name} {SEED_YEAR}: kế hoạch số {plan.reference} (minh họa, thực hiện bởi phường)")
    return plan


@transaction.atomic
def load_tan_thanh_2022(city_plan: Plan, log=print) -> Plan:
    ward = _pre_2025("20335")
    plan = _existing(ward, SEED_YEAR, log)
    if plan is not None:
        return plan
    admin = _user("admin")
    plan = services.start_from_superior(ward, city_plan, by=admin)
    plan = _edit(
        plan,
        plan,
        admin,
        title=SEED_TITLE,
        summary=SEED_SUMMARY,
        closing_text=SEED_CLOSING,
        recipients="\n".join(SEED_RECIPIENTS),
        archive_line="VT – đ/c Châu",
        signer_authority="TM. ỦY BAN NHÂN DÂN",
        signer_delegation="",
        signer_title="PHÓ CHỦ TỊCH",
        signer_name="",  # not in the seed
    )
    for kind, title, items in SEED_SECTIONS:
        _write_section(plan, kind, title, items, admin)
    _write_groups(plan, SEED_GROUPS, admin)
    services.set_reporting_rules(plan, SEED_REPORTING)
    plan = _issue(plan, by=admin, approver=admin, issued_on=SEED_ISSUED_ON, number=SEED_NUMBER)
    log(f"  {ward.full_name} {SEED_YEAR}: kế hoạch mẫu số {plan.reference} ({plan.tasks.count()} nhiệm vụ)")
    return plan


# --- 2. The 2026 cascade in Thành phố Đà Nẵng ---------------------------------------------------

YEAR = 2026
FORMER_TAM_KY = ("20341", "20335", "20350", "20356")  # Phường Tam Kỳ, Bàn Thạch, Hương Trà, Quảng Phú

DN_TITLE = "Kế hoạch thông tin, tuyên truyền cải cách hành chính năm 2026"
DN_SUMMARY = "Thông tin, tuyên truyền cải cách hành chính năm 2026"
DN_SECTIONS = [
    (
        Section.Kind.PURPOSE,
        "MỤC ĐÍCH, YÊU CẦU",
        (
            H(
                "Mục đích",
                B(
                    "Nâng cao nhận thức, trách nhiệm của cán bộ, công chức, viên chức và người dân, doanh "
                    "nghiệp về cải cách hành chính trong năm đầu vận hành mô hình chính quyền địa phương hai "
                    "cấp; tạo sự đồng thuận của xã hội đối với các nhiệm vụ cải cách hành chính của thành phố."
                ),
                B(
                    "Đẩy mạnh sử dụng dịch vụ công trực tuyến toàn trình, thanh toán trực tuyến; góp phần "
                    "nâng cao Chỉ số cải cách hành chính (PAR INDEX), Chỉ số hài lòng (SIPAS), Chỉ số PAPI "
                    "và PCI của thành phố năm 2026."
                ),
                B(
                    "Khuyến khích người dân, doanh nghiệp phản ánh, kiến nghị về quy định hành chính và "
                    "giám sát việc thực thi công vụ của cán bộ, công chức."
                ),
            ),
            H(
                "Yêu cầu",
                B(
                    "Tuyên truyền thường xuyên, liên tục, đúng định hướng; nội dung ngắn gọn, dễ hiểu, phù "
                    "hợp với từng nhóm đối tượng và điều kiện của từng xã, phường, đặc khu."
                ),
                B(
                    "Kết hợp hình thức truyền thống với hình thức trực tuyến; gắn kết quả tuyên truyền với "
                    "đánh giá, xếp loại cơ quan, đơn vị và người đứng đầu."
                ),
            ),
        ),
    ),
    (
        Section.Kind.CONTENT,
        "NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
        (
            H(
                "Nội dung tuyên truyền",
                B(
                    "Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030 (Nghị quyết số "
                    "76/NQ-CP ngày 15/7/2021 của Chính phủ) và Kế hoạch cải cách hành chính năm 2026 của UBND "
                    "thành phố."
                ),
                B(
                    "Tổ chức bộ máy, chức năng, nhiệm vụ của chính quyền địa phương hai cấp sau sắp xếp; địa "
                    "chỉ, nơi tiếp nhận hồ sơ của Trung tâm Phục vụ hành chính công các xã, phường, đặc khu."
                ),
                B(
                    "Thủ tục hành chính, dịch vụ công trực tuyến toàn trình, thanh toán trực tuyến; tài khoản "
                    "định danh điện tử VNeID; số hóa hồ sơ, kết quả giải quyết thủ tục hành chính."
                ),
                B(
                    "Kết quả Chỉ số cải cách hành chính, SIPAS, PAPI, PCI năm 2025 của thành phố; các mô "
                    "hình, sáng kiến cải cách hành chính hiệu quả."
                ),
            ),
            H(
                "Các hình thức tuyên truyền",
                B(
                    "Trên báo chí, phát thanh, truyền hình; Cổng thông tin điện tử thành phố, trang thông "
                    "tin điện tử của các sở, ngành, xã, phường, đặc khu; hệ thống truyền thanh cơ sở."
                ),
                B(
                    "Mạng xã hội (Zalo, Facebook), bản tin điện tử, bảng thông tin điện tử; cuộc thi trực "
                    "tuyến; hội nghị, tập huấn; pano, áp phích, tờ gấp; niêm yết công khai."
                ),
            ),
        ),
    ),
    (
        Section.Kind.ACTIVITIES,
        "MỘT SỐ HOẠT ĐỘNG TUYÊN TRUYỀN TRỌNG TÂM",
        (
            H(
                "Cuộc thi trực tuyến tìm hiểu về cải cách hành chính và chính quyền địa phương hai cấp năm 2026."
            ),
            H(
                "Chuyên mục cải cách hành chính trên sóng phát thanh, truyền hình thành phố và hệ thống "
                "truyền thanh cơ sở: mỗi tháng 01 chuyên đề."
            ),
            H("Bản tin cải cách hành chính điện tử: 04 số mỗi tháng."),
        ),
    ),
    (Section.Kind.TASKS, "NHIỆM VỤ CỤ THỂ", ()),
    (
        Section.Kind.ORGANISATION,
        "TỔ CHỨC THỰC HIỆN",
        (
            B(
                "Kinh phí thực hiện Kế hoạch được bố trí trong dự toán ngân sách năm 2026 của các cơ quan, "
                "đơn vị, địa phương theo phân cấp ngân sách hiện hành."
            ),
            B(
                "Sở Nội vụ là cơ quan thường trực, theo dõi, đôn đốc, kiểm tra việc thực hiện Kế hoạch; "
                "tổng hợp, báo cáo UBND thành phố."
            ),
            SCHEDULE,
        ),
    ),
]

DN_RADIO = TaskSpec(
    "Xây dựng chuyên mục cải cách hành chính trên hệ thống truyền thanh cơ sở, mỗi tháng 01 chuyên đề, thời "
    "lượng từ 12 đến 15 phút",
    channels=("truyen-thanh",),
    frequency=Frequency.MONTHLY,
    targets=(TargetSpec("Chuyên đề phát thanh", "chuyên đề", 12),),
    timing_note="Hằng tháng",
)
DN_POSTING = TaskSpec(
    "Niêm yết công khai đầy đủ, kịp thời thủ tục hành chính thuộc thẩm quyền tại Trung tâm Phục vụ hành "
    "chính công và trên trang thông tin điện tử của xã, phường, đặc khu",
    area=ContentArea.PROCEDURES,
    channels=("niem-yet", "trang-ttdt"),
    targets=(TargetSpec("TTHC được niêm yết công khai", "%", 100, Aggregation.SHARE),),
    timing_note="Thường xuyên",
)
DN_BULLETIN = TaskSpec(
    "Biên tập, đăng tải tin, bài và bản tin cải cách hành chính trên trang thông tin điện tử, Zalo OA, "
    "Fanpage của UBND xã, phường, đặc khu",
    channels=("trang-ttdt", "ban-tin-dien-tu", "mang-xa-hoi"),
    frequency=Frequency.MONTHLY,
    targets=(TargetSpec("Bản tin cải cách hành chính", "số/tháng", 4),),
    timing_note="Hằng tháng",
)
DN_TRAINING = TaskSpec(
    "Tổ chức hội nghị, tập huấn, đối thoại về cải cách hành chính, thủ tục hành chính và dịch vụ công trực "
    "tuyến cho cán bộ, công chức và người dân",
    channels=("hoi-nghi", "tuyen-truyen-mieng"),
    frequency=Frequency.ONCE,
    targets=(TargetSpec("Hội nghị, tập huấn", "hội nghị", 2),),
    deadline=datetime.date(2026, 10, 31),
)
DN_VISUAL = TaskSpec(
    "Tuyên truyền trực quan bằng pano, áp phích, băng rôn, khẩu hiệu tại trụ sở, Trung tâm Phục vụ hành "
    "chính công và nơi công cộng",
    channels=("truc-quan", "to-roi"),
    frequency=Frequency.ONCE,
    targets=(TargetSpec("Cụm pano, áp phích", "cụm", 2),),
    deadline=datetime.date(2026, 4, 30),
)
DN_DIGITAL = TaskSpec(
    "Phát huy Tổ công nghệ số cộng đồng hướng dẫn người dân cài đặt, sử dụng VNeID, dịch vụ công trực tuyến "
    "toàn trình, thanh toán trực tuyến",
    area=ContentArea.DIGITAL,
    channels=("tuyen-truyen-mieng", "mang-xa-hoi"),
    officials=False,
    timing_note="Thường xuyên",
)
DN_ADDRESS = TaskSpec(
    "Tuyên truyền, hướng dẫn người dân, doanh nghiệp khu vực thành phố Tam Kỳ (cũ) về địa chỉ hành chính, "
    "nơi tiếp nhận hồ sơ sau sắp xếp đơn vị hành chính; giấy tờ đã cấp tiếp tục có giá trị sử dụng",
    area=ContentArea.ORGANISATION,
    channels=("truyen-thanh", "to-roi", "mang-xa-hoi"),
    frequency=Frequency.ONCE,
    addressees=FORMER_TAM_KY,
    deadline=datetime.date(2026, 6, 30),
)
DN_SCREEN = TaskSpec(
    "Thí điểm bảng thông tin điện tử tại Trung tâm Phục vụ hành chính công phường để công khai thủ tục hành "
    "chính và tra cứu tình trạng hồ sơ",
    area=ContentArea.DIGITAL,
    channels=("bang-dien-tu",),
    frequency=Frequency.ONCE,
    targets=(TargetSpec("Bảng thông tin điện tử", "bảng", 1),),
    addressees=("20341", "20335"),
    deadline=datetime.date(2026, 9, 30),
)

DN_GROUPS = (
    GroupSpec(
        "Sở Nội vụ",
        (
            TaskSpec(
                "Tổ chức Cuộc thi trực tuyến tìm hiểu về cải cách hành chính và chính quyền địa phương hai "
                "cấp năm 2026",
                channels=("cuoc-thi-truc-tuyen",),
                frequency=Frequency.ONCE,
                targets=(TargetSpec("Lượt tham gia", "lượt", 50000),),
                deadline=datetime.date(2026, 9, 30),
                budget=300_000_000,
                product="Cuộc thi 04 tuần; báo cáo kết quả",
            ),
            TaskSpec(
                "Theo dõi, hướng dẫn, kiểm tra việc thực hiện Kế hoạch tại các xã, phường, đặc khu; tổng hợp "
                "báo cáo UBND thành phố, Bộ Nội vụ",
                frequency=Frequency.QUARTERLY,
                public=False,
                timing_note="Hằng quý",
                budget=50_000_000,
                product="Báo cáo quý, 6 tháng, năm",
            ),
        ),
        lead_unit="48-SNV",
    ),
    GroupSpec(
        "Sở Văn hóa và Thể thao",
        (
            TaskSpec(
                "Chỉ đạo, hướng dẫn các cơ quan báo chí, hệ thống thông tin cơ sở tuyên truyền cải cách hành "
                "chính; duy trì chuyên mục cải cách hành chính trên sóng phát thanh, truyền hình thành phố",
                channels=("bao-dai", "truyen-thanh"),
                frequency=Frequency.MONTHLY,
                targets=(TargetSpec("Chương trình, chuyên mục phát sóng", "chương trình", 24),),
                deadline=datetime.date(2026, 12, 15),
                budget=400_000_000,
                co_text="Các cơ quan báo chí thành phố",
            ),
        ),
        lead_unit="48-SVHTT",
    ),
    GroupSpec(
        "Văn phòng UBND thành phố",
        (
            TaskSpec(
                "Duy trì chuyên mục cải cách hành chính và công khai thủ tục hành chính, kết quả giải quyết "
                "hồ sơ trên Cổng thông tin điện tử thành phố; phát hành bản tin cải cách hành chính điện tử",
                area=ContentArea.PROCEDURES,
                channels=("trang-ttdt", "ban-tin-dien-tu"),
                frequency=Frequency.MONTHLY,
                targets=(TargetSpec("Bản tin cải cách hành chính điện tử", "số", 48),),
                deadline=datetime.date(2026, 12, 31),
                budget=120_000_000,
            ),
        ),
        lead_unit="48-VPUB",
    ),
    GroupSpec(
        "UBND các xã, phường, đặc khu",
        (DN_RADIO, DN_POSTING, DN_BULLETIN, DN_TRAINING, DN_VISUAL, DN_DIGITAL),
        lead_level=Level.COMMUNE,
    ),
    GroupSpec(
        # Tasks given to some communes only (task.addressees): the wards of former Thành phố Tam Kỳ.
        "UBND các phường Tam Kỳ, Bàn Thạch, Hương Trà, Quảng Phú",
        (DN_ADDRESS, DN_SCREEN),
    ),
)

# Phường Tam Kỳ: who carries each of the city's tasks, its own tasks, and its own target values.
TAM_KY_ROLES = {
    DN_RADIO.title: "phong-van-hoa-xa-hoi",
    DN_POSTING.title: "trung-tam-phuc-vu-hcc",
    DN_BULLETIN.title: "van-phong-hdnd-ubnd",
    DN_TRAINING.title: "van-phong-hdnd-ubnd",
    DN_VISUAL.title: "phong-van-hoa-xa-hoi",
    DN_DIGITAL.title: "to-cong-nghe-so",
    DN_ADDRESS.title: "trung-tam-phuc-vu-hcc",
    DN_SCREEN.title: "trung-tam-phuc-vu-hcc",
}
TAM_KY_LOCAL_TARGETS = {
    ("Hội nghị, tập huấn", DN_TRAINING.title): 3,
    ("Cụm pano, áp phích", DN_VISUAL.title): 4,
}
TAM_KY_OWN_TASKS = [
    (
        "to-cong-nghe-so",
        TaskSpec(
            "Hướng dẫn trực tiếp tại các khu phố vào sáng thứ Bảy hằng tuần: cài đặt VNeID, nộp hồ sơ trực "
            "tuyến toàn trình, thanh toán phí, lệ phí trực tuyến",
            area=ContentArea.DIGITAL,
            channels=("tuyen-truyen-mieng",),
            officials=False,
            frequency=Frequency.CONTINUOUS,
            targets=(TargetSpec("Lượt người dân được hướng dẫn", "lượt", 1500),),
            timing_note="Thứ Bảy hằng tuần",
        ),
    ),
    (
        "phong-van-hoa-xa-hoi",
        TaskSpec(
            "Phát hành tờ gấp hỏi – đáp về thủ tục hành chính thường gặp sau sắp xếp đơn vị hành chính, "
            "phát tại Trung tâm Phục vụ hành chính công và các khu phố",
            area=ContentArea.PROCEDURES,
            channels=("to-roi",),
            frequency=Frequency.ONCE,
            targets=(TargetSpec("Tờ gấp", "tờ", 3000),),
            deadline=datetime.date(2026, 5, 31),
        ),
    ),
]
TAM_KY_ORGANISATION = (
    B(
        "Văn phòng HĐND và UBND phường là đầu mối theo dõi, đôn đốc các phòng, đơn vị thực hiện Kế hoạch; "
        "tổng hợp kết quả báo cáo UBND thành phố (qua Sở Nội vụ)."
    ),
    B("Các phòng, đơn vị được giao nhiệm vụ chủ động triển khai, bảo đảm đúng tiến độ."),
    SCHEDULE,
)
BAN_THACH_ROLES = {
    DN_RADIO.title: "phong-van-hoa-xa-hoi",
    DN_POSTING.title: "trung-tam-phuc-vu-hcc",
    DN_DIGITAL.title: "to-cong-nghe-so",
}


@transaction.atomic
def load_da_nang_2026(log=print) -> Plan | None:
    city = _current("48")
    plan = _existing(city, YEAR, log)
    if plan is not None:
        return plan
    author, leader = _user("snv.danang"), _user("lanhdao.danang")
    plan = services.create_plan(city, YEAR, by=author)
    plan = _edit(
        plan,
        plan,
        author,
        title=DN_TITLE,
        summary=DN_SUMMARY,
        closing_text=(
            "Trên đây là Kế hoạch thông tin, tuyên truyền cải cách hành chính năm 2026 của UBND thành phố "
            "Đà Nẵng; yêu cầu các sở, ban, ngành, UBND các xã, phường, đặc khu nghiêm túc triển khai thực "
            "hiện./."
        ),
        legal_bases=(
            "Căn cứ Nghị quyết số 76/NQ-CP ngày 15/7/2021 của Chính phủ ban hành Chương trình tổng thể cải "
            "cách hành chính nhà nước giai đoạn 2021-2030;"
        ),
        recipients="Bộ Nội vụ\nTT Thành ủy, TT HĐND thành phố\nCT, các PCT UBND thành phố\n"
        "Các sở, ban, ngành\nUBND các xã, phường, đặc khu\nCác cơ quan báo chí thành phố",
        archive_line="VT, SNV",
        signer_authority="TM. ỦY BAN NHÂN DÂN",
        signer_delegation="KT. CHỦ TỊCH",
        signer_title="PHÓ CHỦ TỊCH",
        signer_name="Võ Văn Nam",
    )
    for kind, title, items in DN_SECTIONS:
        _write_section(plan, kind, title, items, author)
    _write_groups(plan, DN_GROUPS, author)
    plan = _issue(plan, by=author, approver=leader, issued_on=datetime.date(2026, 1, 20))
    log(f"  {city.full_name} {YEAR}: kế hoạch số {plan.reference} ({plan.tasks.count()} nhiệm vụ)")
    return plan


# The order of a commune's groups: its office first, as commune plans list them.
COMMUNE_ROLE_ORDER = [
    "van-phong-hdnd-ubnd",
    "phong-van-hoa-xa-hoi",
    "trung-tam-phuc-vu-hcc",
    "to-cong-nghe-so",
]


def _assign(plan: Plan, roles: dict[str, str], by) -> None:
    """Give copied tasks to the unit's roles (the rest stay in the holding group)."""
    groups = {
        code: services.group_for_role(plan, Role.objects.get(code=code))
        for code in COMMUNE_ROLE_ORDER
        if code in roles.values()
    }
    for task in plan.tasks.filter(superior_task__isnull=False).select_related("superior_task"):
        code = roles.get(task.superior_task.title)
        if code:
            services.move_task_to_group(task, groups[code], None, by=by)


@transaction.atomic
def load_tam_ky_2026(city_plan: Plan, log=print) -> Plan:
    ward = _current("20341")
    plan = _existing(ward, YEAR, log)
    if plan is not None:
        return plan
    author, leader = _user("vanphong.tamky"), _user("chutich.tamky")
    plan = services.start_from_superior(ward, city_plan, by=author)
    plan = _edit(
        plan,
        plan,
        author,
        recipients="UBND thành phố Đà Nẵng\nSở Nội vụ\nTT Đảng ủy, HĐND phường\n"
        "Các phòng, đơn vị thuộc UBND phường\nỦy ban MTTQ Việt Nam phường\nCác khu phố",
        signer_name="Phạm Văn Minh",
    )
    _write_section(plan, Section.Kind.ORGANISATION, "TỔ CHỨC THỰC HIỆN", TAM_KY_ORGANISATION, author)
    _assign(plan, TAM_KY_ROLES, author)
    for (name, superior_title), value in TAM_KY_LOCAL_TARGETS.items():
        target = plan.tasks.get(superior_task__title=superior_title).targets.get(name=name)
        _edit(target, plan, author, value=Decimal(value), set_locally=True)
    for role_code, spec in TAM_KY_OWN_TASKS:
        _add_task(services.group_for_role(plan, Role.objects.get(code=role_code)), spec)
    plan = _issue(plan, by=author, approver=leader, issued_on=datetime.date(2026, 2, 5))
    log(f"  {ward.full_name} {YEAR}: kế hoạch số {plan.reference} ({plan.tasks.count()} nhiệm vụ)")
    return plan


@transaction.atomic
def load_ban_thach_2026(city_plan: Plan, log=print) -> Plan:
    ward = _current("20335")
    plan = _existing(ward, YEAR, log)
    if plan is not None:
        return plan
    author = _user("canbo.banthach")
    plan = services.start_from_superior(ward, city_plan, by=author)
    _assign(plan, BAN_THACH_ROLES, author)
    left = plan.tasks.filter(group__heading=services.UNASSIGNED_HEADING).count()
    log(f"  {ward.full_name} {YEAR}: dự thảo, còn {left} nhiệm vụ chưa phân công")
    return plan


def load_plan_demo(log=print) -> None:
    log("Nạp kế hoạch minh họa…")
    load_tam_ky_2022(log)
    tam_ky = services.in_force(_pre_2025("502"), SEED_YEAR)
    if tam_ky is None:
        log(f"  Thành phố Tam Kỳ {SEED_YEAR}: kế hoạch chưa ban hành; bỏ qua kế hoạch mẫu của phường")
    else:
        load_tan_thanh_2022(tam_ky, log)
    load_da_nang_2026(log)
    da_nang = services.in_force(_current("48"), YEAR)
    if da_nang is None:
        log(f"  Thành phố Đà Nẵng {YEAR}: kế hoạch chưa ban hành; bỏ qua kế hoạch của các phường")
        return
    load_tam_ky_2026(da_nang, log)
    load_ban_thach_2026(da_nang, log)
