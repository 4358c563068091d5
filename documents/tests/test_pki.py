"""Time-stamps (PAdES B-T) and embedded revocation data (B-LT) from the signing engine, against the
DEMO PKI's real services (demo/pki_services.py: OCSP, CRL, TSA on 127.0.0.1), judged by pyHanko
offline and cross-checked by poppler's `pdfsig` (NSS) and OpenSSL: independent implementations."""

from __future__ import annotations

import datetime
import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms, pem, tsp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from cchc_portal.lib.documents import render_pdf
from demo.pki_services import LocalPKI
from documents.signing import SignerSpec, SigningError, add_revocation_data, sign_pdf
from documents.tests.test_signing import HTML, _tool
from documents.verification import verify_pdf

# The portal's signing time, a few minutes before the TSA's: /M keeps the portal's.
WHEN = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)).replace(microsecond=0)
PERSON, BODY = "Nguyễn Thị Ánh Tuyết", "UBND XÃ TỊNH KHÊ"


@pytest.fixture(scope="module")
def rendered():
    return render_pdf(HTML)


def _spec(issued, rendered, which: str, name: str) -> SignerSpec:
    return SignerSpec(
        key_der=issued.key_der,
        certificate=issued.certificate,
        chain=issued.chain,
        display_name=name,
        image_png=None,
        box=rendered.boxes[which],
        field_name="ChuKyLanhDao" if which == "person" else "ChuKyCoQuan",
        reason="Ký ban hành văn bản",
        location="Quảng Ngãi",
    )


@pytest.fixture(scope="module")
def signers(demo_pki, rendered) -> list[SignerSpec]:
    return [
        _spec(demo_pki.certificate(PERSON, "Cổng CCHC"), rendered, "person", PERSON),
        _spec(demo_pki.certificate(BODY, "Xã Tịnh Khê", person=False), rendered, "organisation", BODY),
    ]


@pytest.fixture(scope="module")
def time_stamped(demo_pki, rendered, signers) -> bytes:
    """PAdES B-T: the leader, then the seal, each signature time-stamped by the DEMO TSA."""
    return sign_pdf(rendered.pdf, signers, signing_time=WHEN, timestamp_url=demo_pki.tsa_url)


@pytest.fixture(scope="module")
def long_term(demo_pki, time_stamped) -> bytes:
    """PAdES B-LT: the B-T document with its validation data in the DSS."""
    return add_revocation_data(time_stamped, [demo_pki.root])


@pytest.fixture(scope="module")
def revoked_long_term(demo_pki, rendered) -> bytes:
    revoked = demo_pki.revoked
    signed = sign_pdf(
        rendered.pdf,
        [_spec(revoked, rendered, "person", "Trần Quốc Hưng")],
        signing_time=WHEN,
        timestamp_url=demo_pki.tsa_url,
    )
    return add_revocation_data(signed, [demo_pki.root])


def _signatures(pdf: bytes):
    return PdfFileReader(io.BytesIO(pdf)).embedded_signatures


def _offline(pdf: bytes, root) -> ValidationContext:
    """What a validator has without the network: the document's DSS (if any) and the root; every
    certificate that names an OCSP responder or a CRL must be covered ("hard-fail")."""
    kwargs = {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
    try:
        return DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf))).as_validation_context(kwargs)
    except Exception:  # no DSS
        return ValidationContext(**kwargs, ocsps=[], crls=[])


# --- B-T: signature time-stamps -------------------------------------------------------------------


def test_every_signature_carries_a_timestamp_that_validates_against_the_root(time_stamped, demo_pki):
    signatures = _signatures(time_stamped)
    assert [s.field_name for s in signatures] == ["ChuKyLanhDao", "ChuKyCoQuan"]
    now = datetime.datetime.now(datetime.UTC)
    for embedded in signatures:
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[demo_pki.root]))
        stamp = status.timestamp_validity
        assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted, embedded.field_name
        assert WHEN <= stamp.timestamp <= now  # the TSA's time, after the portal's
        assert stamp.signing_cert.dump() == demo_pki.tsa_certificate.dump()
        # /M and the CMS signing time stay the portal's
        assert embedded.self_reported_timestamp == WHEN


def test_a_timestamp_from_an_untrusted_tsa_is_not_trusted(time_stamped, demo_pki):
    other = demo_pki.stranger.chain[0]
    status = validate_pdf_signature(_signatures(time_stamped)[0], ValidationContext(trust_roots=[other]))
    assert status.timestamp_validity.intact and not status.timestamp_validity.trusted


def test_the_verifier_still_finds_it_valid(time_stamped, long_term, demo_pki):
    for pdf in (time_stamped, long_term):
        verdict = verify_pdf(pdf, [demo_pki.root])
        assert verdict.status == "valid", verdict.message
        assert [s.signer_name for s in verdict.signatures] == [PERSON, BODY]


def test_an_unreachable_tsa_is_a_signing_error(rendered, signers):
    with pytest.raises(SigningError, match=r"dấu thời gian .* http://127\.0\.0\.1:9/tsa"):
        sign_pdf(rendered.pdf, signers, signing_time=WHEN, timestamp_url="http://127.0.0.1:9/tsa", timeout=2)


def test_openssl_verifies_each_timestamp_token_independently(time_stamped, demo_pki, tmp_path: Path):
    """pdfsig (poppler 22.12) shows no time-stamp; OpenSSL checks the token taken from the
    signature pdfsig dumps: its imprint is the SHA-256 of the signature value, signed by the TSA,
    chained to the root."""
    (tmp_path / "doc.pdf").write_bytes(time_stamped)
    subprocess.run(["pdfsig", "-dump", "doc.pdf"], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    dumped = sorted(tmp_path.glob("doc.pdf.sig*"))
    assert len(dumped) == 2
    (tmp_path / "root.pem").write_bytes(pem.armor("CERTIFICATE", demo_pki.root.dump()))
    (tmp_path / "tsa.pem").write_bytes(pem.armor("CERTIFICATE", demo_pki.tsa_certificate.dump()))
    for path in dumped:
        signer_info = cms.ContentInfo.load(path.read_bytes())["content"]["signer_infos"][0]
        [token] = [
            a["values"][0]
            for a in signer_info["unsigned_attrs"]
            if a["type"].native == "signature_time_stamp_token"
        ]
        (tmp_path / "token.der").write_bytes(token.dump())
        imprint = hashlib.sha256(signer_info["signature"].native).hexdigest()
        verify = subprocess.run(
            ["openssl", "ts", "-verify", "-token_in", "-in", "token.der", "-digest", imprint,
             "-CAfile", "root.pem", "-untrusted", "tsa.pem"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "Verification: OK" in verify.stdout, verify.stdout + verify.stderr
        tampered = subprocess.run(
            ["openssl", "ts", "-verify", "-token_in", "-in", "token.der", "-digest", "00" * 32,
             "-CAfile", "root.pem", "-untrusted", "tsa.pem"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "Verification: OK" not in tampered.stdout
        info = token["content"]["encap_content_info"]["content"].parsed
        assert isinstance(info, tsp.TSTInfo)
        assert info["message_imprint"]["hashed_message"].native.hex() == imprint


# --- B-LT: revocation data in the DSS -------------------------------------------------------------


def test_the_dss_holds_the_ocsp_responses_and_certificates(long_term, demo_pki):
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(long_term)))
    # the leader's, the seal's and the TSA's certificate: each checked with the DEMO OCSP responder
    assert len(dss.ocsps) + len(dss.crls) >= 3
    assert len(dss.ocsps) == 3
    subjects = {c.subject.native["common_name"] for c in dss.load_certs()}
    assert {PERSON, BODY, demo_pki.tsa_certificate.subject.native["common_name"]} <= subjects
    assert len(dss.vri_entries) == 2  # one per signature


def test_it_validates_offline_with_the_dss_and_not_without(long_term, time_stamped, demo_pki):
    for embedded in _signatures(long_term):
        status = validate_pdf_signature(embedded, _offline(long_term, demo_pki.root))
        assert status.bottom_line and status.trusted and not status.revoked, embedded.field_name
        assert status.timestamp_validity.trusted
    # The same document before the DSS: no revocation data, so not conclusive offline.
    bare = validate_pdf_signature(_signatures(time_stamped)[0], _offline(time_stamped, demo_pki.root))
    assert not bare.bottom_line and not bare.trusted


def test_the_dss_update_is_judged_an_lta_update(long_term, time_stamped):
    first, last = (
        validate_pdf_signature(s, ValidationContext(trust_roots=[])) for s in _signatures(long_term)
    )
    assert last.modification_level == ModificationLevel.LTA_UPDATES
    assert first.modification_level == ModificationLevel.FORM_FILLING  # the seal's signature after it
    assert long_term.startswith(time_stamped)  # an incremental update: the signed bytes are untouched


def test_a_revoked_certificate_is_revoked_offline(revoked_long_term, demo_pki):
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(revoked_long_term)))
    assert len(dss.ocsps) == 2  # the signer's ("revoked") and the TSA's ("good")
    [embedded] = _signatures(revoked_long_term)
    status = validate_pdf_signature(embedded, _offline(revoked_long_term, demo_pki.root))
    assert status.revoked and not status.bottom_line
    assert status.timestamp_validity.trusted  # the TSA's certificate is fine


def test_a_stranger_ca_gets_no_revocation_data(demo_pki, rendered):
    stranger = demo_pki.stranger
    signed = sign_pdf(rendered.pdf, [_spec(stranger, rendered, "person", "Người Lạ")], signing_time=WHEN)
    with pytest.raises(SigningError, match="không thuộc tổ chức chứng thực được tin cậy"):
        add_revocation_data(signed, [demo_pki.root])


def test_an_expired_certificate_gets_no_revocation_data(demo_pki, rendered):
    expired = demo_pki.expired
    when = expired.certificate.not_valid_after - datetime.timedelta(days=1)  # signed while it was valid
    signed = sign_pdf(rendered.pdf, [_spec(expired, rendered, "person", "Đỗ Thị Hạnh")], signing_time=when)
    with pytest.raises(SigningError, match=r"Đỗ Thị Hạnh.*không có hiệu lực vào lúc này"):
        add_revocation_data(signed, [demo_pki.root])


def test_an_unsigned_pdf_has_nothing_to_add(demo_pki, rendered):
    with pytest.raises(SigningError, match="chưa có chữ ký số"):
        add_revocation_data(rendered.pdf, [demo_pki.root])


def test_unreachable_revocation_services_are_a_signing_error_naming_them(rendered, tmp_path):
    pki = LocalPKI(tmp_path / "pki")
    try:
        issued = pki.certificate(PERSON, "Cổng CCHC")
        signed = sign_pdf(rendered.pdf, [_spec(issued, rendered, "person", PERSON)], signing_time=WHEN)
        root, ocsp_url = pki.root, pki.ocsp_url
    finally:
        pki.stop()
    with pytest.raises(SigningError) as caught:
        add_revocation_data(signed, [root], timeout=2)
    message = str(caught.value)
    assert "Không lấy được thông tin thu hồi" in message and PERSON in message and ocsp_url in message


# --- poppler (NSS) with the DEMO root trusted ------------------------------------------------------


@pytest.fixture(scope="module")
def nss_db(demo_pki, tmp_path_factory) -> Path:
    """An NSS certificate database that trusts the DEMO root (certutil, libnss3-tools)."""
    folder = tmp_path_factory.mktemp("nss")
    (folder / "root.pem").write_bytes(pem.armor("CERTIFICATE", demo_pki.root.dump()))
    subprocess.run(["certutil", "-N", "-d", f"sql:{folder}", "--empty-password"], check=True, timeout=60)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{folder}",
            "-n",
            "demo-root",
            "-t",
            "CT,C,C",
            "-i",
            str(folder / "root.pem"),
        ],
        check=True,
        timeout=60,
    )
    return folder


def test_pdfsig_trusts_both_signatures_checking_ocsp_live(long_term, nss_db):
    out = _tool("pdfsig", "-nssdir", str(nss_db), pdf=long_term).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
    assert f"Signer Certificate Common Name: {PERSON}" in out


def test_pdfsig_sees_the_revoked_certificate(revoked_long_term, nss_db):
    out = _tool("pdfsig", "-nssdir", str(nss_db), pdf=revoked_long_term).stdout
    assert "Signature Validation: Signature is Valid." in out
    assert "Certificate Validation: Certificate has been Revoked." in out, out
