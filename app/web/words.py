"""Words on the page: codes and names as people write them.

Acronyms stay capitals (CQC, NHS, QISS ...), names written with spaces stay as written
("Conwy County Borough Council"), ISO durations become words ("P7D" -> "7 days").
"""
from __future__ import annotations

import re
from typing import Any

ACRONYMS = {"cqc", "nhs", "icb", "qiss", "qisw", "sqip", "scso", "gp", "imca", "lcc", "edt", "chc", "fnc",
            "hsc", "ni", "la", "dp", "bcp", "cva", "api", "csv", "pdf", "dmn", "bpmn", "id", "uk", "s117",
            "dols", "lps", "mca"}
# Words that keep their capital inside a code (OTHER_ENGLISH_LA_ARRANGED -> "Other English LA arranged").
PROPER = {"english": "English", "welsh": "Welsh", "scottish": "Scottish", "england": "England", "wales": "Wales",
          "scotland": "Scotland"}
# Codes whose words are not their letters.
SPECIAL = {"s117": "s.117", "S117_AFTERCARE": "s.117 aftercare", "NHS_CHC": "NHS continuing healthcare",
           "LCC_DIRECT_PAYMENT": "LCC direct payment", "OTHER_ENGLISH_LA_DP": "Other English LA direct payment",
           "NI_HSC_TRUST": "NI HSC trust", "CARE_HOME_NURSING": "Care home (nursing)",
           "CARE_HOME_RESIDENTIAL": "Care home (residential)",
           # Care Act sections as lawyers write them
           "S48": "s.48", "S48_TEMPORARY_DUTY": "s.48 temporary duty", "S19": "s.19(3)",
           "S19_POWER_URGENT_NEEDS": "s.19(3) power to meet urgent needs"}
MESSAGE_TEMPLATES = {"urgent_referral": "Urgent referral", "referral_acknowledged": "Referral acknowledged",
                     "task_overdue": "Task overdue", "commissioning_request": "Commissioning request",
                     "provider_failure_notified": "Provider failure notified"}
_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)(WD|D))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def duration_words(value: str) -> str | None:
    """``P7D`` -> ``7 days``, ``PT24H`` -> ``24 hours``, ``P5WD`` -> ``5 working days``; None if not one."""
    found = _DURATION.fullmatch(value or "")
    if not found or value in ("P", "PT") or not any(found.groups()):
        return None
    weeks, days, unit, hours, minutes, seconds = found.groups()
    parts = []
    if weeks:
        parts.append(_plural(int(weeks), "week"))
    if days:
        parts.append(_plural(int(days), "working day" if unit == "WD" else "day"))
    if hours:
        parts.append(_plural(int(hours), "hour"))
    if minutes:
        parts.append(_plural(int(minutes), "minute"))
    if seconds:
        parts.append(_plural(int(seconds), "second"))
    return " and ".join(parts) if parts else None


def humanise(value: Any) -> str:
    """``FAMILY_OR_CARER`` -> ``Family or carer``; ``riskToLife`` -> ``Risk to life``;
    ``CQC_LIKELY_FAILURE_NOTICE`` -> ``CQC likely failure notice``; names with spaces unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value)
    if text in SPECIAL:
        return SPECIAL[text]
    if " " in text.strip() or not text:
        return text  # already words: a name or a sentence
    spoken = duration_words(text)
    if spoken:
        return spoken
    if text.isupper() or "_" in text:
        tokens = [t for t in text.split("_") if t]
    else:
        tokens = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+", text) or [text]
    words = []
    for token in tokens:
        low = token.lower()
        if low in ACRONYMS:
            words.append(SPECIAL.get(low, token.upper()))
        elif low in PROPER:
            words.append(PROPER[low])
        elif token.isupper() and len(token) > 1 and not text.isupper() and "_" not in text:
            words.append(token)  # an acronym inside camelCase: cqcProviderId keeps "CQC"? only if written so
        else:
            words.append(low)
    sentence = " ".join(words)
    return sentence if sentence.startswith("s.") else sentence[:1].upper() + sentence[1:]  # "s.117" stays


_MESSAGE_CODE = re.compile(r"(M\d+[a-z]?(?:/M\d+[a-z]?)*)(?:_(\w+))?", re.IGNORECASE)


def message_label(template: str | None) -> str:
    """``urgent_referral`` -> ``Urgent referral``; a catalogue code keeps its letters and its name
    reads as words: ``M4_NeighbourAuthorityAlert`` -> ``M4: Neighbour authority alert``."""
    if not template:
        return "a message"
    if template in MESSAGE_TEMPLATES:
        return MESSAGE_TEMPLATES[template]
    coded = _MESSAGE_CODE.fullmatch(template)
    if coded:
        code, name = coded.group(1).upper(), coded.group(2)
        return f"{code}: {humanise(name)}" if name else code
    return humanise(template)


def recipient_label(value: str | None) -> str:
    """Who a message went to: an address or a name as written; a role's code as words
    (``CARER_OR_REPRESENTATIVE`` -> ``Carer or representative``, ``sqip`` -> ``SQIP``)."""
    if not value:
        return ""
    if "@" in value or " " in value.strip():
        return value
    return humanise(value)
