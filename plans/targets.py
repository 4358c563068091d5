"""How a target's figures add up — the one place the rules live.

A target (chỉ tiêu) has a **kind**, which says how its figures add up over time, and an
**aggregation**, which says how the units' figures add up in a superior's roll-up:

| kind | example | over the sub-periods of a 6-month, 9-month or annual report | over units |
|---|---|---|---|
| count | "12 chuyên đề", "3.000 tờ" | sum | sum, average or share of units meeting it |
| rate | "4 số/tháng" | average weighted by the months each part covers — never a sum | sum, average or share |
| percent | "100% TTHC được niêm yết" | the latest part's figure | average or share (never a sum) |
| level | "mức độ 4", "đạt 80 điểm" | the latest part's figure | average or share (never a sum) |
| yes/no | "Tổ chức hội nghị" (1 = done) | done if done in any part | number of units done, or share |

A rate's "per month" is in its unit ("số/tháng"): four bulletins a month in the first half and
three a month in the third quarter make (4×6 + 3×3) / 9 months = 3,67 số/tháng for nine months,
not 7. A percentage is a state at the cut-off, so the year's figure is the last one reported.

`infer_kind` reads the kind from a unit of measure ("%" → percent, "số/tháng" → rate) for
data written before kinds existed (the migration) and for imported plans; the plan editor lets
the planner change it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from plans.models import Aggregation, TargetKind

# Over units, what each kind allows (the first is the default).
UNIT_RULES: dict[str, tuple[str, ...]] = {
    TargetKind.COUNT: (Aggregation.SUM, Aggregation.AVERAGE, Aggregation.SHARE),
    TargetKind.RATE: (Aggregation.SHARE, Aggregation.SUM, Aggregation.AVERAGE),
    TargetKind.PERCENT: (Aggregation.SHARE, Aggregation.AVERAGE),
    TargetKind.LEVEL: (Aggregation.AVERAGE, Aggregation.SHARE),
    TargetKind.YESNO: (Aggregation.SHARE, Aggregation.SUM),
}

TIME_RULE = {
    TargetKind.COUNT: _("cộng dồn các kỳ"),
    TargetKind.RATE: _("bình quân theo tháng, không cộng các kỳ"),
    TargetKind.PERCENT: _("số liệu kỳ gần nhất"),
    TargetKind.LEVEL: _("số liệu kỳ gần nhất"),
    TargetKind.YESNO: _("đã thực hiện nếu thực hiện ở một kỳ bất kỳ"),
}

UNIT_RULE = {
    Aggregation.SUM: _("cộng các đơn vị"),
    Aggregation.AVERAGE: _("bình quân các đơn vị"),
    Aggregation.SHARE: _("tỷ lệ đơn vị đạt chỉ tiêu"),
}
YESNO_SUM_RULE = _("số đơn vị đã thực hiện")

_PER_TIME = re.compile(
    r"/\s*(ngày|tuần|tháng|quý|năm)\b|\b(mỗi|hằng|hàng)\s+(ngày|tuần|tháng|quý|năm)\b", re.I
)


def infer_kind(unit_of_measure: str) -> str:
    """The kind a unit of measure implies: "%" → percent, "số/tháng" → rate, else a count."""
    text = (unit_of_measure or "").strip()
    if text.startswith("%") or text.endswith("%"):
        return TargetKind.PERCENT
    if _PER_TIME.search(text):
        return TargetKind.RATE
    return TargetKind.COUNT


def default_aggregation(kind: str) -> str:
    return UNIT_RULES.get(kind, UNIT_RULES[TargetKind.COUNT])[0]


def allows(kind: str, aggregation: str) -> bool:
    return aggregation in UNIT_RULES.get(kind, ())


def over_time(kind: str, parts: Sequence[tuple[Decimal | None, int]]) -> Decimal | None:
    """The figure of a whole period from its parts in time order: (figure, months covered).
    Parts without a figure are left out; None when no part has one."""
    known = [(Decimal(value), months) for value, months in parts if value is not None]
    if not known:
        return None
    if kind == TargetKind.COUNT:
        return sum((value for value, _ in known), Decimal(0))
    if kind == TargetKind.RATE:
        months = sum(max(m, 0) for _, m in known)
        if not months:
            return known[-1][0]
        return sum((value * max(m, 0) for value, m in known), Decimal(0)) / months
    if kind == TargetKind.YESNO:
        return Decimal(1) if any(value > 0 for value, _ in known) else Decimal(0)
    return known[-1][0]  # percent, level: the state at the last cut-off


def time_rule(kind: str) -> str:
    return str(TIME_RULE.get(kind, TIME_RULE[TargetKind.COUNT]))


def unit_rule(kind: str, aggregation: str) -> str:
    if kind == TargetKind.YESNO and aggregation == Aggregation.SUM:
        return str(YESNO_SUM_RULE)
    return str(UNIT_RULE.get(aggregation, UNIT_RULE[Aggregation.SUM]))


def rule_text(kind: str, aggregation: str) -> str:
    """ "Theo kỳ: cộng dồn các kỳ; theo đơn vị: tỷ lệ đơn vị đạt chỉ tiêu" — shown next to a figure."""
    return _("Theo kỳ: %(time)s; theo đơn vị: %(units)s") % {
        "time": time_rule(kind),
        "units": unit_rule(kind, aggregation),
    }


def summable(kind: str) -> bool:
    """Whether figures of this kind may be added together (two units' counts may; two rates of
    the same unit over time may not, and percentages never)."""
    return kind == TargetKind.COUNT
