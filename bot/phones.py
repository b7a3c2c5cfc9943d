"""Phone numbers: parse and normalise to E.164 with phonenumbers (the one home for it)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

# Number types that can never receive a text (US numbers are "fixed line or mobile": allowed).
_NO_SMS = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "a landline",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
    phonenumbers.PhoneNumberType.PAGER: "a pager",
    phonenumbers.PhoneNumberType.UAN: "a company switchboard number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail number",
}


def why_no_sms(e164: str) -> str | None:
    """What kind of number this is when it cannot get texts (a landline...), else None."""
    return _NO_SMS.get(phonenumbers.number_type(phonenumbers.parse(e164)))


# A pure function of its arguments, and the same few thousand patients text again and again:
# parsed once per worker (a parse costs about as much as the signature check).
@lru_cache(maxsize=8192)
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
