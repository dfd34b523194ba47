"""Redaction: card numbers (Luhn-checked) always; e-mails, phones and custom patterns when configured."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.errors import ConfigurationError
from bot.transcripts import Redactor


def luhn(digits: str) -> bool:
    """Luhn written out plainly, independent of the code under test."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn(body + d))


def card_like_runs(text: str) -> list[str]:
    """Every run of whole digit groups (joined by one space or dash) of 13–19 digits passing Luhn."""
    found = []
    for chain in re.finditer(r"\d+(?:[ \-\u00a0]\d+)*", text):
        groups = re.findall(r"\d+", chain.group())
        for first in range(len(groups)):
            for last in range(first, len(groups)):
                digits = "".join(groups[first : last + 1])
                if 13 <= len(digits) <= 19 and luhn(digits):
                    found.append(digits)
    return found


@pytest.mark.parametrize(
    "card",
    [
        "4111111111111111",  # Visa
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555 5555 5555 4444",  # Mastercard
        "3782 822463 10005",  # Amex, 4-6-5
        "378282246310005",
        "6011 0009 9013 9424",  # Discover
        "4222222222222",  # 13 digits
        "6304 0000 0000 0000 018",  # 19 digits
        "4111\u00a01111\u00a01111\u00a01111",  # no-break spaces, as pasted from a web page
    ],
)
def test_luhn_valid_card_numbers_are_redacted_in_every_usual_format(card):
    text, count = Redactor().redact(f"card: {card}, exp 12/27")
    assert text == "card: [card redacted], exp 12/27" and count == 1


@pytest.mark.parametrize(
    "kept",
    [
        "4111 1111 1111 1112",  # fails Luhn
        "4111111111111112",
        "1732280000.000100",  # a Slack ts
        "2026-11-23T15:00:00Z",
        "order 100234556",
        "12345678901234567890",  # 20 digits: an id, not a card
        "ZD-4521",
        "+1 415 555 2671",  # a phone, kept unless phones are redacted
        "bob@example.com",  # kept unless e-mails are redacted
        "192.168.100.200",
    ],
)
def test_numbers_that_are_not_cards_are_kept(kept):
    assert Redactor().redact(kept) == (kept, 0)


def test_a_card_next_to_other_digit_groups_is_still_found_whole():
    text, count = Redactor().redact("4111 1111 1111 1111 2027 and 12 5555-5555-5555-4444")
    # "12 5555 5555 5555" happens to pass Luhn too: the overlapping runs go as one, no "4444" is left over.
    assert text == "[card redacted] 2027 and [card redacted]" and count == 2


def test_emails_only_when_enabled():
    message = "write to Jane.Doe+acme@mail.example.co.uk or ops@acme.io."
    assert Redactor().redact(message) == (message, 0)
    assert Redactor(emails=True).redact(message) == (
        "write to [email redacted] or [email redacted].",
        2,
    )


@pytest.mark.parametrize(
    "phone",
    [
        "+1 415 555 2671",
        "+1 (415) 555-2671",
        "+44 20 7946 0958",
        "+33 6 12 34 56 78",
        "+4915112345670",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "415 555 2671",
        "020 7946 0958",
        "07700 900123",
        "06 12 34 56 78",
        "0800-123456",
    ],
)
def test_phones_in_international_and_common_national_formats_when_enabled(phone):
    message = f"call me on {phone} today"
    assert Redactor().redact(message)[0] in (message, message.replace(phone, "[card redacted]"))
    assert Redactor(phones=True).redact(message) == ("call me on [phone redacted] today", 1)


@pytest.mark.parametrize(
    "kept",
    [
        "2026-11-23",
        "01-22-2026",
        "version 1.2.3",
        "10.0.0.1",
        "order 4155552671",  # a bare run of digits is no phone
        "ids 415-555-26711",
        "15:00 UTC",
        "+1",
        "3 + 4 = 7",
        "1732280000.000100",
    ],
)
def test_phone_redaction_is_conservative(kept):
    assert Redactor(phones=True).redact(kept) == (kept, 0)


def test_custom_patterns_and_counts():
    redactor = Redactor(patterns=[r"ACME-\d{6}", r"(?i)password:\s*\S+"])
    text, count = redactor.redact("ACME-123456 and acme-654321, Password: hunter2 and card 4111111111111111")
    assert text == "[redacted] and acme-654321, [redacted] and card [card redacted]"
    assert count == 3


def test_redactor_from_settings():
    configured = Settings(
        _env_file=None,
        swarmbot_redact_emails=True,
        swarmbot_redact_phones=False,
        swarmbot_redact_patterns=[r"TKT-\d+"],
    )
    redactor = Redactor.from_settings(configured)
    assert redactor.redact("a@b.io TKT-9 +1 415 555 2671") == (
        "[email redacted] [redacted] +1 415 555 2671",
        2,
    )


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("ACME-(\\d{6}", "not a valid regular expression"),
        ("x*", "matches empty text"),
        ("redacted", "placeholders"),
    ],
)
def test_bad_custom_patterns_are_a_configuration_error_naming_the_pattern(pattern, reason):
    with pytest.raises(ConfigurationError) as raised:
        Redactor(patterns=[pattern])
    assert f"`{pattern}`" in str(raised.value) and reason in str(raised.value)
    assert "SWARMBOT_REDACT_PATTERNS" in str(raised.value)


def test_a_message_at_slacks_size_limit_is_redacted_quickly():
    import time

    redactor = Redactor(emails=True, phones=True, patterns=[r"ACME-\d{6}"])
    for text in ("a" * 40_000, "1 " * 20_000, "4111111111111111 " * 2_352, "x@" * 20_000):
        started = time.perf_counter()
        redactor.redact(text)
        assert time.perf_counter() - started < 1.0


# Text made of the pieces that trouble redaction: cards in every format, near-cards, digit runs, separators.
_cards = st.builds(with_check_digit, st.text("0123456789", min_size=12, max_size=18)).flatmap(
    lambda number: st.sampled_from(
        [
            number,
            " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
            "-".join(number[i : i + 4] for i in range(0, len(number), 4)),
        ]
    )
)
_pieces = st.one_of(
    _cards,
    st.text("0123456789", min_size=1, max_size=22),
    st.sampled_from(
        [" ", "-", " - ", ".", "+", "(", ")", "@", "\u00a0", "\n", "x", "card ", "mail a.b@c.io "]
    ),
    st.text(st.characters(codec="utf-8"), max_size=5),
)
_texts = st.lists(_pieces, max_size=30).map("".join)


def test_digits_of_other_scripts_beside_a_card_like_run_are_left_alone():
    text = "ref 0000\u1c50\u1c51 and 4111 1111 1111 1111"  # OL CHIKI DIGITS: digits to `\d`
    once, count = Redactor().redact(text)
    assert (once, count) == ("ref 0000\u1c50\u1c51 and [card redacted]", 1)


@settings(max_examples=400)
@given(_texts)
def test_redacting_is_idempotent_and_leaves_no_luhn_valid_card_run(text):
    redactor = Redactor()
    once, _ = redactor.redact(text)
    assert redactor.redact(once) == (once, 0)
    assert card_like_runs(once) == []


@settings(max_examples=400)
@given(_texts)
def test_with_everything_enabled_redacting_is_still_idempotent_and_card_free(text):
    redactor = Redactor(emails=True, phones=True, patterns=[r"ACME-\d{6}"])
    once, count = redactor.redact(text)
    assert redactor.redact(once) == (once, 0)
    assert card_like_runs(once) == []
    assert (count == 0) == (once == text)
