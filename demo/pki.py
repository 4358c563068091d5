"""DEMO certificates and images for the portal's demo and tests: names, PKCS#12 files, signatures
and seals, and a CA made offline.

The DEMO PKI with its services (OCSP, CRLs, a time-stamping authority), which the tests and
`make run` sign with, is `demo/pki_services.py`; it names its certificates with the helpers here.
`make_demo_ca`/`issue_demo_certificate` make a CA in memory, without services: for a CA that is
*not* trusted in a test, and for the benchmarks, which must not depend on a running server.

Everything made here is labelled DEMO: the CA's name says it has no legal value, every end-entity
certificate carries "(DEMO)" in its organisation, and the images say "MINH HỌA". Real signing uses
certificates from a licensed CA (chữ ký số chuyên dùng công vụ, NĐ 68/2024) uploaded as PKCS#12.
"""

from __future__ import annotations

import datetime
import io
import math
import secrets
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

DEMO_CA_NAME = "CA MINH HỌA CỔNG CCHC (DEMO – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ)"
DEMO_LABEL = "(DEMO)"
FONT_DIR = "/usr/share/fonts/truetype/croscore"
SIGNATURE_BLUE = (16, 48, 176)
SEAL_RED = (214, 24, 32)


PERSON_UNIT = "Cá nhân – chứng thư minh họa (DEMO)"  # the OU of a leader's personal certificate
BODY_UNIT = "Cơ quan – chứng thư minh họa (DEMO)"  # the OU of a body's certificate (its seal)


@dataclass
class IssuedCertificate:
    key_der: bytes  # PKCS#8 DER, unencrypted
    certificate: asn1_x509.Certificate
    chain: list[asn1_x509.Certificate] = field(default_factory=list)  # the CA certificates above it
    revoked_at: datetime.datetime | None = None  # when its CA revoked it, if it did


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pkcs8(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _to_pyca(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


NAME_LIMIT = 64  # bytes of UTF-8 per name attribute, as `cryptography` enforces (ub-name, RFC 5280)


def clip(text: str, limit: int = NAME_LIMIT) -> str:
    """`text` shortened (at a character, then at a space if one is near) to `limit` UTF-8 bytes."""
    text = " ".join(text.split())
    if len(text.encode()) <= limit:
        return text
    while len(text.encode()) > limit:
        text = text[:-1]
    head, _space, _rest = text.rpartition(" ")
    return (head if len(head) > len(text) * 2 // 3 else text).rstrip(" ,–-(")


def labelled(text: str) -> str:
    """`text` with "(DEMO)" appended unless it says DEMO already, within the attribute limit."""
    if "DEMO" in text.upper():
        return clip(text)
    return f"{clip(text, NAME_LIMIT - len(DEMO_LABEL) - 1)} {DEMO_LABEL}"


def ca_name_parts(name: str) -> tuple[str, str]:
    """A CA name as (CN, OU): a long name keeps its head in the CN (labelled DEMO) and its
    parenthesised remark ("DEMO – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ") in the OU."""
    name = " ".join(name.split())
    if len(name.encode()) <= NAME_LIMIT:
        return name if "DEMO" in name.upper() else labelled(name), "DEMO – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ"
    head, paren, tail = name.partition(" (")
    remark = tail.rstrip(")").strip() if paren else ""
    return labelled(head), clip(remark or "DEMO – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def make_demo_ca(name: str = DEMO_CA_NAME) -> IssuedCertificate:
    """A self-signed DEMO root CA (RSA 2048, SHA-256), valid for 10 years from yesterday.

    Name attributes hold at most 64 bytes of UTF-8, so the default name is stored as
    CN="CA MINH HỌA CỔNG CCHC (DEMO)", OU="DEMO – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ"."""
    key = _new_key()
    common_name, remark = ca_name_parts(name)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, labelled("Cổng CCHC")),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, remark),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3652))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return IssuedCertificate(key_der=_pkcs8(key), certificate=_to_asn1(cert))


def issue_demo_certificate(
    ca: IssuedCertificate, *, common_name: str, organisation: str, person: bool, days: int = 3 * 365
) -> IssuedCertificate:
    """An end-entity DEMO certificate for signing (digitalSignature + nonRepudiation).

    `person`: a civil servant's certificate (the leader who signs) rather than the body's own
    (the seal); it only changes the OU, as Vietnamese CAs distinguish the two by subject."""
    ca_key = serialization.load_der_private_key(ca.key_der, password=None)
    ca_cert = _to_pyca(ca.certificate)
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, labelled(organisation)),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME,
                PERSON_UNIT if person else BODY_UNIT,
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, clip(common_name) or "?"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        # 16 random bytes, top bit cleared so the DER integer stays positive
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1 or 1)
        # A day's margin, as the CA's own: a signing time taken before the certificate was made
        # (a test module's clock read at import, a token's clock a little behind) is inside it.
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return IssuedCertificate(key_der=_pkcs8(key), certificate=_to_asn1(cert), chain=[ca.certificate])


def to_pkcs12(cert: IssuedCertificate, chain: list[asn1_x509.Certificate], passphrase: str) -> bytes:
    """The key, certificate and chain as a PKCS#12 (.p12/.pfx) file protected by `passphrase`."""
    key = serialization.load_der_private_key(cert.key_der, password=None)
    pyca_cert = _to_pyca(cert.certificate)
    names = pyca_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    friendly = str(names[0].value).encode() if names else None
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        friendly,
        key,  # type: ignore[arg-type]
        pyca_cert,
        [_to_pyca(c) for c in chain] or None,
        encryption,
    )


# --- images ---------------------------------------------------------------------------------------


def _font(style: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(f"{FONT_DIR}/Tinos-{style}.ttf", size)


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def demo_signature_png(name: str) -> bytes:
    """A blue handwritten-looking signature of `name` on a transparent background (DEMO).

    The given name (the last word, as Vietnamese signatures usually show) is written large in a
    slanted italic, the full name small beneath, with a flourish swept under both."""
    from PIL import Image, ImageDraw

    name = " ".join(name.split()) or "Chữ ký"
    given = name.split()[-1]
    width, height = 640, 240
    scale = 2  # draw at double size, then downsample for smooth edges
    canvas = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    colour = (*SIGNATURE_BLUE, 255)

    big = _font("BoldItalic", 110 * scale)
    text_w = draw.textlength(given, font=big)
    while text_w > (width - 120) * scale and big.size > 40 * scale:
        big = _font("BoldItalic", big.size - 8 * scale)
        text_w = draw.textlength(given, font=big)
    x0 = (width * scale - text_w) / 2
    draw.text((x0, 20 * scale), given, font=big, fill=colour)

    small = _font("Italic", 30 * scale)
    small_w = draw.textlength(name, font=small)
    while small_w > (width - 60) * scale and small.size > 12 * scale:
        small = _font("Italic", small.size - 2 * scale)
        small_w = draw.textlength(name, font=small)
    draw.text(((width * scale - small_w) / 2, 172 * scale), name, font=small, fill=colour)

    # The flourish: a long stroke rising from left to right under the name, and a loop back.
    points = []
    for i in range(121):
        t = i / 120
        x = (40 + t * (width - 80)) * scale
        y = (165 - 40 * t + 12 * math.sin(t * math.pi * 3)) * scale
        points.append((x, y))
    draw.line(points, fill=colour, width=5 * scale, joint="curve")
    loop = [
        (
            (width - 60 + 30 * math.cos(a)) * scale,
            (118 + 14 * math.sin(a)) * scale,
        )
        for a in (k * math.pi / 24 for k in range(-12, 37))
    ]
    draw.line(loop, fill=colour, width=4 * scale, joint="curve")

    # Handwriting leans forward.
    slanted = canvas.transform(
        canvas.size,
        Image.Transform.AFFINE,
        (1, 0.18, -0.09 * canvas.height, 0, 1, 0),
        resample=Image.Resampling.BICUBIC,
    )
    return _png(slanted.resize((width, height), Image.Resampling.LANCZOS))


def _text_on_arc(canvas, text: str, font, *, centre, radius: float, colour) -> None:
    """Write `text` clockwise over the top of a circle, each glyph centred on the circle."""
    from PIL import Image, ImageDraw

    measure = ImageDraw.Draw(canvas)
    widths = [measure.textlength(ch, font=font) for ch in text]
    spacing = font.size * 0.06
    total = sum(widths) + spacing * (len(text) - 1)
    angle = -math.pi / 2 - total / radius / 2  # image coordinates: y down, so clockwise
    box = int(font.size * 1.6) + 4
    for ch, w in zip(text, widths, strict=True):
        mid = angle + (w / 2) / radius
        glyph = Image.new("RGBA", (box, box), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((box / 2, box / 2), ch, font=font, fill=colour, anchor="mm")
        # Turn the glyph so that its baseline is tangent to the circle (PIL turns anticlockwise).
        glyph = glyph.rotate(-math.degrees(mid + math.pi / 2), resample=Image.Resampling.BICUBIC, expand=True)
        x = centre[0] + radius * math.cos(mid)
        y = centre[1] + radius * math.sin(mid)
        canvas.alpha_composite(glyph, (int(x - glyph.width / 2), int(y - glyph.height / 2)))
        angle += (w + spacing) / radius


def demo_seal_png(body: str) -> bytes:
    """A red round seal of `body` on a transparent background (DEMO), about 300×300 px:
    the body's name around the rim, a star in the middle and "MINH HỌA" under it."""
    from PIL import Image, ImageDraw

    size, scale = 300, 3
    big = size * scale
    canvas = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    colour = (*SEAL_RED, 255)
    c = big / 2
    outer = big / 2 - 6 * scale
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=colour, width=9 * scale)
    inner = outer - 62 * scale
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=colour, width=3 * scale)

    text = " ".join(body.upper().split()) or "CƠ QUAN"
    ring = (outer + inner) / 2
    font_size = 30 * scale
    font = _font("Bold", font_size)
    # Keep the name within ~300° of the rim.
    while font_size > 10 * scale:
        length = sum(draw.textlength(ch, font=font) for ch in text) + font.size * 0.06 * len(text)
        if length / ring <= math.radians(300):
            break
        font_size -= 2 * scale
        font = _font("Bold", font_size)
    _text_on_arc(canvas, text, font, centre=(c, c), radius=ring, colour=colour)

    # A five-pointed star in the middle.
    star_r, star_in = 36 * scale, 14 * scale
    cy = c - 20 * scale
    star = []
    for k in range(10):
        a = -math.pi / 2 + k * math.pi / 5
        r = star_r if k % 2 == 0 else star_in
        star.append((c + r * math.cos(a), cy + r * math.sin(a)))
    draw.polygon(star, fill=colour)
    draw.text((c, cy + 52 * scale), "MINH HỌA", font=_font("Bold", 17 * scale), fill=colour, anchor="mm")
    draw.text((c, cy + 72 * scale), "DEMO", font=_font("Bold", 14 * scale), fill=colour, anchor="mm")
    return _png(canvas.resize((size, size), Image.Resampling.LANCZOS))
