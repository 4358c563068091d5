"""A plan as a PDF laid out per NĐ 30/2020 (templates/plans/plan_pdf.html, docs/documents.md).

The PDF draws plans.document.PlanDocument line by line, as the read-only page does, and adds
the task table as an appendix on landscape pages. The signature areas it reports are where
documents/signing.py puts the signer's signature and the unit's seal.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string

from cchc_portal.lib.documents import RenderedPdf, render_pdf
from cchc_portal.lib.formatting import short_date
from documents.services import verification_line
from plans.document import Line, PlanDocument, build, load_plan
from plans.models import Frequency, Plan, Section, Task, TaskGroup

APPENDIX_NOTE = (
    "Chi tiết nhiệm vụ, đơn vị chủ trì, phối hợp, thời gian và chỉ tiêu tại Phụ lục kèm theo Kế hoạch này."
)


@dataclass(frozen=True)
class BodyLine:
    """One paragraph of the body, flattened from PlanDocument's tree."""

    tag: str  # "h2" mục, "h3" khoản with a title, "p" anything else
    text: str
    css: str = ""


@dataclass(frozen=True)
class TaskRow:
    """A row of the appendix table: a group ("1", its heading) or a task ("1.2", …)."""

    number: str
    title: str
    lead: str = ""
    partners: str = ""
    timing: str = ""
    targets: tuple[str, ...] = ()
    is_group: bool = False


SENTENCE_ENDS = (".", ";", "!", "?", "…")


def is_titled(line: Line) -> bool:
    """A khoản has a title when content hangs under it ("1. Mục đích" + bullets), when it is a
    group of section IV, or when it is a title still waiting for its content (no full stop).
    A khoản that is itself the content, a sentence ("1. Tuyên truyền trực quan: Thiết kế … về cải
    cách hành chính."), has none."""
    return bool(line.children) or line.item is None or not line.text.rstrip().endswith(SENTENCE_ENDS)


def _line_paragraphs(line: Line) -> list[BodyLine]:
    text = f"{line.label} {line.text}".strip()
    if line.style == "heading" and line.depth == 1 and is_titled(line):
        # PL I II.6.đ: a khoản with a title is on its own line, bold; without a title it is a
        # numbered paragraph, upright, like the điểm "a)" below it.
        out = [BodyLine("h3", text)]
    elif line.style == "heading":
        out = [BodyLine("p", text, "nd30-point" if line.depth > 1 else "nd30-clause")]
    else:
        out = [BodyLine("p", text)]
    for child in line.children:
        out += _line_paragraphs(child)
    return out


def body_lines(doc: PlanDocument, *, with_appendix: bool) -> list[BodyLine]:
    out = [BodyLine("p", basis, "nd30-basis") for basis in doc.legal_bases]
    out.append(BodyLine("p", doc.basis))
    for section in doc.sections:
        out.append(BodyLine("h2", f"{section.label}. {section.title}"))
        for line in section.lines:
            out += _line_paragraphs(line)
        if with_appendix and section.kind == Section.Kind.TASKS:
            # PL I III.1.a: a document with an appendix must point to it.
            out.append(BodyLine("p", APPENDIX_NOTE))
    out.append(BodyLine("p", doc.closing, "nd30-closing"))
    return out


def _lead(group: TaskGroup) -> str:
    if group.lead_role is not None:
        return group.lead_role.name
    if group.lead_unit is not None:
        return group.lead_unit.full_name
    return group.heading


def _partners(task: Task) -> str:
    names = [r.name for r in task.co_roles.all()] + [u.full_name for u in task.co_units.all()]
    if task.co_text:
        names.append(task.co_text)
    return ", ".join(names)


def _timing(task: Task) -> str:
    timing = task.timing_note or ("" if task.frequency == Frequency.ONCE else task.get_frequency_display())
    if task.deadline is not None:
        deadline = f"hạn {short_date(task.deadline)}"
        timing = f"{timing}; {deadline}" if timing else deadline.capitalize()
    return timing


def task_rows(plan: Plan) -> list[TaskRow]:
    """The appendix table, in document order (the order load_plan prefetches)."""
    rows = []
    for number, group in enumerate(plan.groups.all(), start=1):
        tasks = list(group.tasks.all())
        if not tasks:
            continue
        rows.append(TaskRow(str(number), group.heading, is_group=True))
        for index, task in enumerate(tasks, start=1):
            targets = tuple(f"{t.name}: {t.amount_display}" for t in task.targets.all())
            if task.product:
                targets += (task.product,)
            rows.append(
                TaskRow(
                    f"{number}.{index}",
                    task.title,
                    lead=_lead(group),
                    partners=_partners(task),
                    timing=_timing(task),
                    targets=targets,
                )
            )
    return rows


def _lower_first(text: str) -> str:
    """ "Tuyên truyền …" → "tuyên truyền …", but "UBND …" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def metadata(doc: PlanDocument) -> dict[str, str]:
    """PDF metadata (WeasyPrint reads it from <title> and <meta>)."""
    plan = doc.plan
    return {
        "title": f"{doc.kind.capitalize()} {_lower_first(doc.summary)}",
        "author": doc.authority or plan.unit.full_name,
        "subject": doc.summary,
        "keywords": ", ".join(
            x for x in (plan.reference and f"Số {plan.reference}", doc.kind.capitalize(), str(plan.year)) if x
        ),
        "created": plan.issued_on.isoformat() if plan.issued_on else "",
    }


def _flatten(lines: list[Line]) -> list[Line]:
    return [x for line in lines for x in (line, *_flatten(line.children))]


def plan_parts(doc: PlanDocument, rows: list[TaskRow]) -> dict[str, str]:
    """What the plan's people wrote, each named as the editor shows it, for the message that
    says which part is too long to print."""
    parts = {"trích yếu": doc.summary, "phần căn cứ": "\n".join([*doc.legal_bases, doc.basis])}
    for section in doc.sections:
        parts[f"tên mục {section.label}"] = section.title
        for index, line in enumerate(_flatten(section.lines), start=1):
            parts[f"đoạn {index} của mục {section.label}"] = f"{line.label} {line.text}"
    for row in rows:
        what = "nhóm nhiệm vụ" if row.is_group else "nhiệm vụ"
        parts[f"{what} {row.number} của phụ lục"] = " ".join(
            [row.title, row.partners, row.timing, *row.targets]
        )
    return parts


def plan_html(plan: Plan) -> str:
    return _plan_html(plan)[0]


def _plan_html(plan: Plan) -> tuple[str, dict[str, str]]:
    full = load_plan(plan.pk)
    doc = build(full)
    rows = task_rows(full)
    html = render_to_string(
        "plans/plan_pdf.html",
        {
            "doc": doc,
            "header": doc.header,
            "meta": metadata(doc),
            "lines": body_lines(doc, with_appendix=bool(rows)),
            "rows": rows,
            "appendix_title": f"Bảng nhiệm vụ {_lower_first(doc.summary)}",
            "verification": verification_line(full.document if full.document_id else None),
        },
    )
    return html, plan_parts(doc, rows)


def render_plan_pdf(plan: Plan) -> RenderedPdf:
    """The plan as a PDF (NĐ 30/2020), with the signature areas "person" and "organisation".
    Past the render budget: `RenderTooLong`, naming the longest part."""
    html, parts = _plan_html(plan)
    return render_pdf(html, parts=parts)
