import json
import logging

from bot.logs import REQUEST_ID, JsonFormatter, SecretFilter, new_request_id


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    return logging.LogRecord("swarmbot.test", logging.INFO, __file__, 1, message, args or None, None)


def test_tokens_and_configured_secrets_never_reach_the_log():
    secret_filter = SecretFilter(["my-signing-secret-123"])
    entry = record(
        "calling %s with %s and secret %s", "xoxb-1234-abcd", "xapp-1-A1-xyz", "my-signing-secret-123"
    )
    secret_filter.filter(entry)
    text = entry.getMessage()
    assert "xoxb-" not in text and "xapp-" not in text and "my-signing-secret-123" not in text
    assert text.count("[secret]") == 3


def test_short_or_empty_secrets_do_not_mask_ordinary_words():
    secret_filter = SecretFilter(["", "abc"])
    entry = record("abc is fine")
    secret_filter.filter(entry)
    assert entry.getMessage() == "abc is fine"


def test_json_lines_carry_the_request_id():
    token = REQUEST_ID.set("-")
    try:
        request_id = new_request_id()
        entry = record("opened %s", "ZD-1")
        SecretFilter().filter(entry)
        line = json.loads(JsonFormatter().format(entry))
        assert line["request_id"] == request_id
        assert line["message"] == "opened ZD-1"
        assert line["level"] == "INFO" and line["logger"] == "swarmbot.test"
    finally:
        REQUEST_ID.reset(token)
