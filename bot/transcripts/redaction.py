"""Redaction before a transcript is stored: card numbers always; e-mails, phones, custom patterns on request.

What is matched, exactly:

- **Card numbers**: 13 to 19 digits that pass the Luhn check. The digits may be written in groups joined by
  one space, no-break space or dash ("4111 1111 1111 1111", "3782-822463-10005"); any run of whole groups
  counts, so a card followed by an expiry year is still found, and overlapping runs are redacted as one. An
  unbroken run of digits counts only when the whole run is 13 to 19 digits long, so longer ids survive, as
  does whatever fails Luhn (Slack timestamps, order numbers; a 13-digit number that passes Luhn by chance,
  one in ten, is redacted: a false alarm costs less than a leaked card). → "[card redacted]"
- **E-mail addresses** (SWARMBOT_REDACT_EMAILS): local@domain.tld with a letters-only top-level domain.
  → "[email redacted]"
- **Phone numbers** (SWARMBOT_REDACT_PHONES), conservatively, never a bare run of digits:
  international "+CC …" with 8 to 15 digits in groups; North American "(415) 555-2671", "415-555-2671",
  "415.555.2671", "415 555 2671" (one separator, used twice); national numbers with a trunk 0 written in
  groups with one separator ("020 7946 0958", "06 12 34 56 78", "0800-123456"), 9 to 12 digits.
  → "[phone redacted]"
- **Custom patterns** (SWARMBOT_REDACT_PATTERNS, Python regular expressions) → "[redacted]".

Redaction runs until nothing more matches, so `redact` is idempotent: redacting redacted text changes
nothing and counts nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from bot.errors import ConfigurationError

CARD = "[card redacted]"
EMAIL = "[email redacted]"
PHONE = "[phone redacted]"
CUSTOM = "[redacted]"
PLACEHOLDERS = (CARD, EMAIL, PHONE, CUSTOM)

CARD_MIN_DIGITS, CARD_MAX_DIGITS = 13, 19
# A removal can make a new match appear next to a placeholder (a lookbehind that saw a digit now sees "]"):
# passes repeat until one changes nothing. Two passes settle real text; the cap guards odd custom patterns.
MAX_PASSES = 8

# Groups of digits joined by single separators; each chain is searched for runs of whole groups. ASCII
# digits only: card numbers are typed so, and `\d` would also match digits of other scripts ("᱐").
_DIGIT_CHAIN = re.compile(r"[0-9]+(?:[ \-\u00a0][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"  # start at a token boundary: a long word is scanned once, not once per letter
    r"[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(?![A-Za-z0-9\-])"
)

_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[.\-])"  # not glued to a word or to digits before
    r"(?:"
    r"(?P<intl>\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,4}\)?){2,6})"
    r"|(?P<nanp>\(\d{3}\)[ ]?\d{3}[ .\-]\d{4}|\d{3}(?P<sep>[ .\-])\d{3}(?P=sep)\d{4})"
    r"|(?P<national>0\d{1,4}(?P<nsep>[ \-])\d{2,6}(?:(?P=nsep)\d{2,6}){0,3})"
    r")"
    r"(?!\w|[.\-]\d)"  # not glued to a word or to digits after
)
_PHONE_DIGITS = {"intl": (8, 15), "nanp": (10, 10), "national": (9, 12)}
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # Luhn: a doubled digit, its digits summed


class RedactionSettings(Protocol):
    """The settings redaction reads (bot.config.Settings has them)."""

    @property
    def swarmbot_redact_emails(self) -> bool: ...
    @property
    def swarmbot_redact_phones(self) -> bool: ...
    @property
    def swarmbot_redact_patterns(self) -> Sequence[str]: ...


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check that card numbers carry."""
    values = [ord(char) - 48 for char in reversed(digits)]
    return (sum(values[0::2]) + sum(_DOUBLED[value] for value in values[1::2])) % 10 == 0


class Redactor:
    """Replaces card numbers (always) and, as configured, e-mails, phones and custom patterns."""

    def __init__(self, *, emails: bool = False, phones: bool = False, patterns: Iterable[str] = ()) -> None:
        self.emails = emails
        self.phones = phones
        self.patterns = tuple(_compile(pattern) for pattern in patterns)

    @classmethod
    def from_settings(cls, settings: RedactionSettings) -> Redactor:
        """The redactor that SWARMBOT_REDACT_EMAILS, _PHONES and _PATTERNS ask for."""
        return cls(
            emails=settings.swarmbot_redact_emails,
            phones=settings.swarmbot_redact_phones,
            patterns=settings.swarmbot_redact_patterns,
        )

    def redact(self, text: str) -> tuple[str, int]:
        """`text` with every match replaced by its placeholder, and how many replacements were made."""
        total = 0
        for _ in range(MAX_PASSES):
            text, count = self._pass(text)
            total += count
            if count == 0:
                break
        return text, total

    def _pass(self, text: str) -> tuple[str, int]:
        text, count = _redact_cards(text)
        if self.emails and "@" in text:
            text, found = _EMAIL.subn(EMAIL, text)
            count += found
        if self.phones:
            text, found = _redact_phones(text)
            count += found
        for pattern in self.patterns:
            text, found = pattern.subn(CUSTOM, text)
            count += found
        return text, count


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ConfigurationError(
            f"SWARMBOT_REDACT_PATTERNS: `{pattern}` is not a valid regular expression ({error})."
        ) from error
    if compiled.fullmatch(""):
        raise ConfigurationError(
            f"SWARMBOT_REDACT_PATTERNS: `{pattern}` matches empty text, so it would redact everywhere."
        )
    if any(compiled.search(placeholder) for placeholder in PLACEHOLDERS):
        raise ConfigurationError(
            f"SWARMBOT_REDACT_PATTERNS: `{pattern}` matches swarmbot's own placeholders "
            f"({', '.join(PLACEHOLDERS)}); make it more specific."
        )
    return compiled


def _redact_cards(text: str) -> tuple[str, int]:
    if sum(char.isdigit() for char in text) < CARD_MIN_DIGITS:
        return text, 0
    pieces: list[str] = []
    count = 0
    last = 0
    for chain in _DIGIT_CHAIN.finditer(text):
        for start, end in _card_spans(chain.group()):
            pieces.append(text[last : chain.start() + start])
            pieces.append(CARD)
            last = chain.start() + end
            count += 1
    if not count:
        return text, 0
    pieces.append(text[last:])
    return "".join(pieces), count


def _card_spans(chain: str) -> list[tuple[int, int]]:
    """(start, end) offsets in `chain` to redact: every run of whole digit groups that is a card number.

    Runs that overlap are redacted together, so a card next to another number is never cut short by a run
    that borrows that number's digits ("12 5555-5555-5555-4444" leaves no "4444" behind). What is left
    holds only runs that were tried and failed, which is why another pass finds nothing new.
    """
    groups = [(match.start(), match.end()) for match in _GROUP.finditer(chain)]
    luhn = _LuhnSums("".join(chain[s:e] for s, e in groups))
    bounds = [0]  # digit offsets of the groups in the joined digits
    for s, e in groups:
        bounds.append(bounds[-1] + e - s)
    merged: list[list[int]] = []  # [first group, last group] of each redaction
    for first in range(len(groups)):
        last = first
        while last < len(groups) and bounds[last + 1] - bounds[first] <= CARD_MAX_DIGITS:
            if bounds[last + 1] - bounds[first] >= CARD_MIN_DIGITS and luhn.valid(
                bounds[first], bounds[last + 1]
            ):
                if merged and first <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], last)
                else:
                    merged.append([first, last])
            last += 1
    return [(groups[first][0], groups[last][1]) for first, last in merged]


class _LuhnSums:
    """Prefix sums that answer "does digits[a:b] pass Luhn?" in constant time (long chains stay linear)."""

    def __init__(self, digits: str) -> None:
        # plain[p][i]: sum of digits[:i] at positions of parity p; doubled[p][i] the same, Luhn-doubled.
        self.plain = ([0], [0])
        self.doubled = ([0], [0])
        for position, char in enumerate(digits):
            value = ord(char) - 48
            for parity in (0, 1):
                hit = position % 2 == parity
                self.plain[parity].append(self.plain[parity][-1] + (value if hit else 0))
                self.doubled[parity].append(self.doubled[parity][-1] + (_DOUBLED[value] if hit else 0))

    def valid(self, start: int, end: int) -> bool:
        # Counting from the right end, the last digit is kept and every second one to its left is doubled.
        kept = (end - 1) % 2
        total = self.plain[kept][end] - self.plain[kept][start]
        total += self.doubled[1 - kept][end] - self.doubled[1 - kept][start]
        return total % 10 == 0


def _redact_phones(text: str) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        kind = next(name for name in _PHONE_DIGITS if match.group(name))
        low, high = _PHONE_DIGITS[kind]
        if not low <= sum(char.isdigit() for char in match.group()) <= high:
            return match.group()
        count += 1
        return PHONE

    return _PHONE.sub(replace, text), count
