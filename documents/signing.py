"""Digital signatures on official documents (NĐ 30/2020, Điều 13–14 and PL I II.7–8): the engine.

Pure functions on bytes; the models, views and pages that use them are elsewhere.

* `read_pkcs12` reads a certificate and its key from a .p12/.pfx file and says precisely what is
  wrong with it; `seal_key`/`open_key` keep the key encrypted at rest with settings.CCHC_SIGNING_KEY.
* `sign_pdf` signs a PDF as the competent person and then as the body (one incremental update per
  signer, PAdES B-B: /ETSI.CAdES.detached, SHA-256), with the signature image (blue) or the seal
  (red) in the boxes the renderer reports, or a text stamp "Ký bởi … / Thời gian …" in Tinos.
* `verify_pdf` judges any uploaded file and never raises; `verify_client_signed` checks that a file
  signed outside the portal (USB token) is the portal's PDF plus signatures and nothing else.

No network access anywhere: no time-stamping authority, no OCSP/CRL fetching.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import functools
import io
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

# pyHanko's packages import one another in a cycle (pyhanko.sign → pdf_utils.crypt.pdfmac →
# sign.validation → sign). Left to the lazy imports below, two threads of one gunicorn gthread
# worker entering it at once by different modules trip the import system's deadlock breaker
# (CPython gh-83065): one gets a half-initialised module, and a validly signed PDF was judged
# "unreadable". Imported here, the cycle runs once, under this module's own import lock.
import pyhanko.sign
import pyhanko.sign.validation  # noqa: F401
from asn1crypto import keys as asn1_keys
from asn1crypto import x509
from django.conf import settings
from django.utils.translation import gettext as _

from cchc_portal.lib.documents import Box

logger = logging.getLogger(__name__)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
STAMP_FONT = "/usr/share/fonts/truetype/croscore/Tinos-Regular.ttf"
STAMP_FONT_SIZE = 10  # NĐ 30 PL I: signing information in Times New Roman 10 (Tinos is metric-compatible)
STAMP_TEXT = "Ký bởi: %(signer)s\nThời gian: %(when)s"
IMAGE_DPI = 300  # signature images are downscaled to this resolution at their printed size
PDF_HEADER_WINDOW = 1024  # "%PDF-" must appear within the first kilobyte (as readers accept)


class SigningError(Exception):
    """Signing cannot proceed; the message (Vietnamese) says precisely what is wrong."""


# --- certificates and keys ------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """A key and certificate read from a PKCS#12 file."""

    key_der: bytes  # PKCS#8 DER, unencrypted (only ever in memory)
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # intermediates/root included in the file
    subject_name: str  # the certificate's common name
    organisation: str  # O= of the subject, "" if none
    valid_from: datetime.datetime
    valid_to: datetime.datetime
    fingerprint: str  # SHA-256 of the certificate DER, hex


def _vn_date(moment: datetime.datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y")


def _subject_parts(cert: x509.Certificate) -> tuple[str, str]:
    """(common name, organisation) of a certificate's subject; never raises."""
    try:
        subject = cert.subject.native
    except Exception:  # a malformed name: still report something
        return "", ""

    def first(key: str) -> str:
        value = subject.get(key, "")
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value or "").strip()

    return first("common_name"), first("organization_name")


def _public_key_der(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _check_key_usage(pyca_cert) -> None:
    from cryptography import x509 as pyca_x509

    try:
        usage = pyca_cert.extensions.get_extension_for_class(pyca_x509.KeyUsage).value
    except pyca_x509.ExtensionNotFound:
        return  # no restriction (RFC 5280 § 4.2.1.3)
    if not (usage.digital_signature or usage.content_commitment):
        raise SigningError(
            _(
                "Chứng thư số này không được phép dùng để ký số (thuộc tính Key Usage không có "
                "digitalSignature hoặc nonRepudiation)."
            )
        )


def read_pkcs12(data: bytes, passphrase: str) -> Credential:
    """Read the key and certificate from a PKCS#12 (.p12/.pfx) file, checking that they can sign now."""
    from asn1crypto import pkcs12 as asn1_pkcs12
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    if not data:
        raise SigningError(_("Tệp chứng thư số trống."))
    try:
        # Parse it all (asn1crypto is lazy): is it PKCS#12 at all?
        if asn1_pkcs12.Pfx.load(bytes(data), strict=True).native is None:
            raise ValueError("empty PFX")
    except Exception:
        raise SigningError(
            _("Tệp tải lên không phải là tệp chứng thư số PKCS#12 (.p12 hoặc .pfx).")
        ) from None
    attempts = [passphrase.encode("utf-8")] if passphrase else [None, b""]
    loaded = None
    for password in attempts:
        try:
            loaded = pkcs12.load_key_and_certificates(bytes(data), password)
            break
        except UnsupportedAlgorithm:
            raise SigningError(
                _("Tệp chứng thư số dùng thuật toán mã hóa không được hỗ trợ; hãy xuất lại tệp .p12.")
            ) from None
        except ValueError:
            continue
    if loaded is None:
        raise SigningError(_("Mật khẩu của tệp chứng thư số không đúng."))
    key, pyca_cert, others = loaded
    if pyca_cert is None:
        raise SigningError(_("Tệp chứng thư số không chứa chứng thư (certificate) của người ký."))
    if key is None:
        raise SigningError(_("Tệp chứng thư số không chứa khóa bí mật; cần xuất tệp .p12 kèm khóa bí mật."))
    if not isinstance(
        key,
        rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey,
    ):
        raise SigningError(_("Loại khóa trong tệp chứng thư số không dùng được để ký số."))
    if _public_key_der(key.public_key()) != _public_key_der(pyca_cert.public_key()):
        raise SigningError(_("Khóa bí mật trong tệp không khớp với chứng thư số."))
    now = datetime.datetime.now(datetime.UTC)
    valid_from, valid_to = pyca_cert.not_valid_before_utc, pyca_cert.not_valid_after_utc
    if now < valid_from:
        raise SigningError(
            _("Chứng thư số chưa có hiệu lực: có hiệu lực từ ngày %(start)s đến ngày %(end)s.")
            % {"start": _vn_date(valid_from), "end": _vn_date(valid_to)}
        )
    if now > valid_to:
        raise SigningError(
            _("Chứng thư số đã hết hạn ngày %(end)s (có hiệu lực từ ngày %(start)s).")
            % {"start": _vn_date(valid_from), "end": _vn_date(valid_to)}
        )
    _check_key_usage(pyca_cert)

    certificate = x509.Certificate.load(pyca_cert.public_bytes(serialization.Encoding.DER))
    chain = [x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in others]
    chain = [c for c in chain if c.dump() != certificate.dump()]
    common_name, organisation = _subject_parts(certificate)
    return Credential(
        key_der=key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        certificate=certificate,
        chain=chain,
        subject_name=common_name or certificate.subject.human_friendly,
        organisation=organisation,
        valid_from=valid_from,
        valid_to=valid_to,
        fingerprint=certificate.sha256.hex(),
    )


def _fernet():
    from cryptography.fernet import Fernet

    try:
        return Fernet(settings.CCHC_SIGNING_KEY)
    except (ValueError, TypeError):
        raise SigningError(
            _("Khóa CCHC_SIGNING_KEY trong cấu hình không hợp lệ (cần 32 byte mã hóa base64 urlsafe).")
        ) from None


def seal_key(key_der: bytes) -> bytes:
    """Encrypt a private key for storage (Fernet with settings.CCHC_SIGNING_KEY)."""
    return _fernet().encrypt(bytes(key_der))


def open_key(token: bytes) -> bytes:
    """Decrypt a private key stored with `seal_key`."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(bytes(token))
    except (InvalidToken, TypeError, ValueError):
        raise SigningError(
            _(
                "Không giải mã được khóa ký đã lưu: khóa CCHC_SIGNING_KEY đã thay đổi hoặc dữ liệu bị hỏng. "
                "Quản trị viên cần nạp lại tệp chứng thư số."
            )
        ) from None


# --- signing --------------------------------------------------------------------------------------


@dataclass
class SignerSpec:
    key_der: bytes
    certificate: x509.Certificate
    chain: list[x509.Certificate]
    display_name: str  # shown in the stamp: the person's name, or the body's name
    image_png: bytes | None  # blue signature (person) or red seal (body), transparent PNG; None → text
    box: Box
    field_name: str  # e.g. "ChuKyCaNhan", "ChuKyCoQuan"
    reason: str = ""  # e.g. "Ký ban hành văn bản", "Đóng dấu cơ quan"
    location: str = ""  # place name


def _run[T](make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, even if this thread already runs an
    event loop (Playwright's sync API does): then in a worker thread with its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def iso_vietnam(moment: datetime.datetime) -> str:
    """ISO 8601 in Vietnam's time zone, seconds precision: 2026-01-20T10:15:30+07:00."""
    return moment.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def _signer_label(spec: SignerSpec) -> str:
    return spec.display_name or spec.field_name


@functools.cache
def _stamp_font_factory_class():
    """`GlyphAccumulatorFactory` with pyHanko 0.38's units fixed for TrueType fonts.

    pyHanko writes the font's /W widths and the TJ kerning adjustments in the font's own design
    units, but PDF measures glyph space in 1/1000 em. That is right only for fonts with 1000 units
    per em (CFF/OpenType); Tinos, like most TrueType fonts, has 2048, so the stamp text came out
    twice as wide as it was laid out. This accumulator shapes at 1000 units per em (HarfBuzz scale),
    converts the widths and font metrics, and reads the font from memory (pyHanko's factory leaves
    the file open)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    class GlyphSpaceAccumulator(GlyphAccumulator):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            scale = self._to_glyph_space = 1000 / self.units_per_em
            self.units_per_em = 1000
            self.hb_font.scale = (1000, 1000)
            descriptor = getattr(self.cidfont_obj, "_font_descriptor", None)
            if descriptor is not None and scale != 1:
                for key in ("/Ascent", "/Descent", "/CapHeight"):
                    if key in descriptor:
                        descriptor[key] = generic.NumberObject(round(descriptor[key] * scale))
                if "/FontBBox" in descriptor:
                    descriptor["/FontBBox"] = generic.ArrayObject(
                        generic.NumberObject(round(v * scale)) for v in descriptor["/FontBBox"]
                    )

        def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
            if glyph_id in self._glyphs:
                return self._glyphs[glyph_id]
            cid, width = super()._get_cid_and_width(glyph_id)
            self._glyphs[glyph_id] = result = (cid, round(width * self._to_glyph_space))
            return result

    @dataclass(frozen=True)
    class GlyphSpaceAccumulatorFactory(GlyphAccumulatorFactory):
        def create_font_engine(self, writer, obj_stream=None):
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphSpaceAccumulator(
                writer=writer,
                font_handle=io.BytesIO(_font_bytes(self.font_file)),
                font_size=self.font_size,
                ot_script_tag=self.ot_script_tag,
                ot_language_tag=self.ot_language_tag,
                writing_direction=self.writing_direction,
                bcp47_lang_code=self.bcp47_lang_code,
                obj_stream=obj_stream,
            )

    return GlyphSpaceAccumulatorFactory


@functools.cache
def _font_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _stamp_style(spec: SignerSpec):
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import StaticStampStyle, TextStampStyle

    if spec.image_png:
        from PIL import Image, UnidentifiedImageError
        from pyhanko.pdf_utils.images import PdfImage

        try:
            image = Image.open(io.BytesIO(spec.image_png))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise SigningError(
                _("Ảnh chữ ký/con dấu của %(name)s không phải là ảnh PNG đọc được.")
                % {"name": _signer_label(spec)}
            ) from None
        image = image.convert("RGBA")
        # Keep the file small: no more pixels than the box needs at 300 dpi.
        limit = (
            max(1, round(spec.box.width / 72 * IMAGE_DPI)),
            max(1, round(spec.box.height / 72 * IMAGE_DPI)),
        )
        if image.width > limit[0] or image.height > limit[1]:
            image.thumbnail(limit, Image.Resampling.LANCZOS)
        return StaticStampStyle(
            background=PdfImage(image),
            background_opacity=1.0,
            border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(),
                inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
            ),
        )
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        border_width=0,
        text_box_style=TextBoxStyle(
            font=_stamp_font_factory_class()(STAMP_FONT, font_size=STAMP_FONT_SIZE, bcp47_lang_code="vi"),
            font_size=STAMP_FONT_SIZE,
            leading=round(STAMP_FONT_SIZE * 1.3),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(2),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def _pdf_signer_class():
    from pyhanko.sign.signers import PdfSigner

    class TimedPdfSigner(PdfSigner):
        """pyHanko takes the signing time from the clock; the portal decides it (one time for the
        register, the stamp and the signature dictionary's /M)."""

        signing_time: datetime.datetime

        def init_signing_session(self, pdf_out, existing_fields_only=False):
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            session.system_time = self.signing_time
            return session

    return TimedPdfSigner


@functools.cache
def _signer_class():
    """pyHanko's SimpleSigner parses the DER key again for every raw signature, and pyca checks an
    RSA key's consistency on every load (~35 ms); a document signature takes three such loads
    (the check here, the size estimate, the signature). This signer keeps the key loaded once,
    and answers the size estimate's dry run for an RSA key without signing."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pyhanko.sign.signers import SimpleSigner

    class LoadedKeySigner(SimpleSigner):
        def __init__(self, *args, loaded_key, **kwargs):
            super().__init__(*args, **kwargs)
            self._loaded_key = loaded_key

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            if dry_run and isinstance(self._loaded_key, rsa.RSAPrivateKey):
                return bytes(self._loaded_key.key_size // 8)  # a PKCS#1 signature is this long
            return self.sign_raw(data, digest_algorithm)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
            from pyhanko.sign.general import get_pyca_cryptography_hash

            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                name = mechanism.signature_algo
            except ValueError:
                name = mechanism["algorithm"].native
            if name == "rsassa_pkcs1v15" and isinstance(self._loaded_key, rsa.RSAPrivateKey):
                return self._loaded_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            return super().sign_raw(data, digest_algorithm)  # other algorithms: pyHanko's own way

    return LoadedKeySigner


def _check_spec(spec: SignerSpec, when: datetime.datetime, page_count: int):
    """The pyHanko signer for a spec, after checking everything that can be checked up front."""
    from cryptography.hazmat.primitives import serialization
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    label = _signer_label(spec)
    if not spec.field_name or "." in spec.field_name:
        raise SigningError(_("Tên trường chữ ký không hợp lệ: “%(field)s”.") % {"field": spec.field_name})
    box = spec.box
    if not 0 <= box.page < page_count:
        raise SigningError(
            _("Vị trí chữ ký của %(name)s ở trang %(page)d, nhưng văn bản chỉ có %(count)d trang.")
            % {"name": label, "page": box.page + 1, "count": page_count}
        )
    if box.width <= 0 or box.height <= 0:
        raise SigningError(_("Ô chữ ký của %(name)s có kích thước không hợp lệ.") % {"name": label})
    try:
        # The key was checked when its PKCS#12 file was read (read_pkcs12); skip pyca's slow
        # RSA consistency check here, it runs on every load.
        key = serialization.load_der_private_key(
            bytes(spec.key_der), password=None, unsafe_skip_rsa_key_validation=True
        )
        key_info = asn1_keys.PrivateKeyInfo.load(bytes(spec.key_der))
        cert_public = serialization.load_der_public_key(spec.certificate.public_key.dump())
    except Exception:
        raise SigningError(_("Khóa ký của %(name)s không đọc được.") % {"name": label}) from None
    if _public_key_der(key.public_key()) != _public_key_der(cert_public):
        raise SigningError(
            _("Khóa ký của %(name)s không khớp với chứng thư số của người ký.") % {"name": label}
        )
    validity = spec.certificate["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if not start <= when <= end:
        raise SigningError(
            _(
                "Chứng thư số của %(name)s không có hiệu lực vào thời điểm ký %(when)s "
                "(hiệu lực từ ngày %(start)s đến ngày %(end)s)."
            )
            % {"name": label, "when": iso_vietnam(when), "start": _vn_date(start), "end": _vn_date(end)}
        )
    return _signer_class()(
        signing_cert=spec.certificate,
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs(list(spec.chain)),
        loaded_key=key,
    )


def sign_pdf(pdf: bytes, signers: list[SignerSpec], *, signing_time: datetime.datetime) -> bytes:
    """Sign `pdf` with each signer in order (the person first, then the body: NĐ 30 Điều 14),
    one incremental update each, with a visible appearance in each signer's box."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
    from pyhanko.sign.signers import PdfSignatureMetadata

    if not signers:
        raise SigningError(_("Chưa có chữ ký nào để ký văn bản."))
    if signing_time.tzinfo is None or signing_time.utcoffset() is None:
        raise SigningError(_("Thời điểm ký phải có múi giờ."))
    when = signing_time.astimezone(VIETNAM).replace(microsecond=0)
    names = [spec.field_name for spec in signers]
    if len(set(names)) != len(names):
        raise SigningError(_("Mỗi chữ ký cần một tên trường riêng: %(names)s.") % {"names": ", ".join(names)})
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        page_count = int(reader.root["/Pages"]["/Count"])
        existing = _filled_signature_names(reader)
    except Exception as exc:
        raise SigningError(_("Không đọc được tệp PDF cần ký: %(error)s") % {"error": exc}) from None
    for name in names:
        if name in existing:
            raise SigningError(_("Văn bản đã có chữ ký trong trường “%(field)s”.") % {"field": name})
    prepared = [(spec, _check_spec(spec, when, page_count), _stamp_style(spec)) for spec in signers]
    signer_class = _pdf_signer_class()

    async def sign_all() -> bytes:
        current = bytes(pdf)
        for spec, signer, style in prepared:
            box = spec.box
            pdf_signer = signer_class(
                PdfSignatureMetadata(
                    field_name=spec.field_name,
                    md_algorithm="sha256",
                    subfilter=SigSeedSubFilter.PADES,
                    reason=spec.reason or None,
                    location=spec.location or None,
                    name=spec.display_name or None,
                ),
                signer=signer,
                stamp_style=style,
                new_field_spec=SigFieldSpec(
                    sig_field_name=spec.field_name,
                    on_page=box.page,
                    box=(box.x1, box.y1, box.x2, box.y2),
                ),
            )
            pdf_signer.signing_time = when
            try:
                writer = IncrementalPdfFileWriter(io.BytesIO(current))
                output = await pdf_signer.async_sign_pdf(
                    writer,
                    appearance_text_params={"signer": spec.display_name, "when": iso_vietnam(when)},
                )
            except SigningError:
                raise
            except Exception as exc:
                logger.exception("signing %s failed", spec.field_name)
                raise SigningError(
                    _("Không ký được văn bản (chữ ký của %(name)s): %(error)s")
                    % {"name": _signer_label(spec), "error": exc}
                ) from exc
            current = output.getvalue()
        return current

    return _run(sign_all)


def prepare_for_signing(pdf: bytes, fields: dict[str, Box]) -> bytes:
    """`pdf` with empty signature fields where the signatures go (an incremental update), for
    signing in the official's own tool (USB token): the tool fills the fields in place, and the
    portal can then tell that the only changes after its own PDF are those signatures."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field, ensure_sig_flags

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        for name, box in fields.items():
            append_signature_field(
                writer,
                SigFieldSpec(sig_field_name=name, on_page=box.page, box=(box.x1, box.y1, box.x2, box.y2)),
            )
        # SignaturesExist | AppendOnly, as signing sets them: the signing tool then changes
        # nothing in the form dictionary but its fields.
        ensure_sig_flags(writer, lock_sig_flags=True)
        out = io.BytesIO()
        writer.write(out)
    except Exception as exc:
        raise SigningError(_("Không chuẩn bị được tệp PDF để ký: %(error)s") % {"error": exc}) from None
    return out.getvalue()


def _filled_signature_names(reader) -> set[str]:
    from pyhanko.sign.fields import enumerate_sig_fields

    return {name for name, _value, _ref in enumerate_sig_fields(reader, filled_status=True)}


# --- verification ---------------------------------------------------------------------------------


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
