"""Log lines are JSON and carry the correlation id of the call being served."""

import json
import logging

from actors.correlation import correlation_id
from actors.logs import JsonFormatter


def record(message: str, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("actors.host", logging.WARNING, __file__, 1, message, None, exc_info)


def test_a_log_line_is_json_with_the_correlation_id() -> None:
    token = correlation_id.set("corr-42")
    try:
        line = json.loads(JsonFormatter().format(record("reserve failed")))
    finally:
        correlation_id.reset(token)
    assert line["correlation_id"] == "corr-42"
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "actors.host",
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
