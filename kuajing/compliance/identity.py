"""Chinese resident identity numbers (GB 11643-1999): ISO 7064 MOD 11-2 check and birth date."""

from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class InvalidIdNumber(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    birth_date: date


def check_character(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse_resident_id(raw: str, *, today: date) -> ResidentId:
    """Validate an 18-character ID and return it normalised (upper-case X) with its birth date."""
    number = raw.strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("An ID number has 17 digits and a final digit or X.")
    if not number[:17].isascii():
        raise InvalidIdNumber("An ID number has 17 digits and a final digit or X.")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("The birth date inside the ID number does not exist.") from exc
    if born.year < 1900 or born > today:
        raise InvalidIdNumber("The birth date inside the ID number is not plausible.")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("The check digit does not match; please check the number.")
    return ResidentId(number=number, birth_date=born)


def mask(number: str) -> str:
    return number[:6] + "*" * 8 + number[14:]
