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


IDENTITY_ADD = "admin:documents_signingidentity_add"


def test_an_admin_registers_a_token_certificate_to_a_leader_and_a_seal_to_a_unit(as_persona, world, demo_pki):
    from documents.models import SigningIdentity

    client = as_persona("admin")
    leader = demo_pki.certificate("Trần Thị Lan", "Phường Tam Kỳ", person=True)
    seal = demo_pki.certificate("ỦY BAN NHÂN DÂN PHƯỜNG TAM KỲ", "Phường Tam Kỳ", person=False)
    armored = pem.armor("CERTIFICATE", leader.certificate.dump())
    response = client.post(
        reverse(IDENTITY_ADD),
        {"kind": "person", "user": world.leader_a.pk, "certificate_file": _file(armored, "lan.cer")},
        follow=True,
    )
    assert response.status_code == 200
    identity = SigningIdentity.objects.get(fingerprint=leader.certificate.sha256.hex())
    assert identity.user == world.leader_a and identity.subject_name == "Trần Thị Lan"
    assert identity.added_by.username == "admin" or identity.added_by.is_superuser
    client.post(
        reverse(IDENTITY_ADD),
        {
            "kind": "organisation",
            "unit": world.commune_a.pk,
            "certificate_file": _file(seal.certificate.dump(), "dau.der"),
        },
    )
    assert SigningIdentity.objects.get(fingerprint=seal.certificate.sha256.hex()).unit == world.commune_a
    # The list shows both; an identity is never deleted, only switched off.
    listing = client.get(reverse("admin:documents_signingidentity_changelist"))
    assert "Trần Thị Lan" in listing.text and "PHƯỜNG TAM KỲ" in listing.text
    change = reverse("admin:documents_signingidentity_change", args=[identity.pk])
    client.post(change, {"is_active": ""})
    identity.refresh_from_db()
    assert not identity.is_active and identity.user == world.leader_a
    assert (
        client.get(reverse("admin:documents_signingidentity_delete", args=[identity.pk])).status_code == 403
    )


def test_a_bad_or_misassigned_certificate_is_refused_with_the_reason(as_persona, world, demo_pki):
    from documents.models import SigningIdentity

    client = as_persona("admin")
    leader = demo_pki.certificate("Trần Thị Lan", "Phường Tam Kỳ", person=True)
    cases = [
        (
            {"kind": "person", "user": world.leader_a.pk, "certificate_file": _file(b"junk", "x.cer")},
            "Tệp không phải chứng thư số",
        ),
        (
            {
                "kind": "person",
                "unit": world.commune_a.pk,
                "certificate_file": _file(leader.certificate.dump(), "x.cer"),
            },
            "chọn người ký",
        ),
        (
            {
                "kind": "organisation",
                "user": world.leader_a.pk,
                "certificate_file": _file(leader.certificate.dump(), "x.cer"),
            },
            "chọn cơ quan",
        ),
        (
            {"kind": "person", "user": world.leader_a.pk, "certificate_file": _file(b"0" * 70_000, "x.cer")},
            "Tệp quá lớn",
        ),
    ]
    for data, message in cases:
        response = client.post(reverse(IDENTITY_ADD), data)
        assert response.status_code == 200 and message in response.text, message
    assert not SigningIdentity.objects.exists()
    client.post(
        reverse(IDENTITY_ADD),
        {
            "kind": "person",
            "user": world.leader_a.pk,
            "certificate_file": _file(leader.certificate.dump(), "x.cer"),
        },
    )
    # The same certificate to another person: refused, naming who holds it.
    response = client.post(
        reverse(IDENTITY_ADD),
        {
            "kind": "person",
            "user": world.officer_a.pk,
            "certificate_file": _file(leader.certificate.dump(), "x.cer"),
        },
    )
    assert "đã được đăng ký cho" in response.text
    assert SigningIdentity.objects.get().user == world.leader_a
