"""Demo signing for `make run`: a demo CA, certificates for the demo units and leaders, and the
demo plans issued as signed PDFs. Everything here is labelled DEMO: it has no legal value."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from documents import services
from documents.models import OutgoingDocument, SigningCredential, TrustedRoot
from units.models import Unit

PASSPHRASE = "demo"
# Units that sign documents in the demo, and the leaders who sign for them (username → title).
DEMO_SEALS = ["48", "20341", "20335", "502"]
DEMO_SIGNERS = {"lanhdao.danang": "Võ Văn Nam", "chutich.tamky": "Phạm Văn Minh"}


def _unit(code: str) -> Unit | None:
    # Current units first; the pre-2025 ones (Tam Kỳ city, Tân Thạnh) for the seed plans.
    return (
        Unit.objects.current().filter(code=code).first()
        or Unit.objects.filter(code=code).order_by("-valid_to").first()
    )


def add_demo_credential(ca, *, name: str, unit: Unit | None = None, user=None) -> SigningCredential:
    """A DEMO certificate from `ca` with its image: a unit's seal (`unit`) or a leader's personal
    signature (`user`), stored as that unit's or user's signing credential."""
    from demo.pki import demo_seal_png, demo_signature_png, issue_demo_certificate, to_pkcs12

    person = user is not None
    organisation = "Cổng CCHC" if person else unit.full_name
    cert = issue_demo_certificate(ca, common_name=name, organisation=organisation, person=person)
    return services.add_credential(
        kind=SigningCredential.Kind.PERSON if person else SigningCredential.Kind.ORGANISATION,
        pkcs12=to_pkcs12(cert, [ca.certificate], PASSPHRASE),
        passphrase=PASSPHRASE,
        unit=unit,
        user=user,
        image_png=demo_signature_png(name) if person else demo_seal_png(name),
        is_demo=True,
    )


def trusted_demo_ca():
    """A new DEMO CA, added to the trusted roots."""
    from asn1crypto import pem

    from demo.pki import make_demo_ca

    ca = make_demo_ca()
    services.add_trusted_root(pem.armor("CERTIFICATE", ca.certificate.dump()), is_demo=True)
    return ca


@transaction.atomic
def load_document_demo(log=print) -> None:
    root = TrustedRoot.objects.filter(is_demo=True).first()
    # An existing demo CA's key is not kept: then existing credentials are left alone.
    demo_ca = trusted_demo_ca() if root is None else None
    root = root or TrustedRoot.objects.filter(is_demo=True).first()
    created = 0
    for code in DEMO_SEALS:
        unit = _unit(code)
        if (
            unit is None
            or demo_ca is None
            or SigningCredential.objects.filter(unit=unit, is_active=True).exists()
        ):
            continue
        add_demo_credential(demo_ca, name=unit.authority_line or unit.full_name, unit=unit)
        created += 1
    User = get_user_model()
    for username, name in DEMO_SIGNERS.items():
        user = User.objects.filter(username=username).first()
        if (
            user is None
            or demo_ca is None
            or SigningCredential.objects.filter(user=user, is_active=True).exists()
        ):
            continue
        add_demo_credential(demo_ca, name=name, user=user)
        created += 1
    log(f"  Chứng thư số minh họa (DEMO): {created} mới; tổ chức chứng thực minh họa: {root.name}")
    signed = sign_issued_demo_plans()
    if signed:
        log(f"  Đã ký số {signed} kế hoạch minh họa đã ban hành.")


def sign_issued_demo_plans() -> int:
    """Give the demo plans issued without a PDF (by demo.plans, through the plain workflow) their
    signed document: the signer's demo certificate when there is one, then the unit's seal."""
    from django.utils import timezone

    from documents.signing import sign_pdf
    from plans.models import Plan, Status
    from plans.pdf import render_plan_pdf

    count = 0
    plans = Plan.objects.filter(status=Status.ISSUED, document__state=OutgoingDocument.State.NUMBERED)
    for plan in plans.select_related("unit__kind", "document"):
        seal = services.active_credential(unit=plan.unit)
        if seal is None:
            continue
        person = (
            SigningCredential.objects.filter(
                kind=SigningCredential.Kind.PERSON, is_active=True, subject_name=plan.signer_name
            ).first()
            if plan.signer_name
            else None
        )
        rendered = render_plan_pdf(plan)
        signing_time = timezone.now().astimezone(services.VIETNAM).replace(microsecond=0)
        signers = []
        if person is not None:
            signers.append(
                services.signer_for(
                    person,
                    rendered.boxes["person"],
                    field_name="ChuKyLanhDao",
                    display_name=plan.signer_name,
                    reason="Ký ban hành văn bản (DEMO)",
                    location=plan.unit.place_name,
                )
            )
        signers.append(
            services.signer_for(
                seal,
                rendered.boxes["organisation"],
                field_name="ChuKyCoQuan",
                display_name=plan.unit.authority_line or plan.unit.full_name,
                reason="Đóng dấu cơ quan (DEMO)",
                location=plan.unit.place_name,
            )
        )
        document = plan.document
        services.store_pdf(document, "unsigned_pdf", rendered.pdf)
        services.store_pdf(document, "signed_pdf", sign_pdf(rendered.pdf, signers, signing_time=signing_time))
        document.state = OutgoingDocument.State.SIGNED
        document.signing_mode = OutgoingDocument.SigningMode.SERVER
        document.signed_at = signing_time
        document.save()
        count += 1
    return count
