"""The demo's signed documents (demo/documents.py): the leaders' and units' certificates come from
the DEMO PKI, every demo plan is signed with time-stamps and carries its revocation data (PAdES
B-LT), a second load keeps the credentials it has, and a sample signed by the revoked former
chairman of Phường Tam Kỳ is revoked.

The demo loads the real unit lists (a few seconds), so it runs once for the module, twice in a row,
inside a transaction that is rolled back; the tests read what the fixture collected.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test.utils import override_settings
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

from demo.documents import REVOKED_SAMPLE, load_document_demo, load_signed_samples
from demo.plans import load_plan_demo
from demo.units import load_demo
from documents.models import OutgoingDocument, SigningCredential
from documents.verification import verify_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory, demo_pki):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, CCHC_TSA_URL=demo_pki.tsa_url),  # as make run sets it
        transaction.atomic(),
    ):
        load_demo(log=lambda *_: None)
        first: list[str] = []
        load_document_demo(log=first.append)
        load_plan_demo(log=first.append)  # the current plans: signed by the leader, issued by the văn thư
        load_signed_samples(log=first.append)
        credentials = set(SigningCredential.objects.filter(is_active=True).values_list("pk", "fingerprint"))
        documents = {
            d.pk: d.signed_pdf.open("rb").read()
            for d in OutgoingDocument.objects.filter(state=OutgoingDocument.State.ISSUED, signed_pdf__gt="")
        }
        second: list[str] = []
        load_document_demo(log=second.append)
        facts = SimpleNamespace(
            first=first,
            second=second,
            credentials=credentials,
            credentials_after=set(
                SigningCredential.objects.filter(is_active=True).values_list("pk", "fingerprint")
            ),
            documents=documents,
        )
        transaction.set_rollback(True)
    return facts


def _offline(pdf: bytes, root):
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf)))
    return dss.as_validation_context(
        {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
    )


def test_the_demo_plans_are_signed_time_stamped_with_revocation_data(demo, demo_pki):
    assert len(demo.documents) >= 2
    for pdf in demo.documents.values():
        verdict = verify_pdf(pdf, [demo_pki.root])
        assert verdict.status == "valid", verdict.message
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
        for embedded in signatures:
            status = validate_pdf_signature(embedded, _offline(pdf, demo_pki.root))
            assert status.bottom_line and status.trusted and not status.revoked
            assert status.timestamp_validity is not None and status.timestamp_validity.trusted
        assert status.modification_level == ModificationLevel.LTA_UPDATES  # the DSS after the seal


def test_a_second_load_keeps_the_credentials(demo):
    assert demo.credentials and demo.credentials_after == demo.credentials
    assert any("Chứng thư số minh họa (DEMO): 0 mới" in line for line in demo.second), demo.second


def test_the_former_chairmans_revoked_signature_is_revoked(demo, demo_pki):
    sample = demo_pki.directory / REVOKED_SAMPLE
    assert any(str(sample) in line for line in demo.first), demo.first
    pdf = sample.read_bytes()
    leader, seal = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert leader.signer_cert.dump() == demo_pki.revoked.certificate.dump()
    revoked = validate_pdf_signature(leader, _offline(pdf, demo_pki.root))
    assert revoked.revoked and not revoked.bottom_line
    assert validate_pdf_signature(seal, _offline(pdf, demo_pki.root)).bottom_line
