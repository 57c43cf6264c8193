"""JSON log lines with the correlation id of the call being served (ARCHITECTURE §10), so one
checkout can be followed through every host it touched."""

import json
import logging
import sys
import time

from durable.observe.correlation import correlation_id

OUR_LOGGERS = ("actors", "sagas", "storage", "serve_app")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": correlation_id.get(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def log_json(level: int = logging.INFO) -> None:
    """Sends our loggers' records to stderr as JSON lines (Ray keeps a host's stderr in its
    log files and shows them in the dashboard)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in OUR_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
