"""The level that carries out a procedure, from the agencies the file names (Cơ quan thực hiện).

A table of agency patterns, each with the level it means and why, tested on the agency strings
of the national portal's real exports (procedures/tests/test_levels.py lists them). Every pattern
that matches adds its level: "Cơ quan cấp bộ, Ủy ban nhân dân cấp tỉnh" is both central and
provincial. An agency no pattern knows is "khác" (Cơ quan khác); a procedure without any agency
has no level from here: the importer takes it from the catalogue (the procedure as known, or its
base code "1.001193" for a case "1.001193.01") or leaves it "chưa xác định", shown as such.

Patterns are matched on the lower-cased text *with* its marks: folded, "tỉnh" would also match
"tính" and "tình".
"""

from __future__ import annotations

import functools
import re

from procedures.models import Level

# Bodies outside the state's levels: "khác" whatever else their name says ("Công đoàn cơ quan BHXH
# Việt Nam" is not a central body).
OTHER_BODIES = re.compile(r"^(?:công đoàn|tổ chức|doanh nghiệp|hội\b|người đứng đầu (?:của )?tổ chức)")
# (pattern, level, why). Order does not matter: every match counts.
AGENCY_LEVELS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^bộ\b(?!\s*phận)"), Level.CENTRAL, "Bộ …, Bộ trưởng, Bộ, cơ quan ngang Bộ"),
    (
        re.compile(r"\bcấp (?:bộ|trung ương)\b|\bcơ quan ngang bộ\b|\bcơ quan thuộc chính phủ\b"),
        Level.CENTRAL,
        "cấp bộ",
    ),
    (re.compile(r"^(?:thủ tướng|chính phủ|văn phòng chính phủ)\b"), Level.CENTRAL, "Chính phủ"),
    (re.compile(r"^(?:tổng cục|cục)\b"), Level.CENTRAL, "Cục, Tổng cục của bộ"),
    (
        re.compile(r"^trung tâm đăng ký giao dịch"),
        Level.CENTRAL,
        "đơn vị của Cục Đăng ký quốc gia giao dịch bảo đảm",
    ),
    # Branches of a ministry's vertical system (ngành dọc), whatever their area.
    (
        re.compile(r"\bhải quan\b|^chi cục thuế\b|^thuế (?:cơ sở|tỉnh)\b"),
        Level.CENTRAL,
        "ngành dọc (hải quan, thuế)",
    ),
    (
        re.compile(r"^(?:ủy|uỷ) ban (?!nhân dân).*\bnhà nước\b|^(?:ngân hàng|kiểm toán) nhà nước\b"),
        Level.CENTRAL,
        "Ủy ban Chứng khoán Nhà nước, Ngân hàng Nhà nước…",
    ),
    (re.compile(r"\bviệt nam$|\bquốc gia\b"), Level.CENTRAL, "… Việt Nam, … quốc gia"),
    (
        re.compile(r"\bquân khu\b|\bquốc phòng\b|\bbộ tư lệnh\b|\bcông an\b(?! (?:cấp )?(?:tỉnh|xã|huyện))"),
        Level.CENTRAL,
        "quân đội, công an",
    ),
    (re.compile(r"\bcấp tỉnh\b|\btỉnh\b|\btrực thuộc trung ương\b"), Level.PROVINCE, "cấp tỉnh"),
    (
        re.compile(r"^(?:giám đốc )?sở\b|^chi cục\b(?! (?:hải quan|thuế))|^ban quản lý (?:các )?khu"),
        Level.PROVINCE,
        "Sở, Chi cục thuộc Sở, Ban quản lý khu",
    ),
    (
        re.compile(
            r"^văn phòng đăng ký đất đai|^trung tâm trợ giúp pháp lý|^giám đốc trung tâm trợ giúp pháp lý"
        ),
        Level.PROVINCE,
        "đơn vị thuộc Sở",
    ),
    (re.compile(r"\bthi hành án dân sự (?:tỉnh|thành phố)"), Level.PROVINCE, "Thi hành án dân sự tỉnh"),
    (
        re.compile(r"\bcấp huyện\b|\bhuyện\b|\bquận\b|\bthị xã\b|^phòng\b(?! thi hành án cấp quân khu)"),
        Level.DISTRICT,
        "cấp huyện (trước 01/7/2025), phòng chuyên môn",
    ),
    (
        re.compile(r"\bcấp xã\b|(?<!thị )\bxã\b(?! hội)|\bphường\b|\bthị trấn\b|\bđặc khu\b"),
        Level.COMMUNE,
        "cấp xã",
    ),
]


@functools.lru_cache(maxsize=8192)
def agency_levels(agency: str) -> frozenset[str]:
    """The levels an agency's name means; {"khac"} when no pattern knows it."""
    low = " ".join(agency.lower().split())
    if OTHER_BODIES.match(low):
        return frozenset({Level.OTHER})
    found = {level for pattern, level, _why in AGENCY_LEVELS if pattern.search(low)}
    return frozenset(found or {Level.OTHER})


def levels_from_agencies(agencies: list[str]) -> list[str]:
    """The union over the agencies, in the Level enum's order; [] without agencies."""
    found: set[str] = set()
    for agency in agencies:
        found |= agency_levels(agency)
    if len(found) > 1:
        found.discard(Level.OTHER)  # "Sở Tư pháp" and "Tổ chức hành nghề công chứng": a provincial procedure
    order = {value: i for i, value in enumerate(Level.values)}
    return sorted(found, key=order.__getitem__)
