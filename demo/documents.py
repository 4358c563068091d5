"""Demo signing for `make run`: certificates for the demo units and leaders from the DEMO PKI
(demo/pki_services.py: a CA with OCSP, CRLs and a time-stamping authority), and the demo plans
issued as signed PDFs, time-stamped and with their revocation data embedded (PAdES B-LT).
Everything here is labelled DEMO: it has no legal value."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from documents import services
from documents.models import SigningCredential
from units.models import Unit

PASSPHRASE = "demo"
# Units that sign documents in the demo, and the leaders who sign for them (username → title).
DEMO_SEALS = ["48", "20341", "20335", "502"]
DEMO_SIGNERS = {"lanhdao.danang": "Võ Văn Nam", "chutich.tamky": "Phạm Văn Minh"}
# A document signed by a former chairman of Phường Tam Kỳ whose certificate the CA has revoked,
# for the public verification page: written next to the DEMO PKI's files.
REVOKED_SAMPLE, REVOKED_SAMPLE_UNIT = "mau-chu-ky-da-bi-thu-hoi.pdf", "20341"


def _unit(code: str) -> Unit | None:
    # Current units first; the pre-2025 ones (Tam Kỳ city, Tân Thạnh) for the seed plans.
    return (
        Unit.objects.current().filter(code=code).first()
        or Unit.objects.filter(code=code).order_by("-valid_to").first()
    )


def _store_credential(issued, *, name: str, unit: Unit | None, user) -> SigningCredential:
    from demo.pki import demo_seal_png, demo_signature_png, to_pkcs12

    person = user is not None
    return services.add_credential(
        kind=SigningCredential.Kind.PERSON if person else SigningCredential.Kind.ORGANISATION,
        pkcs12=to_pkcs12(issued, issued.chain, PASSPHRASE),
        passphrase=PASSPHRASE,
        unit=unit,
        user=user,
        image_png=demo_signature_png(name) if person else demo_seal_png(name),
        is_demo=True,
    )


def add_demo_credential(ca, *, name: str, unit: Unit | None = None, user=None) -> SigningCredential:
    """A DEMO certificate from an offline `ca` (demo.pki.make_demo_ca: no OCSP, no CRL) with its
    image: a unit's seal (`unit`) or a leader's personal signature (`user`). For the benchmarks,
    which must not depend on a running PKI."""
    from demo.pki import issue_demo_certificate

    organisation = "Cổng CCHC" if user is not None else unit.full_name
    issued = issue_demo_certificate(ca, common_name=name, organisation=organisation, person=user is not None)
    return _store_credential(issued, name=name, unit=unit, user=user)


def trusted_demo_ca():
    """A new offline DEMO CA, added to the trusted roots (the benchmarks')."""
    from asn1crypto import pem

    from demo.pki import make_demo_ca

    ca = make_demo_ca()
    services.add_trusted_root(pem.armor("CERTIFICATE", ca.certificate.dump()), is_demo=True)
    return ca


def give_demo_credential(pki, *, name: str, unit: Unit | None = None, user=None) -> bool:
    """Store the PKI's certificate for `name` as the unit's seal or the user's signature, unless
    it is already their active one (a database kept from an earlier run, or another PKI's)."""
    person = user is not None
    issued = pki.certificate(name, "Cổng CCHC" if person else unit.full_name, person=person)
    owner = {"user": user} if person else {"unit": unit}
    current = SigningCredential.objects.filter(is_active=True, **owner).first()
    if current is not None and current.fingerprint == issued.certificate.sha256.hex():
        return False
    _store_credential(issued, name=name, unit=unit, user=user)
    return True


@transaction.atomic
def load_document_demo(log=print) -> None:
    """The DEMO PKI trusted, and DEMO certificates for the demo units' seals and leaders (each
    registered as their signing identity). Plans are signed as they are issued (demo.plans)."""
    from asn1crypto import pem

    from demo import pki_services

    pki = pki_services.current()
    root = services.add_trusted_root(pem.armor("CERTIFICATE", pki.root.dump()), is_demo=True)
    created = 0
    for code in DEMO_SEALS:
        unit = _unit(code)
        if unit is not None:
            created += give_demo_credential(pki, name=unit.authority_line or unit.full_name, unit=unit)
    User = get_user_model()
    for username, name in DEMO_SIGNERS.items():
        user = User.objects.filter(username=username).first()
        if user is not None:
            created += give_demo_credential(pki, name=name, user=user)
    log(
        f"  Chứng thư số minh họa (DEMO): {created} mới; tổ chức chứng thực minh họa: {root.name} ({pki.url})"
    )


def _sign_demo(pdf: bytes, signers, signing_time) -> bytes:
    """Signed and time-stamped by the DEMO TSA, with the revocation data embedded (PAdES B-LT)."""
    from demo import pki_services
    from documents.signing import add_revocation_data, sign_pdf

    pki = pki_services.current()
    signed = sign_pdf(pdf, signers, signing_time=signing_time, timestamp_url=pki.tsa_url)
    return add_revocation_data(signed, [pki.root])


def _revoked_sample(pki, plan, rendered, seal_signer, signing_time) -> None:
    """`plan` signed by a former chairman of Phường Tam Kỳ whose certificate the CA has revoked
    (`pki.revoked`), then sealed: a signature the verification page must call revoked. Written
    next to the PKI's files when the Phường Tam Kỳ plan is signed."""
    from documents.signing import SignerSpec

    former = pki.revoked
    name = former.certificate.subject.native["common_name"]
    signers = [
        SignerSpec(
            key_der=former.key_der,
            certificate=former.certificate,
            chain=former.chain,
            display_name=name,
            image_png=None,
            box=rendered.boxes["person"],
            field_name="ChuKyLanhDao",
            reason="Ký ban hành văn bản (DEMO, chứng thư đã bị thu hồi)",
            location=plan.unit.place_name,
        ),
        seal_signer,
    ]
    (pki.directory / REVOKED_SAMPLE).write_bytes(_sign_demo(rendered.pdf, signers, signing_time))


def load_signed_samples(log=print) -> None:
    """After the plans: a sample signed with the revoked DEMO certificate, for the public page."""
    from demo import pki_services

    pki = pki_services.current()
    if write_revoked_sample(pki):
        log(
            f"  Văn bản ký bằng chứng thư đã bị thu hồi, để thử trang kiểm tra: {pki.directory / REVOKED_SAMPLE}"
        )


def write_revoked_sample(pki) -> bool:
    """The current Phường Tam Kỳ plan signed by its former chairman, whose certificate the CA has
    revoked, then sealed: a file the verification page must call revoked (written next to the
    PKI's files, for trying the page by hand)."""
    from django.utils import timezone

    from plans.models import Plan, Status
    from plans.pdf import render_plan_pdf

    plan = (
        Plan.objects.filter(unit__code=REVOKED_SAMPLE_UNIT, status=Status.ISSUED, unit__valid_to__isnull=True)
        .select_related("unit__kind")
        .order_by("-year", "-version")
        .first()
    )
    seal = services.active_credential(unit=plan.unit) if plan is not None else None
    if seal is None:
        return False
    rendered = render_plan_pdf(plan)
    seal_signer = services.signer_for(
        seal,
        rendered.boxes["organisation"],
        field_name="ChuKyCoQuan",
        display_name=plan.unit.authority_line or plan.unit.full_name,
        reason="Đóng dấu cơ quan (DEMO)",
        location=plan.unit.place_name,
    )
    signing_time = timezone.now().astimezone(services.VIETNAM).replace(microsecond=0)
    _revoked_sample(pki, plan, rendered, seal_signer, signing_time)
    return True
