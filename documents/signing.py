"""Digital signatures on official documents (NĐ 30/2020, Điều 13–14 and PL I II.7–8): the engine.

Pure functions on bytes; the models, views and pages that use them are elsewhere.

* `read_pkcs12` reads a certificate and its key from a .p12/.pfx file and says precisely what is
  wrong with it; `seal_key`/`open_key` keep the key encrypted at rest with settings.CCHC_SIGNING_KEY.
* `sign_pdf` signs a PDF as the competent person and then as the body (one incremental update per
  signer, PAdES B-B: /ETSI.CAdES.detached, SHA-256), with the signature image (blue) or the seal
  (red) in the boxes the renderer reports, or a text stamp "Ký bởi … / Thời gian …" in Tinos.
  Given a time-stamping authority (`timestamp_url`, settings.CCHC_TSA_URL for the services), every
  signature also gets an RFC 3161 signature time-stamp (PAdES B-T).
* `add_revocation_data` then puts the certificates, OCSP responses and CRLs of every signature
  (its signer's chain and its time-stamp's) in the document security store, fetched from the
  URLs the certificates name, in one incremental update after the last signature (PAdES B-LT).
* judging signed files is documents/verification.py.

The network is used only when asked: the TSA by `sign_pdf(timestamp_url=…)`, the OCSP responders
and CRL servers by `add_revocation_data`, each request bounded by settings.CCHC_PKI_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import functools
import io
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
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


def _timeout(timeout: float | None) -> float:
    return float(settings.CCHC_PKI_TIMEOUT if timeout is None else timeout)


def sign_pdf(
    pdf: bytes,
    signers: list[SignerSpec],
    *,
    signing_time: datetime.datetime,
    timestamp_url: str | None = None,
    timeout: float | None = None,
) -> bytes:
    """Sign `pdf` with each signer in order (the person first, then the body: NĐ 30 Điều 14),
    one incremental update each, with a visible appearance in each signer's box.

    `signing_time` is the time the portal records (/M, the CMS signing-time, the stamp). With a
    `timestamp_url`, each signature also carries a signature time-stamp from that TSA (PAdES B-T):
    the time a third party vouches for. `timeout`: seconds per TSA request (CCHC_PKI_TIMEOUT)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
    from pyhanko.sign.signers import PdfSignatureMetadata
    from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

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
    # One time-stamper for every signature: pyHanko sizes the signature with a first token from
    # the TSA, which it keeps for the next ones.
    timestamper = HTTPTimeStamper(timestamp_url, timeout=_timeout(timeout)) if timestamp_url else None

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
                timestamper=timestamper,
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
            except TimestampRequestError as exc:
                logger.warning("time-stamping %s at %s failed: %s", spec.field_name, timestamp_url, exc)
                raise SigningError(
                    _(
                        "Không lấy được dấu thời gian cho chữ ký của %(name)s từ máy chủ cấp dấu thời gian "
                        "%(url)s: %(error)s"
                    )
                    % {"name": _signer_label(spec), "url": timestamp_url, "error": _cause(exc)}
                ) from exc
            except Exception as exc:
                logger.exception("signing %s failed", spec.field_name)
                raise SigningError(
                    _("Không ký được văn bản (chữ ký của %(name)s): %(error)s")
                    % {"name": _signer_label(spec), "error": exc}
                ) from exc
            current = output.getvalue()
        return current

    return _run(sign_all)


def _cause(exc: BaseException) -> str:
    """The innermost reason of an error chain, e.g. the refused connection under pyHanko's
    "Error while contacting timestamp service"."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__


def _revocation_sources(cert: x509.Certificate) -> str:
    urls = list(cert.ocsp_urls)
    for point in cert.crl_distribution_points:
        urls.append(point.url)
    return ", ".join(urls) or _("(chứng thư không ghi địa chỉ OCSP/CRL nào)")


def add_revocation_data(
    pdf: bytes, trust_roots: list[x509.Certificate], *, timeout: float | None = None
) -> bytes:
    """`pdf` with what it takes to validate every signature later without the network (PAdES
    B-LT): the certificates, OCSP responses and CRLs of each signer's chain and of each signature
    time-stamp's, fetched now from the URLs the certificates name (AIA, CRL distribution points),
    in the document security store (DSS) — one incremental update, after the last signature.

    The responses are kept whatever they say: an OCSP response saying "revoked" is evidence too,
    and judging it is documents/verification.py's. A chain that does not reach `trust_roots`, or
    revocation data that cannot be fetched, is a SigningError saying which certificate and where.
    `timeout`: seconds per request (settings.CCHC_PKI_TIMEOUT)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import extract_certificate_info
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        NotYetValidError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
    )
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
    from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_regular_signatures
    except Exception as exc:
        raise SigningError(_("Không đọc được tệp PDF đã ký: %(error)s") % {"error": exc}) from None
    if not signatures:
        raise SigningError(_("Văn bản chưa có chữ ký số nào để bổ sung thông tin kiểm tra thu hồi."))

    async def collect() -> tuple[list, list, list]:
        context = ValidationContext(
            trust_roots=list(trust_roots),
            allow_fetching=True,
            # every certificate that names an OCSP responder or a CRL must have been checked
            revocation_mode="hard-fail",
            fetcher_backend=OwnedFetcherBackend(AIOHttpFetcherBackend(per_request_timeout=_timeout(timeout))),
        )

        async def chain_of(signed_data, what: str) -> tuple[list, list]:
            """(validation paths, loose certificates) for the signer of a CMS object; validating
            the path fetches its revocation data into the context, as pyHanko's DSS helper does."""
            info = extract_certificate_info(signed_data)
            validator = CertificateValidator(
                info.signer_cert, intermediate_certs=info.other_certs, validation_context=context
            )
            try:
                return [await validator.async_validate_usage(key_usage=set())], []
            except RevokedError:
                # What was fetched says so: keep it, with the certificates the CMS carries.
                return [], [info.signer_cert, *info.other_certs]
            except PathBuildingError:
                raise SigningError(
                    _(
                        "Chứng thư số của %(what)s không thuộc tổ chức chứng thực được tin cậy: "
                        "không bổ sung được thông tin kiểm tra thu hồi."
                    )
                    % {"what": what}
                ) from None
            except (ExpiredError, NotYetValidError) as exc:
                failed = exc.current_path.leaf
                raise SigningError(
                    _(
                        "Chứng thư số “%(subject)s” (%(what)s) không có hiệu lực vào lúc này: không bổ sung "
                        "được thông tin kiểm tra thu hồi (%(error)s)."
                    )
                    % {
                        "subject": _subject_parts(failed)[0] or failed.subject.human_friendly,
                        "what": what,
                        "error": exc,
                    }
                ) from None
            except PathValidationError as exc:
                failed = exc.current_path.leaf
                logger.warning("revocation data for %s: %s", what, exc)
                raise SigningError(
                    _(
                        "Không lấy được thông tin thu hồi (OCSP/CRL) của chứng thư số “%(subject)s” "
                        "(%(what)s) từ %(urls)s: %(error)s"
                    )
                    % {
                        "subject": _subject_parts(failed)[0] or failed.subject.human_friendly,
                        "what": what,
                        "urls": _revocation_sources(failed),
                        "error": exc,
                    }
                ) from exc

        try:
            found = []
            for embedded in signatures:
                who = _subject_parts(embedded.signer_cert)[0] or str(embedded.field_name)
                paths, certs = await chain_of(embedded.signed_data, _("chữ ký của %(name)s") % {"name": who})
                for signed in (False, True):  # the signature time-stamp; a content time-stamp
                    for token in extract_tst_data_iter(embedded.signer_info, signed=signed):
                        more_paths, more_certs = await chain_of(
                            token, _("dấu thời gian trên chữ ký của %(name)s") % {"name": who}
                        )
                        paths, certs = paths + more_paths, certs + more_certs
                found.append((embedded, paths, certs))
            return found, list(context.ocsps), list(context.crls)
        finally:
            await context.aclose()

    found, ocsps, crls = _run(collect)
    try:
        writer = IncrementalPdfFileWriter.from_reader(reader)
        for embedded, paths, certs in found:
            DocumentSecurityStore.supply_dss_in_writer(
                writer,
                embedded.pkcs7_content.hex().encode("ascii"),  # the signature's /VRI entry
                certs=certs,
                paths=paths,
                ocsps=ocsps,
                crls=crls,
            )
        out = io.BytesIO()
        writer.write(out)
    except Exception as exc:
        raise SigningError(
            _("Không ghi được thông tin kiểm tra thu hồi vào văn bản: %(error)s") % {"error": exc}
        ) from None
    return out.getvalue()


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
