"""What a signing tool (USB token software) does to the portal's PDF, for the tests."""

from __future__ import annotations

import datetime

from cchc_portal.lib.documents import Box
from documents.signing import SignerSpec, sign_pdf


def token_sign(
    pdf: bytes, field: str, cert, chain, *, when: datetime.datetime | None = None, name: str = ""
) -> bytes:
    """Fill the prepared signature field `field` with `cert`'s signature (its key and chain), at
    `when` as the signer's clock says (default: now)."""
    return sign_pdf(
        pdf,
        [
            SignerSpec(
                key_der=cert.key_der,
                certificate=cert.certificate,
                chain=list(chain),
                display_name=name or field,
                image_png=None,
                box=Box(0, 0, 0, 1, 1),  # unused: the field exists
                field_name=field,
            )
        ],
        signing_time=when or datetime.datetime.now(datetime.UTC).replace(microsecond=0),
    )
