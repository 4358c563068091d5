"""One strict judgement of signed PDFs, used by the public verification page, `verify_pdf` and
every upload check. It never calls a forged or altered file valid:

* every signature must be intact, cryptographically valid and chain to a trusted root;
* between two signatures only the prepared empty fields may change: the fields signed later,
  and the number and date the văn thư fills (documents/pdf_fields.py) if they existed, empty,
  when the earlier signature was made. A new field, annotation, appearance or page content is
  "đã bị sửa đổi sau khi ký", naming what was added;
* after the last signature nothing but revocation data (DSS) and document time-stamps;
* the certificate is checked at the current time, or at the time of a trusted time-stamp
  (PAdES B-T) with the revocation data in the file; the signing time the signer wrote (/M) is
  only shown, as claimed, and refused when it is in the future or outside the certificate;
* revocation is checked (OCSP, CRL, or the file's DSS) with three outcomes: good, revoked, or
  could not be checked (and why) — the last is "indeterminate", never "valid".

pyHanko's difference analysis says what changed after each signature; the rules above are
applied to its result, they do not replace it. The signing side is documents/signing.py.
"""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509
from django.conf import settings
from django.utils.translation import gettext as _

from documents.pdf_fields import TEXT_FIELDS
from documents.signing import PDF_HEADER_WINDOW, VIETNAM, _run, _subject_parts, iso_vietnam

logger = logging.getLogger(__name__)

# A signing time written in the file may run a little ahead of our clock (the signer's clock).
CLOCK_TOLERANCE = datetime.timedelta(minutes=5)
PREPARED_TEXT_FIELDS = frozenset(TEXT_FIELDS.values())


class Revocation:
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass
class SignatureReport:
    field_name: str
    signer_name: str  # as the certificate says it
    signer_organisation: str
    fingerprint: str  # SHA-256 of the signer's certificate, hex
    issuer_name: str
    signing_time: datetime.datetime | None  # claimed by the signer (/M): shown, never trusted
    timestamp_time: datetime.datetime | None  # of a trusted time-stamp (PAdES B-T), else None
    timestamp_authority: str  # the TSA's name, "" without a trusted time-stamp
    validated_at: datetime.datetime | None  # when the certificate was checked
    intact: bool  # the signed bytes' digest matches
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # chains to a trust root, valid at `validated_at`
    revocation: str  # Revocation.GOOD | REVOKED | UNKNOWN
    revocation_note: str  # why it could not be checked, or since when it is revoked
    covers_whole_file: bool
    modified_after: bool
    added_after: list[str] = field(default_factory=list)  # what was added after this signature
    summary: str = ""  # one Vietnamese sentence

    @property
    def revocation_label(self) -> str:
        if self.revocation == Revocation.GOOD:
            return _("Chứng thư chưa bị thu hồi (đã kiểm tra)")
        if self.revocation == Revocation.REVOKED:
            return _("Chứng thư đã bị thu hồi") + (
                f" ({self.revocation_note})" if self.revocation_note else ""
            )
        return _("Chưa kiểm tra được tình trạng thu hồi") + (
            f": {self.revocation_note}" if self.revocation_note else ""
        )


@dataclass
class Verdict:
    # "valid" | "indeterminate" | "untrusted" | "modified" | "invalid" | "unsigned" | "unreadable"
    status: str
    message: str
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    def by_field(self) -> dict[str, SignatureReport]:
        return {s.field_name: s for s in self.signatures}


@dataclass
class _Checked:
    """A report and what pyHanko said, for the judgement across signatures."""

    report: SignatureReport
    revision: int | None = None
    level: Any = None  # pyHanko ModificationLevel after this signature; None when not analysed
    changed_fields: frozenset[str] = frozenset()
    suspicious: str = ""  # pyHanko could not explain a change after this signature
    untrusted_because: str = ""
    unknown_ca: bool = False
    time_problem: str = ""  # the claimed signing time cannot be right


@dataclass
class _Analysis:
    verdict: Verdict
    reader: Any = None
    checked: list[_Checked] = field(default_factory=list)


# --- one signature --------------------------------------------------------------------------------


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
        return _(
            "chứng thư số đã hết hạn và không có dấu thời gian tin cậy chứng minh văn bản được ký khi chứng thư còn hiệu lực"
        )
    if indication == "NOT_YET_VALID":
        return _("chứng thư số chưa có hiệu lực")
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


def _who(name: str, organisation: str, field_name: str) -> str:
    """ "Võ Văn Nam – UBND thành phố Đà Nẵng"; the organisation is left out when the name says it."""
    bare = organisation.replace("(DEMO)", "").strip()
    if name and bare and bare.casefold() not in name.casefold():
        return f"{name} – {organisation}"
    return name or _("trường chữ ký “%(field)s”") % {"field": field_name}


def _has_revocation_pointers(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.crl_distribution_points or cert.ocsp_urls)
    except Exception:
        return False


@dataclass(frozen=True)
class _Evidence:
    """What the file itself carries for validation: its DSS (PAdES B-LT)."""

    certs: tuple = ()
    crls: tuple = ()
    ocsps: tuple = ()


def _evidence(reader) -> _Evidence:
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # no DSS (NoDSSFoundError), or one we cannot read: no embedded evidence
        return _Evidence()
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp
    from pyhanko.pdf_utils.decode_limits import DecodePurpose

    try:
        return _Evidence(
            certs=tuple(dss.load_certs()),
            crls=tuple(
                asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
                for ref in dss.crls
            ),
            ocsps=tuple(
                asn1_ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
                for ref in dss.ocsps
            ),
        )
    except Exception as exc:
        logger.info("unreadable DSS: %s", exc)
        return _Evidence()


def _fetcher():
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
    from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

    # Owned: the context closes the HTTP session it opened when it is closed (_validate).
    return OwnedFetcherBackend(AIOHttpFetcherBackend(per_request_timeout=settings.CCHC_PKI_TIMEOUT))


def _context(trust_roots, evidence: _Evidence, *, mode: str, moment=None):
    from pyhanko_certvalidator import ValidationContext

    fetch = settings.CCHC_REVOCATION_FETCH and moment is None
    return ValidationContext(
        trust_roots=list(trust_roots),
        other_certs=list(evidence.certs),
        crls=list(evidence.crls),
        ocsps=list(evidence.ocsps),
        moment=moment,
        allow_fetching=fetch,
        fetcher_backend=_fetcher() if fetch else None,
        revocation_mode=mode,
    )


async def _validate(embedded, trust_roots, evidence: _Evidence, *, mode: str, moment=None):
    """pyHanko's validation of one signature under one revocation mode, at `moment` (None: now)."""
    from pyhanko.sign.validation import async_validate_pdf_signature

    signer_context = _context(trust_roots, evidence, mode=mode, moment=moment)
    ts_context = _context(trust_roots, evidence, mode="soft-fail")
    try:
        return await async_validate_pdf_signature(
            embedded,
            signer_context,
            ts_validation_context=ts_context,
            key_usage_settings=_key_usage_constraints(),
        )
    finally:
        await signer_context.aclose()
        await ts_context.aclose()


def _revocation_unavailable_reason(cert: x509.Certificate) -> str:
    if not _has_revocation_pointers(cert):
        return _("chứng thư không ghi nơi tra cứu thu hồi (OCSP, CRL) và tệp không kèm dữ liệu thu hồi")
    if not settings.CCHC_REVOCATION_FETCH:
        return _("cổng không được phép tra cứu OCSP/CRL trực tuyến và tệp không kèm dữ liệu thu hồi")
    return _("không liên lạc được với máy chủ OCSP/CRL của tổ chức chứng thực")


async def _check_signature(embedded, trust_roots: list[x509.Certificate], evidence: _Evidence) -> _Checked:
    from pyhanko.sign.diff_analysis import DiffResult
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    field_name = str(embedded.field_name)
    try:
        cert = embedded.signer_cert
        name, organisation = _subject_parts(cert)
        fingerprint = cert.sha256.hex()
        issuer = cert.issuer.human_friendly
    except Exception:
        cert, name, organisation, fingerprint, issuer = None, "", "", "", ""
    try:
        reported = embedded.self_reported_timestamp
    except Exception:
        reported = None
    claimed = reported.astimezone(VIETNAM) if reported and reported.utcoffset() is not None else None
    now = datetime.datetime.now(datetime.UTC)
    try:
        status = await _validate(embedded, trust_roots, evidence, mode="require")
    except Exception as exc:
        logger.info("signature %s could not be validated: %s", field_name, exc)
        return _broken(field_name, name, organisation)

    # A trusted time-stamp on the signature (B-T) proves when it was made.
    ts = status.timestamp_validity
    ts_ok = ts is not None and ts.intact and ts.valid and ts.trusted
    ts_time = ts.timestamp if ts_ok else None
    ts_authority = _subject_parts(ts.signing_cert)[0] if ts_ok else ""
    moment = None
    revocation, revocation_note = Revocation.GOOD, ""
    if not status.trusted and status.intact and status.valid:
        if status.revoked and not (ts_time and ts_time < status.revocation_details.revocation_date):
            revocation = Revocation.REVOKED
            revocation_note = _("từ %(when)s") % {
                "when": iso_vietnam(status.revocation_details.revocation_date)
            }
        else:
            if ts_time is not None and (status.revoked or _expired(cert, now)):
                # Checked when the time-stamp says it was signed, with the file's own evidence.
                moment = ts_time
                status = await _validate(embedded, trust_roots, evidence, mode="require", moment=moment)
            if not status.trusted and not status.revoked:
                lenient = await _validate(embedded, trust_roots, evidence, mode="soft-fail", moment=moment)
                if lenient.trusted:
                    status = lenient
                    revocation = Revocation.UNKNOWN
                    revocation_note = _revocation_unavailable_reason(cert) if cert is not None else ""
            if status.revoked:
                revocation = Revocation.REVOKED
                revocation_note = _("từ %(when)s") % {
                    "when": iso_vietnam(status.revocation_details.revocation_date)
                }
    elif not status.trusted:
        revocation = Revocation.UNKNOWN

    time_problem = ""
    if claimed is not None and cert is not None:
        validity = cert["tbs_certificate"]["validity"]
        start, end = validity["not_before"].native, validity["not_after"].native
        if claimed > now + CLOCK_TOLERANCE:
            time_problem = _("thời điểm ký ghi trong tệp (%(when)s) ở tương lai") % {
                "when": iso_vietnam(claimed)
            }
        elif not start <= claimed <= end:
            time_problem = _(
                "thời điểm ký ghi trong tệp (%(when)s) nằm ngoài thời hạn của chứng thư (%(start)s – %(end)s)"
            ) % {"when": iso_vietnam(claimed), "start": iso_vietnam(start), "end": iso_vietnam(end)}
        elif ts_time is not None and abs(ts_time - claimed) > datetime.timedelta(hours=1):
            time_problem = _(
                "thời điểm ký ghi trong tệp (%(when)s) khác xa thời điểm của dấu thời gian (%(ts)s)"
            ) % {"when": iso_vietnam(claimed), "ts": iso_vietnam(ts_time)}

    diff = status.diff_result
    suspicious = ""
    changed: frozenset[str] = frozenset()
    level = None
    if isinstance(diff, DiffResult):
        level = diff.modification_level
        changed = frozenset(str(n) for n in diff.changed_form_fields)
    elif diff is not None:
        suspicious = str(diff)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    if whole:
        level = None
    trusted = bool(status.trusted)
    report = SignatureReport(
        field_name=field_name,
        signer_name=name,
        signer_organisation=organisation,
        fingerprint=fingerprint,
        issuer_name=issuer,
        signing_time=claimed,
        timestamp_time=ts_time.astimezone(VIETNAM) if ts_time else None,
        timestamp_authority=ts_authority,
        validated_at=(moment or now).astimezone(VIETNAM),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=trusted,
        revocation=revocation,
        revocation_note=revocation_note,
        covers_whole_file=whole,
        modified_after=False,  # decided across signatures (_judge)
    )
    return _Checked(
        report,
        revision=embedded.signed_revision,
        level=level,
        changed_fields=changed,
        suspicious=suspicious,
        untrusted_because="" if trusted else _trust_problem(status),
        unknown_ca=not trusted and _no_chain(status),
        time_problem=time_problem,
    )


def _expired(cert: x509.Certificate | None, now: datetime.datetime) -> bool:
    if cert is None:
        return False
    return cert["tbs_certificate"]["validity"]["not_after"].native < now


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


def _broken(field_name: str, name: str = "", organisation: str = "") -> _Checked:
    return _Checked(
        SignatureReport(
            field_name=field_name,
            signer_name=name,
            signer_organisation=organisation,
            fingerprint="",
            issuer_name="",
            signing_time=None,
            timestamp_time=None,
            timestamp_authority="",
            validated_at=None,
            intact=False,
            valid=False,
            trusted=False,
            revocation=Revocation.UNKNOWN,
            revocation_note="",
            covers_whole_file=False,
            modified_after=True,
            summary=_("Chữ ký trong trường “%(field)s” bị hỏng, không đọc được.") % {"field": field_name},
        )
    )


# --- across signatures ---------------------------------------------------------------------------------


def _fields_at(reader, revision: int) -> dict[str, bool]:
    """The form fields of the file as it was at `revision`: name → filled."""
    try:
        root = reader.get_historical_root(revision)
        fields = root["/AcroForm"]["/Fields"] if "/AcroForm" in root else []
        out = {}
        for ref in fields:
            obj = ref.get_object()
            out[str(obj.get("/T"))] = bool(obj.get("/V"))
        return out
    except Exception:
        return {}


def _rewritten_since(reader, names: set[str], revision: int) -> set[str]:
    """Of the fields pyHanko lists as changed after `revision`, those whose field dictionary or
    appearance (the /AP dictionary and its streams) were written again after it. pyHanko also
    lists filled fields an update merely leaves in place (a DSS-only update after the last
    signature names the number and date fields); an object not written since looks as it did."""
    from pyhanko.pdf_utils import generic

    xrefs = reader.xrefs
    try:
        fields = reader.root["/AcroForm"]["/Fields"]
    except KeyError:
        return set(names)
    refs: dict[str, list] = {}
    for raw in fields:
        if not isinstance(raw, generic.IndirectObject):
            continue
        field = raw.get_object()
        name = str(field.get("/T", ""))
        if name not in names:
            continue
        chain = [raw.reference]
        ap = field.raw_get("/AP") if "/AP" in field else None
        if isinstance(ap, generic.IndirectObject):
            chain.append(ap.reference)
        if ap is not None:
            for value in ap.get_object().values():
                if isinstance(value, generic.IndirectObject):
                    chain.append(value.reference)
                elif isinstance(value, generic.DictionaryObject):
                    chain += [v.reference for v in value.values() if isinstance(v, generic.IndirectObject)]
        refs[name] = chain
    out = set(names) - set(refs)  # not a top-level field now: treat as changed
    for name, chain in refs.items():
        try:
            if any(xrefs.get_last_change(ref) > revision for ref in chain):
                out.add(name)
        except Exception:
            out.add(name)
    return out


def _added(changed: frozenset[str], level) -> list[str]:
    """Vietnamese names of what was added or changed after a signature."""
    from pyhanko.sign.diff_analysis import ModificationLevel

    names = [_("trường “%(field)s”") % {"field": name} for name in sorted(changed)]
    if level is not None and level > ModificationLevel.FORM_FILLING:
        names.append(
            _("chú thích (annotation) trên trang")
            if level == ModificationLevel.ANNOTATIONS
            else _("nội dung trang hoặc cấu trúc tệp")
        )
    return names or [_("nội dung không rõ")]


def _apply_modification_rules(checked: list[_Checked], reader, timestamp_fields: set[str]) -> None:
    """Mark each signature modified after it, by the strict rules (module docstring)."""
    from pyhanko.sign.diff_analysis import ModificationLevel

    for index, item in enumerate(checked):
        later = [c for c in checked[index + 1 :] if c.revision is not None]
        if item.report.covers_whole_file:
            continue
        if item.suspicious:
            item.report.modified_after = True
            item.report.added_after = [_("thay đổi cấu trúc tệp không giải thích được")]
            continue
        if item.level is None:
            item.report.modified_after = True
            item.report.added_after = [_("nội dung không phân tích được")]
            continue
        changed = _rewritten_since(reader, set(item.changed_fields) - timestamp_fields, item.revision)
        if not later:
            if item.level > ModificationLevel.LTA_UPDATES or changed:
                item.report.modified_after = True
                item.report.added_after = _added(frozenset(changed), item.level)
            continue
        signed_later = {c.report.field_name for c in later}
        prepared = {
            name
            for name, filled in _fields_at(reader, item.revision).items()
            if name in PREPARED_TEXT_FIELDS and not filled
        }
        extra = changed - signed_later - prepared
        if item.level > ModificationLevel.FORM_FILLING or extra:
            item.report.modified_after = True
            item.report.added_after = _added(frozenset(extra), item.level)


def _summary(item: _Checked) -> str:
    report = item.report
    who = _who(report.signer_name, report.signer_organisation, report.field_name)
    claimed = iso_vietnam(report.signing_time) if report.signing_time else _("không ghi")
    if not report.intact:
        return _("Chữ ký của %(who)s không hợp lệ: văn bản đã bị sửa đổi sau khi ký.") % {"who": who}
    if not report.valid:
        return _("Chữ ký của %(who)s không hợp lệ: chữ ký số không khớp với chứng thư.") % {"who": who}
    if item.time_problem:
        return _("Chữ ký của %(who)s không hợp lệ: %(problem)s.") % {"who": who, "problem": item.time_problem}
    if report.modified_after:
        return _("Chữ ký của %(who)s còn nguyên vẹn, nhưng sau khi ký tệp đã bị thêm: %(what)s.") % {
            "who": who,
            "what": ", ".join(report.added_after),
        }
    if report.revocation == Revocation.REVOKED:
        return _("Chữ ký của %(who)s không được chấp nhận: chứng thư số đã bị thu hồi %(note)s.") % {
            "who": who,
            "note": report.revocation_note,
        }
    if not report.trusted:
        return _("Chữ ký của %(who)s đúng, nhưng %(problem)s.") % {
            "who": who,
            "problem": item.untrusted_because,
        }
    when = (
        _("theo dấu thời gian của %(tsa)s: %(ts)s")
        % {"tsa": report.timestamp_authority, "ts": iso_vietnam(report.timestamp_time)}
        if report.timestamp_time
        else _("người ký tự ghi: %(when)s (không có dấu thời gian)") % {"when": claimed}
    )
    return _("Chữ ký của %(who)s hợp lệ, được tin cậy; thời điểm ký %(when)s; %(revocation)s.") % {
        "who": who,
        "when": when,
        "revocation": report.revocation_label[:1].lower() + report.revocation_label[1:],
    }


def _nth(index: int, report: SignatureReport) -> str:
    return _("chữ ký thứ %(n)d (%(who)s)") % {
        "n": index + 1,
        "who": _who(report.signer_name, report.signer_organisation, report.field_name),
    }


def _judge(checked: list[_Checked]) -> Verdict:
    reports = [c.report for c in checked]
    for item in checked:
        if not item.report.summary:
            item.report.summary = _summary(item)
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
    for index, item in enumerate(checked):
        if item.time_problem:
            return Verdict(
                "invalid",
                _("Không hợp lệ: %(sig)s có %(problem)s.")
                % {"sig": _nth(index, item.report), "problem": item.time_problem},
                reports,
            )
    for index, report in enumerate(reports):
        if report.modified_after:
            return Verdict(
                "modified",
                _("Văn bản đã bị sửa đổi sau khi ký: sau %(sig)s tệp bị thêm %(what)s.")
                % {"sig": _nth(index, report), "what": ", ".join(report.added_after)},
                reports,
            )
    for index, report in enumerate(reports):
        if report.revocation == Revocation.REVOKED:
            return Verdict(
                "invalid",
                _("Không hợp lệ: chứng thư số của %(sig)s đã bị thu hồi %(note)s.")
                % {"sig": _nth(index, report), "note": report.revocation_note},
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
    for index, report in enumerate(reports):
        if report.revocation == Revocation.UNKNOWN:
            return Verdict(
                "indeterminate",
                _(
                    "Chưa kết luận được: %(sig)s còn nguyên vẹn và được tin cậy, nhưng chưa kiểm tra được tình trạng thu hồi của chứng thư (%(why)s)."
                )
                % {"sig": _nth(index, report), "why": report.revocation_note},
                reports,
            )
    names = ", ".join(_who(r.signer_name, r.signer_organisation, r.field_name) for r in reports)
    return Verdict(
        "valid",
        _(
            "Hợp lệ: %(count)d chữ ký số nguyên vẹn, được tin cậy, chứng thư chưa bị thu hồi (%(names)s); văn bản không bị sửa đổi sau khi ký."
        )
        % {"count": len(reports), "names": names},
        reports,
    )


# --- a whole file ----------------------------------------------------------------------------------------


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
    signed_fields = [f for f in fields if f[1] is not None]
    if not signed_fields:
        return _Analysis(Verdict("unsigned", _("Tệp chưa có chữ ký số.")), reader)
    evidence = _evidence(reader)

    async def check_all() -> tuple[list[_Checked], bool, set[str]]:
        checked: list[tuple[int, int, _Checked]] = []
        timestamps_ok, timestamp_fields = True, set()
        for order, (fq_name, _value, field_ref) in enumerate(signed_fields):
            try:
                embedded = EmbeddedPdfSignature(reader, field_ref, fq_name)
                kind = embedded.sig_object_type
                revision = embedded.signed_revision
            except Exception as exc:
                logger.info("broken signature %s: %s", fq_name, exc)
                checked.append((10**9, order, _broken(str(fq_name))))
                continue
            if kind == "/DocTimeStamp":
                timestamp_fields.add(str(fq_name))
                timestamps_ok = await _check_timestamp(embedded) and timestamps_ok
                continue
            checked.append((revision, order, await _check_signature(embedded, trust_roots, evidence)))
        checked.sort(key=lambda item: item[:2])  # in signing order; unreadable ones last
        return [item[2] for item in checked], timestamps_ok, timestamp_fields

    checked, timestamps_ok, timestamp_fields = _run(check_all)
    if not checked:
        # Only document time-stamps: not a signature by anyone.
        return _Analysis(Verdict("unsigned", _("Tệp chưa có chữ ký số (chỉ có dấu thời gian).")), reader)
    _apply_modification_rules(checked, reader, timestamp_fields)
    verdict = _judge(checked)
    if not timestamps_ok and verdict.status != "invalid":
        verdict = Verdict(
            "invalid",
            _("Không hợp lệ: dấu thời gian trong tệp đã bị sửa đổi hoặc bị hỏng."),
            verdict.signatures,
        )
    return _Analysis(verdict, reader, checked)


def verify_pdf(pdf: bytes, trust_roots: list[x509.Certificate]) -> Verdict:
    """Judge the signatures in any PDF. Never raises: every failure is a Verdict."""
    try:
        return _analyse(pdf, trust_roots).verdict
    except Exception:
        logger.exception("verify_pdf failed")
        return Verdict("unreadable", _("Tệp không phải là tệp PDF hoặc đã bị hỏng, không đọc được."))


# --- an upload: exactly the portal's PDF plus the expected signatures ------------------------------------


def verify_signed_upload(
    original: bytes,
    signed: bytes,
    trust_roots: list[x509.Certificate],
    *,
    fields: set[str],
    not_before: datetime.datetime | None = None,
) -> Verdict:
    """Accept a PDF signed outside the portal (USB token) only if it is exactly `original` plus
    incremental updates that sign the prepared `fields` — nothing else added, before or after —
    and the whole file passes the strict judgement. `not_before`: when the portal prepared the
    file; a signing time before it cannot be true."""
    try:
        return _verify_signed_upload(
            bytes(original or b""), bytes(signed or b""), trust_roots, fields, not_before
        )
    except Exception:
        logger.exception("verify_signed_upload failed")
        return Verdict("unreadable", _("Không kiểm tra được tệp đã ký: tệp bị hỏng."))


def _verify_signed_upload(
    original: bytes,
    signed: bytes,
    trust_roots: list[x509.Certificate],
    fields: set[str],
    not_before: datetime.datetime | None,
) -> Verdict:
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
    base_revision = _open_reader(original).xrefs.total_revisions - 1
    new = [c for c in analysis.checked if c.revision is None or c.revision > base_revision]
    new_names = {c.report.field_name for c in new}
    missing = fields - new_names
    if missing:
        return Verdict(
            "invalid",
            _("Tệp chưa có chữ ký trong ô %(fields)s.")
            % {"fields": ", ".join(f"“{f}”" for f in sorted(missing))},
            verdict.signatures,
        )
    unexpected = new_names - fields
    if unexpected:
        return Verdict(
            "modified",
            _("Tệp có chữ ký ngoài các ô đã chuẩn bị: %(fields)s.")
            % {"fields": ", ".join(f"“{f}”" for f in sorted(unexpected))},
            verdict.signatures,
        )
    # Everything added to the original must be the signing of the prepared fields.
    try:
        review = DEFAULT_DIFF_POLICY.review_file(analysis.reader, base_revision)
        ok_review = isinstance(review, DiffResult)
        level = review.modification_level if ok_review else ModificationLevel.OTHER
        changed = set(review.changed_form_fields) if ok_review else set()
    except Exception as exc:  # a structure the diff analysis cannot compare: not accepted
        logger.info("upload diff review failed: %s", exc)
        level, changed = ModificationLevel.OTHER, set()
    extra = changed - fields
    if level > ModificationLevel.FORM_FILLING or extra:
        return Verdict(
            "modified",
            _("Tệp đã ký có thêm %(what)s so với bản do cổng tạo ra, không chỉ chữ ký số.")
            % {"what": ", ".join(_added(frozenset(extra), level))},
            verdict.signatures,
        )
    if verdict.status != "valid":
        return verdict
    if not_before is not None:
        for item in new:
            moment = item.report.timestamp_time or item.report.signing_time
            if moment is not None and moment < not_before - CLOCK_TOLERANCE:
                return Verdict(
                    "invalid",
                    _(
                        "Thời điểm ký ghi trong tệp (%(when)s) trước khi văn bản được chuẩn bị để ký (%(ready)s)."
                    )
                    % {"when": iso_vietnam(moment), "ready": iso_vietnam(not_before)},
                    verdict.signatures,
                )
    return verdict
