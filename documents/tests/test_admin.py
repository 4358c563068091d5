"""The admin pages that set up signing: uploading a PKCS#12 credential and trusting a CA."""

from __future__ import annotations

import io

from asn1crypto import pem
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from demo.pki import demo_seal_png, to_pkcs12
from documents.models import SigningCredential, TrustedRoot
from documents.signing import open_key

UPLOAD = "admin:documents_signingcredential_upload"


def _file(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_an_admin_uploads_a_seal_and_the_key_is_encrypted(as_persona, world, demo_pki):
    cert = demo_pki.certificate("ỦY BAN NHÂN DÂN PHƯỜNG TAM KỲ", "Phường Tam Kỳ", person=False)
    p12 = to_pkcs12(cert, [demo_pki.ca.certificate], "mật khẩu")
    client = as_persona("admin")
    data = {"kind": "organisation", "unit": world.commune_a.pk, "passphrase": "mật khẩu"}
    response = client.post(
        reverse(UPLOAD),
        {**data, "pkcs12": _file(p12, "con-dau.p12"), "image": _file(demo_seal_png("UBND"), "dau.png")},
        follow=True,
    )
    assert "Đã nạp chứng thư" in response.text
    credential = SigningCredential.objects.get(unit=world.commune_a)
    assert credential.is_active and credential.image_png
    assert cert.key_der not in bytes(credential.encrypted_key)
    assert open_key(bytes(credential.encrypted_key)) == cert.key_der
    # A second upload replaces the first: one active seal per unit.
    client.post(reverse(UPLOAD), {**data, "pkcs12": _file(p12, "con-dau.p12")})
    assert SigningCredential.objects.filter(unit=world.commune_a, is_active=True).count() == 1


def test_bad_uploads_are_refused_with_the_reason(as_persona, world, demo_pki):
    cert = demo_pki.certificate("Phạm Văn Minh", "Cổng CCHC", person=True)
    p12 = to_pkcs12(cert, [demo_pki.ca.certificate], "đúng")
    client = as_persona("admin")
    cases = [
        (
            {"kind": "person", "user": world.leader_a.pk, "passphrase": "sai", "pkcs12": _file(p12, "a.p12")},
            "Mật khẩu của tệp chứng thư số không đúng",
        ),
        (
            {"kind": "person", "user": world.leader_a.pk, "pkcs12": _file(b"not pkcs12", "a.p12")},
            "không phải là tệp chứng thư số PKCS#12",
        ),
        ({"kind": "person", "passphrase": "đúng", "pkcs12": _file(p12, "a.p12")}, "Hãy chọn người ký"),
        (
            {
                "kind": "person",
                "user": world.leader_a.pk,
                "passphrase": "đúng",
                "pkcs12": _file(p12, "a.p12"),
                "image": _file(b"GIF89a....", "a.gif"),
            },
            "Tệp ảnh không đọc được",
        ),
    ]
    for data, message in cases:
        response = client.post(reverse(UPLOAD), data)
        assert response.status_code == 200
        assert message in response.text
    assert not SigningCredential.objects.exists()


def test_only_superusers_upload(as_persona):
    response = as_persona("reviewer").get(reverse(UPLOAD))
    assert response.status_code == 302 and not SigningCredential.objects.exists()


def test_trusting_a_root_ca(as_persona, demo_pki):
    client = as_persona("admin")
    add = reverse("admin:documents_trustedroot_add")
    bad = client.post(add, {"name": "X", "is_active": "on", "certificate_file": _file(b"junk", "x.cer")})
    assert "Tệp không phải chứng thư số" in bad.text
    armored = pem.armor("CERTIFICATE", demo_pki.ca.certificate.dump())
    client.post(add, {"name": "CA thử", "is_active": "on", "certificate_file": _file(armored, "ca.pem")})
    client.post(
        add,
        {
            "name": "CA thử",
            "is_active": "on",
            "certificate_file": _file(io.BytesIO(armored).read(), "ca.pem"),
        },
    )
    assert TrustedRoot.objects.get().name == "CA thử"  # the same certificate twice: one root
