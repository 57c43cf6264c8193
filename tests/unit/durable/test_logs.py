"""Log lines are JSON and carry the correlation id of the call being served."""

import json
import logging

from durable.observe.correlation import correlation_id
from durable.observe.logs import JsonFormatter


def record(message: str, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord(
        "durable.host.actor", logging.WARNING, __file__, 1, message, None, exc_info
    )


def test_a_log_line_is_json_with_the_correlation_id() -> None:
    token = correlation_id.set("corr-42")
    try:
        line = json.loads(JsonFormatter().format(record("reserve failed")))
    finally:
        correlation_id.reset(token)
    assert line["correlation_id"] == "corr-42"
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "durable.host.actor",
        "reserve failed",
    )
    assert line["at"].endswith("Z")


def test_an_error_keeps_its_traceback() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        line = json.loads(JsonFormatter().format(record("oops", sys.exc_info())))
    assert "ValueError: bad" in line["error"]
