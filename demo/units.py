"""Demo data for `make run`: the real unit lists, Đà Nẵng's agencies and a person in every role.

Đà Nẵng is the demo province because the seed plan (../shared/seeds/003) was issued by Phường
Tân Thạnh of Thành phố Tam Kỳ, Quảng Nam, which merged into Đà Nẵng on 1 July 2025; the
pre-2025 lists of Quảng Nam and of the old Đà Nẵng are loaded too, with the official conversion
table of Đà Nẵng's communes (units/data/successions-2025-da-nang.csv, through the same import as
`manage.py import_successions`), so that history is visible.
Everything here is idempotent: a second run changes nothing and keeps what users changed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from units.importers import read_unit_file
from units.models import Level, Membership, Role, Unit, UnitKind, UnitSuccession
from units.services import apply_successions, apply_unit_import, link_succession, plan_unit_import, save_unit
from units.successions import plan_successions, read_successions

# The real unit lists ship with the units app (a production install imports them too).
DATA_DIR = Path(__file__).resolve().parent.parent / "units" / "data"
UNIT_FILES = ["units-2025.json", "units-pre2025-quang-nam.json", "units-pre2025-da-nang.json"]
SUCCESSION_FILE = "successions-2025-da-nang.csv"
DEMO_PASSWORD = "cchc@2026"
DEMO_PROVINCE = "48"  # Thành phố Đà Nẵng
OTHER_PROVINCE = "51"  # Tỉnh Quảng Ngãi
MERGER_DAY = datetime.date(2025, 7, 1)

# Agencies under a province: (province code, code, full name, kind, document symbol).
AGENCIES = [
    ("48", "48-VPUB", "Văn phòng UBND thành phố Đà Nẵng", "co-quan-ubnd", "VP"),
    ("48", "48-SNV", "Sở Nội vụ", "so-ban-nganh", "SNV"),
    ("48", "48-SVHTT", "Sở Văn hóa và Thể thao", "so-ban-nganh", "SVHTT"),
    ("48", "48-STP", "Sở Tư pháp", "so-ban-nganh", "STP"),
    ("48", "48-SKHCN", "Sở Khoa học và Công nghệ", "so-ban-nganh", "SKHCN"),
    ("51", "51-SNV", "Sở Nội vụ", "so-ban-nganh", "SNV"),
]

OLD_PROVINCES = ["49", "48"]  # Tỉnh Quảng Nam and the old Thành phố Đà Nẵng, merged into the new one
PROVINCE_MERGER_BASIS = "Nghị quyết 202/2025/QH15 (hợp nhất tỉnh Quảng Nam và thành phố Đà Nẵng)"
COMMUNE_MERGER_BASIS = "Nghị quyết 1659/NQ-UBTVQH15 về sắp xếp ĐVHC cấp xã của thành phố Đà Nẵng"


@dataclass(frozen=True)
class Persona:
    username: str
    last_name: str
    first_name: str
    unit_code: str  # commune code, province code or agency code (current units)
    role: str
    position: str
    describes: str


PERSONAS = [
    Persona(
        "canbo.tamky",
        "Nguyễn Thị",
        "Lan",
        "20341",
        "phong-van-hoa-xa-hoi",
        "Chuyên viên",
        "Cán bộ nhập tiến độ — Phường Tam Kỳ (xã A)",
    ),
    Persona(
        "canbo.banthach",
        "Trần Văn",
        "Hùng",
        "20335",
        "phong-van-hoa-xa-hoi",
        "Chuyên viên",
        "Cán bộ nhập tiến độ — Phường Bàn Thạch (xã B)",
    ),
    Persona(
        "vanphong.tamky",
        "Lê Thị",
        "Thu",
        "20341",
        "van-phong-hdnd-ubnd",
        "Chuyên viên",
        "Văn phòng HĐND và UBND — tổng hợp báo cáo, Phường Tam Kỳ",
    ),
    Persona(
        "chutich.tamky",
        "Phạm Văn",
        "Minh",
        "20341",
        "chu-tich",
        "Chủ tịch",
        "Lãnh đạo xã — Chủ tịch UBND Phường Tam Kỳ",
    ),
    Persona(
        "vanthu.tamky",
        "Đỗ Thị",
        "Hạnh",
        "20341",
        "van-thu",
        "Văn thư",
        "Văn thư Phường Tam Kỳ — cấp số, ký số cơ quan, phát hành văn bản",
    ),
    Persona(
        "snv.danang",
        "Hoàng Thị",
        "Mai",
        "48",
        "chuyen-vien-so-noi-vu",
        "Chuyên viên",
        "Sở Nội vụ Đà Nẵng — theo dõi, xét duyệt cả thành phố",
    ),
    Persona(
        "lanhdao.danang",
        "Võ Văn",
        "Nam",
        "48",
        "pho-chu-tich",
        "Phó Chủ tịch",
        "Lãnh đạo thành phố Đà Nẵng — phê duyệt, ký",
    ),
    Persona(
        "vanthu.danang",
        "Ngô Văn",
        "Bình",
        "48",
        "van-thu",
        "Văn thư",
        "Văn thư UBND thành phố Đà Nẵng — cấp số, ký số cơ quan, phát hành",
    ),
    Persona(
        "snv.quangngai",
        "Đặng Văn",
        "Tú",
        "51",
        "chuyen-vien-so-noi-vu",
        "Chuyên viên",
        "Sở Nội vụ Quảng Ngãi — tỉnh khác",
    ),
]
ADMIN = Persona("admin", "", "Quản trị hệ thống", "", "", "", "Quản trị viên (mọi đơn vị, trang quản trị)")


def load_units(log=print) -> None:
    for name in UNIT_FILES:
        parsed = read_unit_file((DATA_DIR / name).read_bytes())
        plan = plan_unit_import(parsed)
        if not plan.is_valid:
            raise RuntimeError(f"{name}: {plan.summary()} {'; '.join(plan.errors[:3])}")
        if plan.has_changes:
            apply_unit_import(plan, source_name=name)
        log(f"  {name}: {plan.summary()}")


def _current(code: str) -> Unit:
    return Unit.objects.current().select_related("kind").get(code=code)


@transaction.atomic
def load_agencies_and_successions() -> None:
    kinds = {k.code: k for k in UnitKind.objects.all()}
    for province_code, code, full_name, kind_code, symbol in AGENCIES:
        if Unit.objects.current().filter(code=code).exists():
            continue
        province = _current(province_code)
        unit = Unit(
            code=code,
            name=full_name,
            full_name=full_name,
            kind=kinds[kind_code],
            body_symbol=symbol,
            valid_from=MERGER_DAY,
            legal_basis="Dữ liệu minh họa",
        )
        save_unit(unit, parent=province)

    old_provinces = Unit.objects.filter(
        valid_to__lt=MERGER_DAY, code__in=OLD_PROVINCES, kind__level=Level.PROVINCE
    )
    for old_province in old_provinces:
        link_succession(
            old_province,
            _current(DEMO_PROVINCE),
            effective_date=MERGER_DAY,
            legal_basis=PROVINCE_MERGER_BASIS,
        )
    # The communes: the official conversion table, as an administrator imports it.
    name = SUCCESSION_FILE
    plan = plan_successions(
        read_successions((DATA_DIR / name).read_bytes(), name, legal_basis=COMMUNE_MERGER_BASIS)
    )
    if plan.counts["invalid"]:
        raise RuntimeError(f"{name}: {'; '.join(plan.errors[:3])}")
    apply_successions(plan, source_name=name)


@transaction.atomic
def load_people() -> list[Persona]:
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username=ADMIN.username,
        defaults={"first_name": ADMIN.first_name, "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    roles = {r.code: r for r in Role.objects.all()}
    for persona in PERSONAS:
        user, created = User.objects.get_or_create(
            username=persona.username,
            defaults={"first_name": persona.first_name, "last_name": persona.last_name},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        role = roles[persona.role]
        Membership.objects.get_or_create(
            user=user,
            unit=_current(persona.unit_code),
            role=role,
            defaults={"position": persona.position, **role.capability_values()},
        )
    return [ADMIN, *PERSONAS]


def load_demo(log=print) -> list[Persona]:
    log("Nạp danh mục đơn vị hành chính…")
    load_units(log)
    load_agencies_and_successions()
    log(f"  Cơ quan minh họa: {len(AGENCIES)}; liên kết kế thừa: {UnitSuccession.objects.count()}")
    return load_people()
