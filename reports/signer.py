"""Who signs a report and the block printed above their signature (NĐ 30/2020 PL I II.7).

The block is built from the person who signs, never from the plan: their title at the unit is
Membership.position ("Ghi trên văn bản", e.g. "Phó Chủ tịch"), else their role's name without
the body ("Phó Chủ tịch UBND" → "Phó Chủ tịch"). A People's Committee signs collectively
(TM. ỦY BAN NHÂN DÂN); a deputy signs for the head (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH), an acting
head as Q. CHỦ TỊCH (cchc_portal.lib.nd30.signer_lines). The collective and the head's title
are those of the unit's default plan signer (plans.services.default_signer).

Before anyone has signed, the preview shows the block of the leader expected to sign: the
unit's first active leader who may sign (the chair before the vice-chairs, by role order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cchc_portal.lib import nd30
from plans.services import default_signer
from units.models import Membership, Unit

# A role named after the body it leads: "Chủ tịch UBND" is "Chủ tịch" on the document.
ROLE_BODY_SUFFIX = " UBND"


@dataclass(frozen=True)
class SignerBlock:
    lines: list[str]
    name: str


def title_of(membership: Membership) -> str:
    """ "Phó Chủ tịch": the position written on documents, else the role's name."""
    return membership.position.strip() or membership.role.name.removesuffix(ROLE_BODY_SUFFIX)


def block(unit: Unit, membership: Membership | None, user: Any = None) -> SignerBlock:
    """The block of `user` signing for `unit` in `membership` (without one: the unit's default
    title, as for a leader the unit has not recorded)."""
    default = default_signer(unit)
    collective = default["signer_authority"].removeprefix("TM. ")
    head = default["signer_title"]
    title = title_of(membership) if membership is not None else head
    name = (user.get_full_name() or user.get_username()) if user is not None else ""
    return SignerBlock(nd30.signer_lines(title, collective=collective, head=head), name)


def _leaders(unit: Unit):
    return (
        Membership.objects.active()
        .filter(unit=unit, approve_sign=True)
        .select_related("role", "user")
        .order_by("-role__is_leader", "role__sort_order", "role__pk", "pk")
    )


def signing_block(unit: Unit, user: Any) -> SignerBlock:
    """The block of `user`, who signs now for `unit`."""
    return block(unit, _leaders(unit).filter(user=user).first(), user)


def expected_block(unit: Unit) -> SignerBlock:
    """The block of the leader expected to sign (the preview before anyone signed)."""
    membership = _leaders(unit).first()
    return block(unit, membership, membership.user if membership is not None else None)
