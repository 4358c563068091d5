"""A unit's periodic report as a PDF laid out per NĐ 30/2020 (templates/reports/report_pdf.html,
on the same base as plans), with the numeric annex on landscape pages.

The outline is the standard one of CCHC communication reports: Kính gửi …; I. Kết quả thực hiện;
II. Đánh giá chung (ưu điểm; tồn tại, hạn chế; nguyên nhân); III. Nhiệm vụ kỳ tới; IV. Đề xuất,
kiến nghị. A report is sent upward, so it carries "Kính gửi:" under its summary line: one
recipient on the line itself, centred; several as a list "- …;" (PL I II.9.a). Its Nơi nhận
starts with "- Như trên;" and ends with "- Lưu: VT, <drafting unit>." (II.9.b, d). The opening
states the period the figures cover (NĐ 09/2019: thời gian chốt số liệu); section I points to
the annex, and the annex says which report it belongs to (PL I III.1), its number and date
filled by the văn thư at issue (documents/pdf_fields.py). The signer's block is the signer's
own (reports/signer.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.loader import render_to_string

from cchc_portal.lib import formatting, nd30
from cchc_portal.lib.documents import RenderedPdf, render_pdf
from cchc_portal.lib.nd30 import number_line, place_date_line
from documents.models import DocumentType
from documents.services import document_symbol, verification_line
from plans.models import Aggregation
from plans.services import authority_name, formal_name
from reports import cumulative, signer
from reports.models import DONE, Report

# Section I ends with the pointer to the annex where its figures are (PL I III.1.a).
ANNEX_POINTER = "(Chi tiết tại Phụ lục kèm theo)"


@dataclass
class Paragraph:
    tag: str  # "h2", "h3" or "p"
    text: str


@dataclass
class AnnexRow:
    number: str
    title: str
    status: str
    progress: str
    # name, planned, achieved, how it adds up (and, in a cumulative report, its parts)
    targets: list[tuple[str, str, str, str]] = field(default_factory=list)
    evidence: list[tuple[str, int]] = field(default_factory=list)  # (period, files): this one first

    @property
    def evidence_count(self) -> int:
        return sum(n for _, n in self.evidence)


@dataclass
class ReportDocument:
    report: Report
    parent_authority: str
    authority: str
    number: str
    place_date: str
    kind: str
    summary: str
    kinh_gui: list[str]  # one recipient, or the list "- …;" / "- … ."
    basis: str
    paragraphs: list[Paragraph]
    closing: str
    signer_lines: list[str]
    signer_name: str
    recipients: list[str]
    annex: list[AnnexRow]
    # The annex's "(Kèm theo Báo cáo số …/BC-UBND ngày … của …)": its number and date once
    # numbered ("05", "ngày 05 tháng 01 năm 2026"), else the văn thư's fields.
    annex_number: str
    annex_date: str
    issuer: str

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


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def summary_line(report: Report) -> str:
    label = report.period.label
    return f"Kết quả thực hiện công tác tuyên truyền cải cách hành chính {label[:1].lower()}{label[1:]}"


def _period_note(report: Report) -> str:
    """ "(Số liệu tính từ ngày 15/12/2025 đến ngày 14/12/2026)": the period the figures cover."""
    period = report.period
    return (
        f"(Số liệu tính từ ngày {formatting.short_date(period.start)} "
        f"đến ngày {formatting.short_date(period.end)})"
    )


def _signer_block(report: Report) -> signer.SignerBlock:
    """The block of the leader who signed; before anyone signed, of the leader expected to."""
    if report.signer_lines:
        return signer.SignerBlock(_lines(report.signer_lines), report.signer_name)
    return signer.expected_block(report.unit)


def _status(entry, period) -> str:
    if not entry.is_entered:
        return "Chưa báo cáo"
    if cumulative.overdue(entry, period):
        return f"Quá hạn (hạn {formatting.short_date(entry.task.deadline)})"
    return entry.get_status_display()


def _annex(report: Report) -> list[AnnexRow]:
    """One row per task: its figures with how they add up (in a 6-month, 9-month or annual
    report, the earlier reports' figures and the remainder's), and its evidence by period —
    the earlier reports' files count in the period they cover (reports/cumulative.py)."""
    annex = []
    entries = list(
        report.entries.select_related("task__group")
        .prefetch_related("results__target", "task__targets", "evidence")
        .order_by("task__group__position", "task__position", "task__pk")
    )
    parts = cumulative.parts_of(report)
    own = cumulative.own_tasks([e.task_id for e in entries])
    figures, carried = {}, {}
    if parts is not None and parts.earlier:
        figures = cumulative.figures(report, parts, own)
        carried = cumulative.carried_evidence(report, parts)
    label = report.period.label
    for index, entry in enumerate(entries, start=1):
        achieved = {r.target_id: r.achieved for r in entry.results.all()}
        targets = []
        for t in entry.task.targets.all():
            figure = figures.get((entry.task_id, t.pk))
            note = t.rule
            if figure is not None:
                typed = formatting.number(figure.own) if figure.own is not None else "—"
                note = f"{figure.earlier_text}; {figure.own_label}: {typed}. {note}"
            value = achieved.get(t.pk)
            if entry.task_id not in own and t.aggregation == Aggregation.SHARE and value is not None:
                # Units below carry the task: the figure is the share of them meeting the target.
                shown = f"{formatting.percent(value)} đơn vị đạt"
            else:
                shown = formatting.number(value)
            targets.append(
                (
                    t.name,
                    f"{formatting.number(t.value)} {t.unit_of_measure}",
                    shown,
                    note,
                )
            )
        evidence = [(label, len(entry.evidence.all()))]
        by_period: dict[str, int] = {}
        for period_label, _file in carried.get(entry.task_id, []):
            by_period[period_label] = by_period.get(period_label, 0) + 1
        evidence += list(by_period.items())
        annex.append(
            AnnexRow(
                number=str(index),
                title=entry.task.title,
                status=_status(entry, report.period),
                progress=formatting.percent(100 if entry.status in DONE else entry.progress),
                targets=targets,
                evidence=evidence,
            )
        )
    return annex


def build(report: Report) -> ReportDocument:
    unit, plan = report.unit, report.plan
    document = report.document
    issued_on = document.issued_on if document else None
    numbered = document is not None and document.number is not None
    annex = _annex(report)
    paragraphs: list[Paragraph] = [Paragraph("h2", "I. KẾT QUẢ THỰC HIỆN")]
    paragraphs += [Paragraph("p", line) for line in _lines(report.results)] or [Paragraph("p", "…")]
    if annex:
        paragraphs.append(Paragraph("p", ANNEX_POINTER))
    paragraphs.append(Paragraph("h2", "II. ĐÁNH GIÁ CHUNG"))
    for number, (title, text) in enumerate(
        (
            ("Ưu điểm", report.strengths),
            ("Tồn tại, hạn chế", report.weaknesses),
            ("Nguyên nhân", report.causes),
        ),
        start=1,
    ):
        paragraphs.append(Paragraph("h3", f"{number}. {title}"))
        paragraphs += [Paragraph("p", line) for line in _lines(text)] or [Paragraph("p", "…")]
    paragraphs.append(Paragraph("h2", "III. NHIỆM VỤ KỲ TỚI"))
    paragraphs += [Paragraph("p", line) for line in _lines(report.next_tasks)] or [Paragraph("p", "…")]
    paragraphs.append(Paragraph("h2", "IV. ĐỀ XUẤT, KIẾN NGHỊ"))
    paragraphs += [Paragraph("p", line) for line in _lines(report.proposals)] or [Paragraph("p", "Không.")]
    own = authority_name(unit)
    period_text = report.period.label[:1].lower() + report.period.label[1:]
    basis = (
        f"{own} báo cáo kết quả thực hiện công tác tuyên truyền cải cách hành chính {period_text} "
        f"{_period_note(report)} như sau:"
    )
    if plan.document_id:
        basis = f"Thực hiện {nd30.cited_plan(plan.reference, plan.issued_on, own, plan.summary)}; " + basis
    closing = (
        f"Trên đây là báo cáo kết quả thực hiện công tác tuyên truyền cải cách hành chính {period_text} "
        f"của {own}{nd30.END_MARK}"
    )
    addressed = [name.strip(" ;.") for name in _lines(report.recipients) if name.strip(" ;.")]
    recipients = [nd30.AS_ABOVE_LINE] if addressed else []
    recipients += [f"- {name.strip(' ;.')};" for name in _lines(report.other_recipients) if name.strip(" ;.")]
    recipients.append(nd30.archive_line(report.drafting_unit))
    symbol = document.symbol if document else document_symbol(DocumentType.REPORT, unit)
    block = _signer_block(report)
    return ReportDocument(
        report=report,
        parent_authority=unit.parent_authority_line,
        authority=unit.authority_line,
        number=number_line(document.number if document else None, symbol),
        place_date=place_date_line(unit.place_name, issued_on, report.year if issued_on is None else None),
        kind="BÁO CÁO",
        summary=summary_line(report),
        kinh_gui=addressed if len(addressed) == 1 else nd30.recipient_lines(addressed),
        basis=basis,
        paragraphs=paragraphs,
        closing=closing,
        signer_lines=block.lines,
        signer_name=block.name,
        recipients=recipients,
        annex=annex,
        annex_number=f"{document.number:02d}" if numbered else "",
        annex_date=nd30.date_words(issued_on) if numbered else "",
        issuer=formal_name(unit),
        symbol=symbol,
        numbered=numbered,
    )


def report_html(report: Report) -> str:
    doc = build(report)
    return render_to_string(
        "reports/report_pdf.html",
        {
            "doc": doc,
            "header": doc.header,
            "verification": verification_line(report.document if report.document_id else None),
            "meta": {
                "title": f"Báo cáo {doc.summary[:1].lower()}{doc.summary[1:]}",
                "author": doc.authority or report.unit.full_name,
                "subject": doc.summary,
                "keywords": ", ".join(
                    x
                    for x in (
                        report.document and report.document.number and f"Số {report.document.reference}",
                        "Báo cáo",
                        str(report.year),
                    )
                    if x
                ),
                "created": report.document.issued_on.isoformat()
                if report.document and report.document.issued_on
                else "",
            },
            "annex_title": f"Số liệu kết quả thực hiện {report.period.label.lower()}",
        },
    )


# The narrative's fields as the report page labels them, for the message naming the longest.
NARRATIVE_PARTS = {
    "recipients": "ô “Kính gửi”",
    "other_recipients": "ô “Nơi nhận khác”",
    "results": "phần “Kết quả thực hiện”",
    "strengths": "phần “Ưu điểm”",
    "weaknesses": "phần “Tồn tại, hạn chế”",
    "causes": "phần “Nguyên nhân”",
    "next_tasks": "phần “Nhiệm vụ kỳ tới”",
    "proposals": "phần “Đề xuất, kiến nghị”",
}


def report_parts(report: Report) -> dict[str, str]:
    """What the report's people wrote (the narrative; the tasks' titles come from the plan)."""
    parts = {label: getattr(report, name) or "" for name, label in NARRATIVE_PARTS.items()}
    for index, title in enumerate(
        report.entries.order_by("task__group__position", "task__position", "task__pk").values_list(
            "task__title", flat=True
        ),
        start=1,
    ):
        parts[f"tên nhiệm vụ {index} của phụ lục (sửa trong kế hoạch)"] = title
    return parts


def render_report_pdf(report: Report) -> RenderedPdf:
    """Past the render budget: `RenderTooLong`, naming the longest part."""
    return render_pdf(report_html(report), parts=report_parts(report))
