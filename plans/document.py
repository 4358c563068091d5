"""A plan as an official document: every line of it, numbered the way NĐ 30/2020 numbers them.

The read-only page and the PDF renderer both draw this structure, so the document that is
signed is exactly the structured plan people edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from cchc_portal.lib import nd30
from cchc_portal.lib.nd30 import letter, number_line, place_date_line, roman
from documents.models import DocumentType
from documents.services import document_symbol
from plans.models import Plan, Section, SectionItem, Task
from plans.services import basis_sentence, closing_sentence, schedule_sentence


@dataclass
class Line:
    label: str  # "1.", "a)", "-" or ""
    text: str
    style: str  # heading, bullet, paragraph, task
    depth: int
    children: list[Line] = field(default_factory=list)
    task: Task | None = None
    item: SectionItem | None = None


@dataclass
class DocumentSection:
    label: str  # "I"
    title: str
    kind: str
    lines: list[Line]


@dataclass
class PlanDocument:
    plan: Plan
    parent_authority: str
    authority: str
    number: str
    place_date: str
    kind: str
    summary: str
    basis: str
    legal_bases: list[str]
    sections: list[DocumentSection]
    closing: str
    signer_lines: list[str]
    signer_name: str
    recipients: list[str]

    # "KH-UBND"; until the văn thư numbers the document its number and date are fields.
    symbol: str = ""
    numbered: bool = True

    @property
    def header(self) -> nd30.Header:
        return nd30.header(
            parent_authority=self.parent_authority,
            authority=self.authority,
            number=self.number,
            place_date=self.place_date,
            fields=not self.numbered,
            symbol=self.symbol,
        )

    def text(self, *, header: bool = True) -> str:
        """The document as plain text, in reading order (used by tests and search). Without the
        header's number and date: what the leader signs, before the văn thư numbers it."""
        out = [self.parent_authority, self.authority]
        out += [self.number, self.place_date] if header else []
        out += [self.kind, self.summary]
        out += [*self.legal_bases, self.basis]
        for section in self.sections:
            out.append(f"{section.label}. {section.title}")
            stack = list(reversed(section.lines))
            while stack:
                line = stack.pop()
                out.append(f"{line.label} {line.text}".strip())
                stack.extend(reversed(line.children))
        out += [self.closing, "Nơi nhận:", *self.recipients, *self.signer_lines, self.signer_name]
        return "\n".join(x for x in out if x)


def item_lines(items: list[SectionItem], parent_id: int | None, depth: int, plan: Plan) -> list[Line]:
    lines = []
    headings = 0
    for item in [i for i in items if i.parent_id == parent_id]:
        children = item_lines(items, item.pk, depth + 1, plan)
        if item.style == SectionItem.Style.HEADING:
            headings += 1
            label = f"{headings}." if depth == 1 else f"{letter(headings)})"
        elif item.style == SectionItem.Style.BULLET:
            label = "-"
        else:
            label = ""
        text = schedule_sentence(plan) if item.style == SectionItem.Style.SCHEDULE else item.text
        if item.style == SectionItem.Style.SCHEDULE:
            label = "-"
        lines.append(Line(label, text, item.style, depth, children, item=item))
    return lines


def _task_lines(plan: Plan) -> list[Line]:
    lines = []
    for number, group in enumerate(plan.groups.all(), start=1):
        # Section IV gives each task as written; its targets, timing and partners are in the
        # task table (the appendix), as in real plans.
        tasks = [Line("-", t.title, "task", 2, task=t) for t in group.tasks.all()]
        lines.append(Line(f"{number}.", group.heading, "heading", 1, tasks))
    return lines


def load_plan(plan_id: int) -> Plan:
    """The plan with everything the document needs, in a fixed number of queries."""
    return (
        Plan.objects.select_related(
            "unit__kind", "document", "parent_plan__unit__kind", "parent_plan__document"
        )
        .prefetch_related(
            Prefetch("sections", queryset=Section.objects.prefetch_related("items")),
            Prefetch(
                "groups__tasks",
                queryset=Task.objects.prefetch_related(
                    "targets", "channels", "co_roles", "co_units", "addressees"
                ),
            ),
            "groups__lead_role",
            "groups__lead_unit",
            "reporting_rules",
        )
        .get(pk=plan_id)
    )


def build(plan: Plan) -> PlanDocument:
    unit = plan.unit
    issued_on = plan.issued_on
    sections = []
    for index, section in enumerate(plan.sections.all(), start=1):
        if section.kind == Section.Kind.TASKS:
            lines = item_lines(list(section.items.all()), None, 1, plan) + _task_lines(plan)
        else:
            lines = item_lines(list(section.items.all()), None, 1, plan)
        sections.append(DocumentSection(roman(index), section.title.upper(), section.kind, lines))
    recipients = [line.strip(" -;.") for line in plan.recipients.splitlines() if line.strip(" -;.")]
    signer_lines = [
        line for line in (plan.signer_authority, plan.signer_delegation, plan.signer_title) if line
    ]
    symbol = plan.document.symbol if plan.document_id else document_symbol(DocumentType.PLAN, unit)
    return PlanDocument(
        plan=plan,
        parent_authority=unit.parent_authority_line,
        authority=unit.authority_line,
        number=number_line(plan.document.number if plan.document_id else None, symbol),
        place_date=place_date_line(unit.place_name, issued_on, plan.year if issued_on is None else None),
        kind="KẾ HOẠCH",
        summary=plan.summary,
        basis=basis_sentence(plan),
        legal_bases=[b.strip() for b in plan.legal_bases.splitlines() if b.strip()],
        sections=sections,
        closing=closing_sentence(plan),
        signer_lines=signer_lines,
        signer_name=plan.signer_name,
        recipients=[f"- {r};" for r in recipients] + [f"- Lưu: {plan.archive_line.strip(' .')}."],
        symbol=symbol,
        numbered=plan.document_id is not None and plan.document.number is not None,
    )
