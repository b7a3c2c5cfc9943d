"""Phone numbers: parse and normalise to E.164 with phonenumbers (the one home for it)."""

from __future__ import annotations

import phonenumbers


def normalize_phone(raw: str, region: str = "US", strict: bool = False) -> str | None:
    """E.164 for a number a person or Twilio wrote, or None if it can't be one.

    strict=True (staff entering a number) also requires a valid, assigned range.
    """
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(number) if strict else phonenumbers.is_possible_number(number)
    if not ok:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
