"""The demo plans: the seed plan in full under the pre-2025 units, and the 2026 cascade in Đà Nẵng.

These load the real unit lists (demo.units), so each test takes a few seconds.
"""

import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.db.models import Q

from demo.plans import load_plan_demo
from demo.units import load_demo
from documents.models import OutgoingDocument
from plans import services
from plans.document import build, load_plan
from plans.models import PeriodType, Plan, SectionItem, Status, Target, Task
from units.models import Level

# The seed plan the product was conceived from (../shared/seeds/003_8fca2b6c51c4895f.txt, the
# public text of Phường Tân Thạnh's 2022 plan), kept here so the test runs wherever the project is.
SEED = Path(__file__).resolve().parent / "data" / "seed-003-tan-thanh-2022.txt"
# The seed text breaks one bullet across a page: "…trên địa bàn" / "thành phố giai đoạn 2021-2025…".
PAGE_BREAK = ("trên địa bàn\n\nthành phố giai đoạn 2021-2025", "trên địa bàn thành phố giai đoạn 2021-2025")
BASIS = (
    "Thực hiện Kế hoạch số 71/KH-UBND ngày 24/3/2022 của UBND thành phố Tam Kỳ về tuyên truyền cải cách "
    "hành chính năm 2022; UBND phường Tân Thạnh ban hành kế hoạch tuyên truyền công tác cải cách hành chính "
    "năm 2022 như sau:"
)
SECTIONS = [
    "I. MỤC ĐÍCH, YÊU CẦU",
    "II. NỘI DUNG, HÌNH THỨC TUYÊN TRUYỀN",
    "III. MỘT SỐ HOẠT ĐỘNG TUYÊN TRUYỀN TRỌNG TÂM",
    "IV. NHIỆM VỤ CỤ THỂ",
    "V. TỔ CHỨC THỰC HIỆN",
]
GROUPS = [
    "1. Công chức VHXH, cán bộ đài truyền thanh phường",
    "2. Công chức Văn phòng – thống kê",
    "3. Công chức Tư pháp – hộ tịch",
    "4. Công chức Tài chính – kế toán",
    "5. Bộ phận Tiếp nhận và Trả kết quả phường",
    "6. Tổ công nghệ cộng đồng",
    "7. Đề nghị UBNDTTQ Việt Nam, các hội đoàn thể phường, các khối phố:",
]
CLOSING = (
    "Trên đây là kế hoạch tuyên truyền công tác cải cách hành chính năm 2022, yêu cầu các bộ phận, các "
    "ngành nghiêm túc triển khai thực hiện./."
)
RECIPIENTS = [
    "Nơi nhận:",
    "- UBND thành phố;",
    "- Phòng Nội vụ thành phố;",
    "- Phòng VHTT thành phố;",
    "- Các ngành UBND phường;",
    "- Mặt trận và các đoàn thể phường;",
    "- Các khối phố;",
    "- Lưu: VT – đ/c Châu.",
]
SIGNER = ["TM. ỦY BAN NHÂN DÂN", "PHÓ CHỦ TỊCH"]


@pytest.fixture
def demo(db):
    load_demo(log=lambda *_: None)
    load_plan_demo(log=lambda *_: None)


def seed_text() -> str:
    text = SEED.read_text(encoding="utf-8")
    assert PAGE_BREAK[0] in text
    return text.replace(*PAGE_BREAK)


def seed_body(text: str) -> list[str]:
    """Every line of the seed from section I to the closing sentence (not included)."""
    body = text[text.index("I. MỤC ĐÍCH") : text.index("Trên đây")]
    return [line.strip() for line in body.splitlines() if line.strip()]


def seed_bullets(text: str) -> list[str]:
    return [line[2:] for line in seed_body(text) if line.startswith("- ")]


def matches(line: str, expected: str) -> bool:
    """A document line shows the seed line; a task line may add its targets: "… (Chỉ tiêu: …)."."""
    return line == expected or (line.startswith(f"{expected} (Chỉ tiêu: ") and line.endswith(")."))


def assert_lines_in_order(lines: list[str], expected: list[str]) -> None:
    position = 0
    for wanted in expected:
        found = next((i for i in range(position, len(lines)) if matches(lines[i], wanted)), None)
        assert found is not None, f"not found (in order): {wanted!r}"
        position = found + 1


def tan_thanh_2022() -> Plan:
    return Plan.objects.get(unit__code="20335", unit__valid_to__isnull=False, year=2022)


def test_the_seed_plan_is_fully_represented(demo):
    text = seed_text()
    document = build(load_plan(tan_thanh_2022().pk))
    lines = document.text().splitlines()

    assert document.summary == "Tuyên truyền công tác cải cách hành chính năm 2022"
    assert document.basis == BASIS
    assert [f"{s.label}. {s.title}" for s in document.sections] == SECTIONS
    tasks_section = document.sections[3]
    assert [f"{line.label} {line.text}" for line in tasks_section.lines] == GROUPS

    bullets = seed_bullets(text)
    assert len(bullets) == 37  # I: 6, II: 11, IV: 18, V: 2
    for bullet in bullets:
        assert bullet in document.text()
    # Every line of the seed's body, headings and bullets, in order, and nothing else.
    body = seed_body(text)
    assert_lines_in_order(lines, [BASIS, *body, CLOSING, *RECIPIENTS, *SIGNER])
    start, end = lines.index(SECTIONS[0]), lines.index(CLOSING)
    assert len(lines[start:end]) == len(body)
    # The seed's own closing block, as printed.
    tail = [line.strip(" *") for line in text[text.index("Trên đây") :].splitlines() if line.strip(" *")]
    assert tail == [CLOSING, *RECIPIENTS, *SIGNER]
    assert lines[lines.index(CLOSING) :] == tail
    assert document.signer_name == ""


def test_the_seed_ward_plan_implements_the_city_plan(demo):
    city = Plan.objects.get(unit__code="502", unit__valid_to__isnull=False, year=2022)
    ward = tan_thanh_2022()
    assert (city.status, city.reference, city.issued_on) == (
        Status.ISSUED,
        "71/KH-UBND",
        datetime.date(2022, 3, 24),
    )
    assert city.title == "Kế hoạch tuyên truyền cải cách hành chính năm 2022"
    assert (ward.status, ward.parent_plan_id, ward.reference) == (Status.ISSUED, city.pk, "25/KH-UBND")

    city_tasks = {t.key: t for t in city.tasks.all()}
    linked = list(ward.tasks.filter(superior_key__isnull=False))
    assert len(linked) == 8
    for task in linked:
        assert city_tasks[task.superior_key].pk == task.superior_task_id
    # Every commune task of the city plan is carried but the reporting one (section V says it in words).
    commune_keys = set(city.tasks.filter(group__lead_level=Level.COMMUNE).values_list("key", flat=True))
    (left_out,) = commune_keys - {t.superior_key for t in linked}
    assert city_tasks[left_out].title.startswith("Báo cáo kết quả")

    radio = ward.tasks.get(title="Định kỳ đăng tin, bài và xây dựng các chuyên mục về cải cách hành chính.")
    (target,) = radio.targets.all()
    assert (target.name, target.value, target.unit_of_measure) == ("Chuyên đề phát thanh", 12, "chuyên đề")
    assert target.superior_target.task.plan_id == city.pk
    posting = ward.tasks.get(group__lead_role__code="bo-phan-mot-cua")
    assert [(t.name, t.amount_display, t.aggregation) for t in posting.targets.all()] == [
        ("TTHC được niêm yết công khai", "100%", "share")
    ]
    assert Target.objects.filter(task__plan=ward).count() == 2

    assert [g.lead_role.code if g.lead_role else None for g in ward.groups.all()] == [
        "cc-van-hoa-xa-hoi",
        "cc-van-phong-thong-ke",
        "cc-tu-phap-ho-tich",
        "cc-tai-chinh-ke-toan",
        "bo-phan-mot-cua",
        "to-cong-nghe-so",
        None,
    ]
    assert all(g.lead_unit_id is None and not g.lead_level for g in ward.groups.all())
    first = ward.groups.first()
    assert all([r.code for r in t.co_roles.all()] == ["dai-truyen-thanh"] for t in first.tasks.all())
    assert not ward.groups.filter(heading=services.UNASSIGNED_HEADING).exists()
    assert {(r.period_type, r.deadline_day) for r in ward.reporting_rules.all()} == {
        (PeriodType.MONTHLY, 20),
        (PeriodType.QUARTERLY, 20),
        (PeriodType.HALF_YEAR, 20),
        (PeriodType.ANNUAL, 20),
    }
    assert not SectionItem.objects.filter(section__plan=ward, style=SectionItem.Style.SCHEDULE).exists()

    overview = services.cascade_overview(city)
    assert overview.status_counts["issued"] == 1
    assert all(overview.task_counts[key] == 1 for key in commune_keys - {left_out})


def test_the_2026_cascade(demo):
    city = Plan.objects.get(unit__code="48", unit__valid_to__isnull=True, year=2026)
    assert (city.status, city.issued_on, city.signer_name) == (
        Status.ISSUED,
        datetime.date(2026, 1, 20),
        "Võ Văn Nam",
    )
    assert city.created_by.username == "snv.danang"
    assert {g.lead_unit.code for g in city.groups.filter(lead_unit__isnull=False)} == {
        "48-SNV",
        "48-SVHTT",
        "48-VPUB",
    }
    assert all(t.budget for t in city.tasks.filter(group__lead_unit__isnull=False))
    some = city.tasks.filter(addressees__isnull=False).distinct()
    assert some.count() == 2
    assert all(0 < t.addressees.count() < 5 for t in some)

    tam_ky = Plan.objects.get(unit__code="20341", unit__valid_to__isnull=True, year=2026)
    assert (tam_ky.status, tam_ky.issued_on, tam_ky.parent_plan_id) == (
        Status.ISSUED,
        datetime.date(2026, 2, 5),
        city.pk,
    )
    assert not tam_ky.tasks.filter(group__lead_role__isnull=True).exists()
    assert {g.lead_role.code for g in tam_ky.groups.all()} == {
        "van-phong-hdnd-ubnd",
        "phong-van-hoa-xa-hoi",
        "trung-tam-phuc-vu-hcc",
        "to-cong-nghe-so",
    }
    assert tam_ky.tasks.filter(superior_key__isnull=True).count() == 2
    assert tam_ky.tasks.filter(targets__set_locally=True, superior_key__isnull=False).exists()

    ban_thach = Plan.objects.get(unit__code="20335", unit__valid_to__isnull=True, year=2026)
    assert (ban_thach.status, ban_thach.parent_plan_id) == (Status.DRAFT, city.pk)
    unassigned = ban_thach.tasks.filter(group__heading=services.UNASSIGNED_HEADING).count()
    assert 0 < unassigned < ban_thach.tasks.count()

    assert Plan.objects.filter(year=2026).count() == 3
    overview = services.cascade_overview(city)
    assert overview.addressed_total >= 90
    assert overview.status_counts == {"issued": 1, "draft": 1, "none": overview.addressed_total - 2}
    for_communes = city.tasks.filter(Q(group__lead_level=Level.COMMUNE) | Q(addressees__isnull=False))
    assert for_communes.distinct().count() == 8
    for task in for_communes.distinct():
        assert overview.task_counts.get(task.key, 0) >= 1, task.title


def test_loading_twice_changes_nothing(demo):
    history = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    models = [Plan, Task, Target, OutgoingDocument, *history]
    draft = Plan.objects.get(unit__code="20335", unit__valid_to__isnull=True, year=2026)
    services.update_fields(draft, None, {"title": "Tên do người dùng sửa"}, plan=draft)
    before = {m.__name__: m.objects.count() for m in models}

    load_plan_demo(log=lambda *_: None)

    assert {m.__name__: m.objects.count() for m in models} == before
    assert Plan.objects.get(pk=draft.pk).title == "Tên do người dùng sửa"
