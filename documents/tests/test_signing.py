"""The signing engine (documents/signing.py) on real PDFs from WeasyPrint, with real pyHanko
signatures, cross-checked by poppler's `pdfsig` and `pdftotext`: a second, independent
implementation, so a signature that only pyHanko accepts would fail here."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from cchc_portal.lib.documents import pdf_font_names, render_pdf
from demo.pki import demo_seal_png, demo_signature_png, make_demo_ca, to_pkcs12
from documents.signing import (
    SignerSpec,
    SigningError,
    open_key,
    prepare_for_signing,
    read_pkcs12,
    seal_key,
    sign_pdf,
)
from documents.verification import verify_pdf, verify_signed_upload

WHEN = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
PERSON, BODY = "Võ Văn Nam", "UBND THÀNH PHỐ ĐÀ NẴNG"
HTML = """<!doctype html><html lang="vi"><head><style>
@page { size: A4; margin: 20mm 20mm 20mm 30mm }
body { font-family: Tinos; font-size: 14pt }
#sig-person { width: 60mm; height: 24mm } #sig-organisation { width: 30mm; height: 30mm }
</style></head><body>
<p>KẾ HOẠCH tuyên truyền cải cách hành chính năm 2026 — Ủy ban nhân dân phường Hải Châu.</p>
<div id="sig-person"></div><div id="sig-organisation"></div>
</body></html>"""


@pytest.fixture(scope="module")
def rendered():
    return render_pdf(HTML)


@pytest.fixture(scope="module")
def people(demo_pki):
    return {
        "person": demo_pki.certificate(PERSON, "Cổng CCHC", person=True),
        "organisation": demo_pki.certificate(BODY, "Thành phố Đà Nẵng", person=False),
    }


def spec(demo_pki, people, rendered, which: str, *, image: bool = False) -> SignerSpec:
    cert = people[which]
    name = PERSON if which == "person" else BODY
    png = None
    if image:
        png = demo_signature_png(name) if which == "person" else demo_seal_png(name)
    return SignerSpec(
        key_der=cert.key_der,
        certificate=cert.certificate,
        chain=[demo_pki.ca.certificate],
        display_name=name,
        image_png=png,
        box=rendered.boxes[which],
        field_name="ChuKyLanhDao" if which == "person" else "ChuKyCoQuan",
        reason="Ký ban hành văn bản",
        location="Đà Nẵng",
    )


@pytest.fixture(scope="module")
def signed(demo_pki, people, rendered) -> bytes:
    signers = [spec(demo_pki, people, rendered, w) for w in ("person", "organisation")]
    return sign_pdf(rendered.pdf, signers, signing_time=WHEN)


def _tool(name: str, *args: str, pdf: bytes) -> subprocess.CompletedProcess:
    assert shutil.which(name), f"{name} (poppler-utils) is installed by `make test`"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        return subprocess.run([name, *args, handle.name], capture_output=True, text=True, timeout=60)


# --- signing -----------------------------------------------------------------------------------


def test_signed_twice_person_then_body_and_valid(signed, demo_pki):
    verdict = verify_pdf(signed, [demo_pki.ca.certificate])
    assert verdict.status == "valid", verdict.message
    assert [s.field_name for s in verdict.signatures] == ["ChuKyLanhDao", "ChuKyCoQuan"]
    assert [s.signer_name for s in verdict.signatures] == [PERSON, BODY]
    assert all(s.intact and s.valid and s.trusted for s in verdict.signatures)
    assert verdict.signatures[-1].covers_whole_file
    assert verdict.signatures[0].signing_time == WHEN
    assert "Hợp lệ: 2 chữ ký số" in verdict.message


def test_poppler_agrees_the_signatures_are_valid(signed):
    result = _tool("pdfsig", "-nocert", pdf=signed)
    out = result.stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert "Signature #1:" in out and "Signature #2:" in out
    assert "ETSI.CAdES.detached" in out  # PAdES
    assert "Signer Certificate Common Name: Võ Văn Nam" in out
    assert "Signature Type: ETSI.CAdES.detached" in out
    assert "Total document signed" in out.split("Signature #2:")[1]  # the seal covers the whole file
    assert "SHA-256" in out or "SHA256" in out


def _page_text(pdf: bytes) -> str:
    """The text a reader sees, signature appearances included: poppler's pdftotext reads only the
    page content, so the page is first flattened with its annotations by pdftocairo."""
    with tempfile.TemporaryDirectory() as folder:
        source, flat = Path(folder, "in.pdf"), Path(folder, "flat.pdf")
        source.write_bytes(pdf)
        subprocess.run(["pdftocairo", "-pdf", str(source), str(flat)], check=True, timeout=60)
        out = subprocess.run(["pdftotext", str(flat), "-"], capture_output=True, text=True, timeout=60)
        return out.stdout


def test_the_text_stamp_is_vietnamese_in_tinos(signed):
    stamp = " ".join(_page_text(signed).split())
    iso = WHEN.astimezone(datetime.timezone(datetime.timedelta(hours=7))).isoformat()
    assert f"Ký bởi: {PERSON}" in stamp
    assert f"Ký bởi: {BODY}" in stamp
    assert f"Thời gian: {iso}" in stamp and iso.endswith("+07:00")
    fonts = pdf_font_names(signed)
    assert fonts and all("Tinos" in f for f in fonts), fonts


def test_image_stamps_put_the_signature_and_the_seal_on_the_page(demo_pki, people, rendered):
    signers = [spec(demo_pki, people, rendered, w, image=True) for w in ("person", "organisation")]
    pdf = sign_pdf(rendered.pdf, signers, signing_time=WHEN)
    assert verify_pdf(pdf, [demo_pki.ca.certificate]).ok
    images = _tool("pdfimages", "-list", pdf=pdf).stdout.splitlines()[2:]
    assert len(images) >= 2  # the blue signature and the red seal (each with its alpha mask)
    assert "Ký bởi" not in _page_text(pdf)
    # The seal overlaps the left third of the signature, as NĐ 30 PL I shows it.
    person, seal = rendered.boxes["person"], rendered.boxes["organisation"]
    assert person.page == seal.page
    assert seal.x1 < person.x1 + person.width / 3 < seal.x2 or seal.x1 <= person.x1 + person.width / 3


def test_refuses_to_sign_with_the_wrong_key(demo_pki, people, rendered):
    wrong = spec(demo_pki, people, rendered, "person")
    wrong.key_der = people["organisation"].key_der
    with pytest.raises(SigningError, match="không khớp"):
        sign_pdf(rendered.pdf, [wrong], signing_time=WHEN)


def test_refuses_a_signing_time_outside_the_certificate(demo_pki, people, rendered):
    with pytest.raises(SigningError, match="không có hiệu lực vào thời điểm ký"):
        sign_pdf(
            rendered.pdf,
            [spec(demo_pki, people, rendered, "person")],
            signing_time=WHEN + datetime.timedelta(days=20 * 365),
        )


def test_refuses_to_sign_the_same_field_twice(signed, demo_pki, people, rendered):
    with pytest.raises(SigningError, match="đã có chữ ký"):
        sign_pdf(signed, [spec(demo_pki, people, rendered, "person")], signing_time=WHEN)


def test_refuses_garbage(demo_pki, people, rendered):
    with pytest.raises(SigningError, match="Không đọc được tệp PDF"):
        sign_pdf(b"not a pdf", [spec(demo_pki, people, rendered, "person")], signing_time=WHEN)


# --- verification ------------------------------------------------------------------------------


def test_one_flipped_byte_makes_it_invalid(signed, demo_pki):
    # A byte of the page content, inside the range both signatures cover.
    position = signed.index(b"stream") + 40
    tampered = bytearray(signed)
    tampered[position] ^= 0x01
    verdict = verify_pdf(bytes(tampered), [demo_pki.ca.certificate])
    assert verdict.status in {"invalid", "unreadable"}, verdict.message
    assert not verdict.ok
    assert "Signature is Valid" not in _tool("pdfsig", "-nocert", pdf=bytes(tampered)).stdout


def test_content_appended_after_signing_is_reported(signed, demo_pki):
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_pdf(out.getvalue(), [demo_pki.ca.certificate])
    assert verdict.status == "modified", verdict.message
    assert "bị sửa đổi sau khi ký" in verdict.message


def test_an_unknown_ca_is_untrusted(signed):
    other_ca = make_demo_ca("CA KHÁC")
    verdict = verify_pdf(signed, [other_ca.certificate])
    assert verdict.status == "untrusted"
    assert "không thuộc tổ chức chứng thực được tin cậy" in verdict.message


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"", "unreadable"),
        (b"hello world", "unreadable"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", "unreadable"),
        (None, "unreadable"),
    ],
)
def test_garbage_gets_a_verdict_never_an_exception(content, status):
    verdict = verify_pdf(content, [])
    assert verdict.status == status and verdict.message


def test_unsigned_and_truncated(rendered, signed, demo_pki):
    assert verify_pdf(rendered.pdf, [demo_pki.ca.certificate]).status == "unsigned"
    truncated = verify_pdf(signed[: len(signed) // 2], [demo_pki.ca.certificate])
    assert not truncated.ok and truncated.message


# --- client-side signing (USB token) -------------------------------------------------------------


def test_client_signed_is_accepted_only_for_the_portals_pdf(rendered, signed, demo_pki, people):
    roots = [demo_pki.ca.certificate]
    fields = {"ChuKyLanhDao": rendered.boxes["person"], "ChuKyCoQuan": rendered.boxes["organisation"]}
    original = prepare_for_signing(rendered.pdf, fields)
    assert verify_pdf(original, roots).status == "unsigned"  # empty fields are no signature
    # The official's tool fills the prepared fields (here: pyHanko, as a stand-in for the token).
    signers = [spec(demo_pki, people, rendered, w) for w in ("person", "organisation")]
    by_token = sign_pdf(original, signers, signing_time=WHEN)
    verdict = verify_signed_upload(original, by_token, roots, fields={"ChuKyLanhDao", "ChuKyCoQuan"})
    assert verdict.ok, verdict.message
    # Only the leader signed: still a valid signed file covering the whole document.
    leader_only = sign_pdf(original, signers[:1], signing_time=WHEN)
    assert verify_signed_upload(original, leader_only, roots, fields={"ChuKyLanhDao"}).ok
    # The leader's stage does not take a seal, nor the seal's stage a file without it.
    assert verify_signed_upload(original, by_token, roots, fields={"ChuKyLanhDao"}).status == "modified"
    assert "ChuKyCoQuan" in verify_signed_upload(original, leader_only, roots, fields={"ChuKyCoQuan"}).message
    # Signed without the prepared fields, on a file the portal did not prepare: refused.
    assert (
        verify_signed_upload(original, signed, roots, fields={"ChuKyLanhDao", "ChuKyCoQuan"}).status
        == "invalid"
    )
    # Anything changed besides the signatures: refused.
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    changed = sign_pdf(out.getvalue(), signers, signing_time=WHEN)
    refused = verify_signed_upload(original, changed, roots, fields={"ChuKyLanhDao", "ChuKyCoQuan"})
    assert refused.status == "modified", refused.message
    assert "so với bản do cổng tạo ra" in refused.message
    other = render_pdf(HTML.replace("Hải Châu", "Thanh Khê"))
    signed_other = sign_pdf(other.pdf, [spec(demo_pki, people, other, "person")], signing_time=WHEN)
    verdict = verify_signed_upload(rendered.pdf, signed_other, roots, fields={"ChuKyLanhDao"})
    assert verdict.status == "invalid"
    assert "không phải là văn bản do cổng tạo ra" in verdict.message
    assert (
        verify_signed_upload(original, original, roots, fields={"ChuKyLanhDao", "ChuKyCoQuan"}).status
        == "unsigned"
    )
    untrusted = verify_signed_upload(
        original, by_token, [make_demo_ca("CA KHÁC").certificate], fields={"ChuKyLanhDao", "ChuKyCoQuan"}
    )
    assert untrusted.status == "untrusted"
    assert "không thuộc tổ chức chứng thực được tin cậy" in untrusted.message
    assert (
        verify_signed_upload(rendered.pdf, b"garbage", roots, fields={"ChuKyLanhDao", "ChuKyCoQuan"}).status
        == "unreadable"
    )


# --- certificates ------------------------------------------------------------------------------


def _self_signed(days_from: int, days_to: int, *, key_usage: bool = True) -> tuple:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn A")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days_from))
        .not_valid_after(now + datetime.timedelta(days=days_to))
    )
    if not key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, True, False, False, False, False, False, False), critical=True
        )
    return key, builder.sign(key, hashes.SHA256())


def _p12(key, cert, password: bytes = b"pw") -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"x", key, cert, None, serialization.BestAvailableEncryption(password)
    )


def test_read_pkcs12_reads_the_demo_file(demo_pki, people):
    data = to_pkcs12(people["person"], [demo_pki.ca.certificate], "mật-khẩu")
    credential = read_pkcs12(data, "mật-khẩu")
    assert credential.subject_name == PERSON
    assert credential.organisation.startswith("Cổng CCHC")
    assert [c.dump() for c in credential.chain] == [demo_pki.ca.certificate.dump()]
    assert len(credential.fingerprint) == 64


@pytest.mark.parametrize(
    ("make", "passphrase", "message"),
    [
        (lambda: b"", "pw", "trống"),
        (lambda: b"this is not a certificate", "pw", "không phải là tệp chứng thư số PKCS#12"),
        (lambda: _p12(*_self_signed(-1, 30)), "sai", "Mật khẩu của tệp chứng thư số không đúng"),
        (lambda: _p12(*_self_signed(-60, -1)), "pw", "đã hết hạn"),
        (lambda: _p12(*_self_signed(5, 60)), "pw", "chưa có hiệu lực"),
        (lambda: _p12(*_self_signed(-1, 30, key_usage=False)), "pw", "không được phép dùng để ký số"),
    ],
)
def test_read_pkcs12_says_what_is_wrong(make, passphrase, message):
    with pytest.raises(SigningError, match=message):
        read_pkcs12(make(), passphrase)


def test_read_pkcs12_refuses_a_file_without_key():
    _key, cert = _self_signed(-1, 30)
    data = pkcs12.serialize_key_and_certificates(
        b"x", None, None, [pkcs12.PKCS12Certificate(cert, None)], serialization.BestAvailableEncryption(b"pw")
    )
    with pytest.raises(SigningError):
        read_pkcs12(data, "pw")


def test_keys_are_encrypted_at_rest(settings, people):
    from cryptography.fernet import Fernet

    key_der = people["person"].key_der
    token = seal_key(key_der)
    assert key_der not in token
    assert open_key(token) == key_der
    settings.CCHC_SIGNING_KEY = Fernet.generate_key().decode()
    with pytest.raises(SigningError, match="CCHC_SIGNING_KEY"):
        open_key(token)
    settings.CCHC_SIGNING_KEY = "not-a-key"
    with pytest.raises(SigningError, match="không hợp lệ"):
        seal_key(key_der)


def test_demo_ca_is_labelled_demo(demo_pki, people):
    subject = demo_pki.ca.certificate.subject.native
    assert (
        "DEMO" in subject["common_name"] and "KHÔNG CÓ GIÁ TRỊ PHÁP LÝ" in subject["organizational_unit_name"]
    )
    leaf = asn1_x509.Certificate.load(people["person"].certificate.dump()).subject.native
    assert "(DEMO)" in leaf["organization_name"]


def test_saved_signed_file_for_manual_inspection(signed, tmp_path: Path):
    # `pdffonts` lists Tinos only, embedded, for the body and the stamps.
    lines = _tool("pdffonts", pdf=signed).stdout.splitlines()[2:]
    assert lines and all("Tinos" in line and " yes " in line for line in lines), lines
