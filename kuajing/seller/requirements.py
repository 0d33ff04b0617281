"""What a seller must give before an operator can approve them, as a pure function of what they
gave and what they sell.

Every seller: the EIN (NN-NNNNNNN) and the IRS letter that assigned it (CP 575 or 147C); the
state's registration of the business (articles or a certificate of good standing); the China
customs registration (the code on the profile, or the registration certificate uploaded). Who
lists wine or beer: the TTB permit (basic permit or brewer's notice). Who lists food (fruit,
nuts) or supplements: the FDA food facility registration.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class DocumentKind(StrEnum):
    ein_letter = "ein_letter"
    state_registration = "state_registration"
    customs_registration = "customs_registration"
    fda_facility = "fda_facility"
    ttb_permit = "ttb_permit"


EIN = re.compile(r"[0-9]{2}-[0-9]{7}")
TTB_CATEGORIES = frozenset({"wine", "beer"})
FDA_CATEGORIES = frozenset({"fruit", "nuts", "supplements"})


@dataclass(frozen=True, slots=True)
class Missing:
    code: str  # "ein", or the document kind missing
    message: str


def missing(
    *, ein: str | None, customs_code: str | None, documents: Iterable[str], categories: Iterable[str]
) -> list[Missing]:
    """What is missing, in the order a seller would give it; [] when the application is complete."""
    held = set(documents)
    listed = set(categories)
    out: list[Missing] = []
    if ein is None:
        out.append(Missing("ein", "Give your EIN (NN-NNNNNNN) on your profile."))
    if DocumentKind.ein_letter not in held:
        out.append(Missing("ein_letter", "Upload the IRS letter that assigned your EIN (CP 575 or 147C)."))
    if DocumentKind.state_registration not in held:
        out.append(
            Missing(
                "state_registration",
                "Upload your state's registration of the business "
                "(articles or a certificate of good standing).",
            )
        )
    if customs_code is None and DocumentKind.customs_registration not in held:
        out.append(
            Missing(
                "customs_registration",
                "Give your China customs registration code on your profile, or upload its certificate.",
            )
        )
    if listed & TTB_CATEGORIES and DocumentKind.ttb_permit not in held:
        out.append(Missing("ttb_permit", "You list wine or beer: upload your TTB permit."))
    if listed & FDA_CATEGORIES and DocumentKind.fda_facility not in held:
        out.append(
            Missing(
                "fda_facility", "You list food or supplements: upload your FDA food facility registration."
            )
        )
    return out
