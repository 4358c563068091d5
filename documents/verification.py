"""Judging signed PDFs: `verify_pdf` judges any uploaded file and never raises;
`verify_client_signed` checks that a file signed outside the portal (USB token) is the portal's
PDF plus signatures and nothing else. The signing side is documents/signing.py."""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509
from django.utils.translation import gettext as _

from documents.signing import PDF_HEADER_WINDOW, VIETNAM, _run, _subject_parts, iso_vietnam

logger = logging.getLogger(__name__)


@dataclass
class SignatureReport:
    field_name: str
    signer_name: str
    signer_organisation: str
    signing_time: datetime.datetime | None
    intact: bool  # the signed bytes' digest matches
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # chains to one of the trust roots and was valid at signing time
    covers_whole_file: bool
    modified_after: bool  # changed after this signature beyond later signatures/allowed form filling
    summary: str  # one Vietnamese sentence


@dataclass
class Verdict:
    status: str  # "valid" | "untrusted" | "modified" | "invalid" | "unsigned" | "unreadable"
    message: str
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "valid"


@dataclass
class _Checked:
    """A report and what pyHanko said, for verify_client_signed's further checks."""

    report: SignatureReport
    revision: int | None = None
    modification_level: Any = None  # pyhanko ModificationLevel, None when unknown
    untrusted_because: str = ""  # why the certificate is not trusted, "" if it is
    unknown_ca: bool = False  # not trusted because no chain leads to a trust root


@dataclass
class _Analysis:
    verdict: Verdict
    reader: Any = None
    checked: list[_Checked] = field(default_factory=list)


def _key_usage_constraints():
    from pyhanko.sign.validation import KeyUsageConstraints

    # Vietnamese CAs issue signing certificates with digitalSignature and/or nonRepudiation.
    return KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


def _trust_problem(status) -> str:
    """Why a signature that is intact and valid is not trusted, in Vietnamese."""
    if status.revoked:
        return _("chứng thư số đã bị thu hồi")
    indication = getattr(status.trust_problem_indic, "name", "") or ""
    if indication in ("NO_CERTIFICATE_CHAIN_FOUND", "NO_SIGNING_CERTIFICATE_FOUND"):
        return _("chứng thư số không thuộc tổ chức chứng thực được tin cậy")
    if indication in ("EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"):
        return _("chứng thư số đã hết hạn vào thời điểm ký")
    if indication == "NOT_YET_VALID":
        return _("chứng thư số chưa có hiệu lực vào thời điểm ký")
    if indication in ("REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"):
        return _("chứng thư số đã bị thu hồi")
    if indication == "CHAIN_CONSTRAINTS_FAILURE":
        return _("chứng thư số không được phép dùng để ký hoặc chuỗi chứng thực không hợp lệ")
    if indication.startswith("CRYPTO_CONSTRAINTS"):
        return _("chứng thư số dùng thuật toán không còn an toàn")
    return _("không xác lập được chuỗi tin cậy của chứng thư số")


def _no_chain(status) -> bool:
    indication = getattr(status.trust_problem_indic, "name", "") or ""
    return status.validation_path is None and indication in (
        "NO_CERTIFICATE_CHAIN_FOUND",
        "NO_SIGNING_CERTIFICATE_FOUND",
    )


def _is_modified(status) -> bool:
    from pyhanko.sign.diff_analysis import ModificationLevel

    level = status.modification_level
    return status.docmdp_ok is False or level is None or level > ModificationLevel.FORM_FILLING


def _who(name: str, organisation: str, field_name: str) -> str:
    """ "Võ Văn Nam – UBND thành phố Đà Nẵng"; the organisation is left out when the name says it."""
    bare = organisation.replace("(DEMO)", "").strip()
    if name and bare and bare.casefold() not in name.casefold():
        return f"{name} – {organisation}"
    return name or _("trường chữ ký “%(field)s”") % {"field": field_name}


async def _check_signature(embedded, trust_roots: list[x509.Certificate]) -> _Checked:
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    field_name = str(embedded.field_name)
    try:
        name, organisation = _subject_parts(embedded.signer_cert)
    except Exception:
        name, organisation = "", ""
    who = _who(name, organisation, field_name)
    try:
        reported = embedded.self_reported_timestamp
    except Exception:
        reported = None
    signing_time = reported.astimezone(VIETNAM) if reported and reported.utcoffset() is not None else None
    now = datetime.datetime.now(datetime.UTC)
    # The certificate must have been valid when the document was signed (the signer's /M; there is
    # no time-stamp token). A time in the future is not believed: then "now".
    moment = min(signing_time, now) if signing_time else None
    context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False, moment=moment)
    try:
        status = await async_validate_pdf_signature(
            embedded, context, key_usage_settings=_key_usage_constraints()
        )
    except Exception as exc:
        logger.info("signature %s could not be validated: %s", field_name, exc)
        return _Checked(
            SignatureReport(
                field_name=field_name,
                signer_name=name,
                signer_organisation=organisation,
                signing_time=signing_time,
                intact=False,
                valid=False,
                trusted=False,
                covers_whole_file=False,
                modified_after=True,
                summary=_("Chữ ký của %(who)s bị hỏng, không kiểm tra được.") % {"who": who},
            )
        )
    finally:
        await context.aclose()
    modified = _is_modified(status)
    trusted = bool(status.trusted)
    when = iso_vietnam(signing_time) if signing_time else _("không rõ thời điểm")
    if not status.intact:
        summary = _("Chữ ký của %(who)s không hợp lệ: văn bản đã bị sửa đổi sau khi ký.") % {"who": who}
    elif not status.valid:
        summary = _("Chữ ký của %(who)s không hợp lệ: chữ ký số không khớp với chứng thư.") % {"who": who}
    elif modified:
        summary = _(
            "Chữ ký của %(who)s (ký lúc %(when)s) còn nguyên vẹn, nhưng tệp đã bị thay đổi sau khi ký."
        ) % {"who": who, "when": when}
    elif not trusted:
        summary = _("Chữ ký của %(who)s (ký lúc %(when)s) đúng, nhưng %(problem)s.") % {
            "who": who,
            "when": when,
            "problem": _trust_problem(status),
        }
    else:
        summary = _("Chữ ký của %(who)s hợp lệ, được tin cậy, ký lúc %(when)s.") % {"who": who, "when": when}
    return _Checked(
        SignatureReport(
            field_name=field_name,
            signer_name=name,
            signer_organisation=organisation,
            signing_time=signing_time,
            intact=bool(status.intact),
            valid=bool(status.valid),
            trusted=trusted,
            covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            modified_after=modified,
            summary=summary,
        ),
        revision=embedded.signed_revision,
        modification_level=status.modification_level,
        untrusted_because="" if trusted else _trust_problem(status),
        unknown_ca=not trusted and _no_chain(status),
    )


async def _check_timestamp(embedded) -> bool:
    """A document time-stamp (PAdES-LTA): only its integrity matters here."""
    from pyhanko.sign.validation import async_validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=[], allow_fetching=False)
    try:
        status = await async_validate_pdf_timestamp(embedded, context)
        return bool(status.intact and status.valid)
    except Exception:
        return False
    finally:
        await context.aclose()


def _broken(field_name: str) -> _Checked:
    return _Checked(
        SignatureReport(
            field_name=field_name,
            signer_name="",
            signer_organisation="",
            signing_time=None,
            intact=False,
            valid=False,
            trusted=False,
            covers_whole_file=False,
            modified_after=True,
            summary=_("Chữ ký trong trường “%(field)s” bị hỏng, không đọc được.") % {"field": field_name},
        )
    )


def _unreadable(message: str | None = None) -> _Analysis:
    return _Analysis(
        Verdict("unreadable", message or _("Tệp không phải là tệp PDF hoặc đã bị hỏng, không đọc được."))
    )


def _open_reader(pdf: bytes):
    from pyhanko.pdf_utils.crypt import AuthStatus
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=True)
    if reader.encrypted and reader.decrypt("").status == AuthStatus.FAILED:
        return None
    reader.root  # noqa: B018 — the catalogue must resolve
    return reader


def _nth(index: int, report: SignatureReport) -> str:
    return _("chữ ký thứ %(n)d (%(who)s)") % {
        "n": index + 1,
        "who": _who(report.signer_name, report.signer_organisation, report.field_name),
    }


def _judge(checked: list[_Checked]) -> Verdict:
    reports = [c.report for c in checked]
    for index, report in enumerate(reports):
        if not report.intact:
            return Verdict(
                "invalid",
                _("Không hợp lệ: %(sig)s cho thấy văn bản đã bị sửa đổi sau khi ký (mã băm không khớp).")
                % {"sig": _nth(index, report)},
                reports,
            )
        if not report.valid:
            return Verdict(
                "invalid",
                _("Không hợp lệ: %(sig)s sai về mặt mật mã (chữ ký số không khớp với chứng thư).")
                % {"sig": _nth(index, report)},
                reports,
            )
    for index, report in enumerate(reports):
        if report.modified_after:
            return Verdict(
                "modified",
                _("Tệp đã bị thay đổi sau %(sig)s: nội dung hiện tại không hoàn toàn là nội dung đã được ký.")
                % {"sig": _nth(index, report)},
                reports,
            )
    for index, item in enumerate(checked):
        if not item.report.trusted:
            return Verdict(
                "untrusted",
                _("Chưa được tin cậy: %(sig)s còn nguyên vẹn, nhưng %(problem)s.")
                % {"sig": _nth(index, item.report), "problem": item.untrusted_because},
                reports,
            )
    names = ", ".join(_who(r.signer_name, r.signer_organisation, r.field_name) for r in reports)
    return Verdict(
        "valid",
        _(
            "Hợp lệ: %(count)d chữ ký số nguyên vẹn, được tin cậy (%(names)s); tệp không bị sửa đổi sau khi ký."
        )
        % {"count": len(reports), "names": names},
        reports,
    )


def _analyse(pdf: bytes, trust_roots: list[x509.Certificate]) -> _Analysis:
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation import EmbeddedPdfSignature

    if not isinstance(pdf, bytes | bytearray | memoryview):
        return _unreadable()
    pdf = bytes(pdf)
    if not pdf:
        return _unreadable(_("Tệp trống, không có nội dung."))
    if b"%PDF-" not in pdf[:PDF_HEADER_WINDOW]:
        return _unreadable(_("Tệp không phải là tệp PDF."))
    try:
        reader = _open_reader(pdf)
    except Exception as exc:
        logger.info("unreadable PDF: %s", exc)
        return _unreadable()
    if reader is None:
        return _unreadable(_("Tệp PDF được bảo vệ bằng mật khẩu, không kiểm tra được."))
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as exc:
        logger.info("signature fields unreadable: %s", exc)
        return _Analysis(
            Verdict("invalid", _("Không đọc được các trường chữ ký trong tệp: tệp đã bị hỏng.")), reader
        )
    if not fields:
        return _Analysis(Verdict("unsigned", _("Tệp chưa có chữ ký số.")), reader)

    async def check_all() -> tuple[list[_Checked], bool]:
        checked: list[tuple[int, int, _Checked]] = []
        timestamps_ok = True
        for order, (fq_name, _value, field_ref) in enumerate(fields):
            try:
                embedded = EmbeddedPdfSignature(reader, field_ref, fq_name)
                kind = embedded.sig_object_type
                revision = embedded.signed_revision
            except Exception as exc:
                logger.info("broken signature %s: %s", fq_name, exc)
                checked.append((10**9, order, _broken(str(fq_name))))
                continue
            if kind == "/DocTimeStamp":
                timestamps_ok = await _check_timestamp(embedded) and timestamps_ok
                continue
            checked.append((revision, order, await _check_signature(embedded, trust_roots)))
        checked.sort(key=lambda item: item[:2])  # in signing order; unreadable ones last
        return [item[2] for item in checked], timestamps_ok

    checked, timestamps_ok = _run(check_all)
    reports = [c.report for c in checked]
    if not reports:
        # Only document time-stamps: not a signature by anyone.
        return _Analysis(Verdict("unsigned", _("Tệp chưa có chữ ký số (chỉ có dấu thời gian).")), reader)
    verdict = _judge(checked)
    if not timestamps_ok and verdict.status != "invalid":
        verdict = Verdict(
            "invalid", _("Không hợp lệ: dấu thời gian trong tệp đã bị sửa đổi hoặc bị hỏng."), reports
        )
    return _Analysis(verdict, reader, checked)


def verify_pdf(pdf: bytes, trust_roots: list[x509.Certificate]) -> Verdict:
    """Judge the signatures in any PDF. Never raises: every failure is a Verdict."""
    try:
        return _analyse(pdf, trust_roots).verdict
    except Exception:
        logger.exception("verify_pdf failed")
        return Verdict("unreadable", _("Tệp không phải là tệp PDF hoặc đã bị hỏng, không đọc được."))


def verify_client_signed(original: bytes, signed: bytes, trust_roots: list[x509.Certificate]) -> Verdict:
    """Accept a PDF the portal produced and the official signed elsewhere only if it is exactly
    the original plus incremental updates that add signatures; every signature intact, valid and
    trusted; the last one covering the whole file; nothing else changed."""
    try:
        return _verify_client_signed(bytes(original or b""), bytes(signed or b""), trust_roots)
    except Exception:
        logger.exception("verify_client_signed failed")
        return Verdict("unreadable", _("Không kiểm tra được tệp đã ký: tệp bị hỏng."))


def _verify_client_signed(original: bytes, signed: bytes, trust_roots: list[x509.Certificate]) -> Verdict:
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel

    if not original:
        return Verdict("unreadable", _("Không có bản gốc của văn bản để đối chiếu."))
    analysis = _analyse(signed, trust_roots)
    verdict = analysis.verdict
    if verdict.status == "unreadable":
        return verdict
    if len(signed) < len(original) or signed[: len(original)] != original:
        return Verdict(
            "invalid",
            _("Tệp đã ký không phải là văn bản do cổng tạo ra (nội dung trước khi ký khác bản gốc)."),
            verdict.signatures,
        )
    if verdict.status == "unsigned":
        return Verdict("unsigned", _("Tệp chưa có chữ ký số."), [])
    original_reader = _open_reader(original)
    base_revision = original_reader.xrefs.total_revisions - 1
    reader = analysis.reader
    if any(c.revision is not None and c.revision <= base_revision for c in analysis.checked):
        return Verdict(
            "invalid",
            _("Bản gốc do cổng tạo ra không được có chữ ký từ trước; tệp không hợp lệ."),
            verdict.signatures,
        )
    if verdict.status == "invalid":
        return verdict
    # Everything added to the original must be signing (fields, appearances, signatures) and
    # validation data: not a change of content, before or after the signatures.
    try:
        review = DEFAULT_DIFF_POLICY.review_file(reader, base_revision)
        level = review.modification_level if isinstance(review, DiffResult) else ModificationLevel.OTHER
    except Exception as exc:  # a structure the diff analysis cannot compare: not accepted
        logger.info("client-signed diff review failed: %s", exc)
        level = ModificationLevel.OTHER
    if level > ModificationLevel.FORM_FILLING:
        return Verdict(
            "modified",
            _("Tệp đã ký có thay đổi nội dung so với bản gốc, không chỉ thêm chữ ký số."),
            verdict.signatures,
        )
    if verdict.status == "modified":
        return verdict
    for checked in analysis.checked:
        if not checked.report.trusted:
            if checked.unknown_ca:
                message = _("Chứng thư của người ký không thuộc tổ chức chứng thực được tin cậy.")
            else:
                message = _("Chứng thư của người ký không được chấp nhận: %(reason)s.") % {
                    "reason": checked.untrusted_because
                }
            who = _who(
                checked.report.signer_name, checked.report.signer_organisation, checked.report.field_name
            )
            return Verdict("untrusted", f"{message} ({who})", verdict.signatures)
    last = analysis.checked[-1]
    after_last = last.modification_level
    if not (
        last.report.covers_whole_file
        or (after_last is not None and after_last <= ModificationLevel.LTA_UPDATES)
    ):
        return Verdict(
            "modified",
            _("Chữ ký cuối cùng (%(who)s) không bao trùm toàn bộ tệp: có nội dung được thêm sau khi ký.")
            % {"who": _who(last.report.signer_name, last.report.signer_organisation, last.report.field_name)},
            verdict.signatures,
        )
    return verdict
