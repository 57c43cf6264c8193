"""A partitioned kind's partition count, fixed by its first file.

Keys hash to partitions, so a different count would look for objects in the wrong files.
The count is written beside the files on first start; a host asked to run another count
refuses to start rather than lose sight of data.
"""

import json
import uuid
from pathlib import Path

from durable.errors import RuntimeFault


class LayoutMismatch(RuntimeFault):
    code = "layout_mismatch"


def fix_partitions(state_dir: str, kind: str, partitions: int) -> None:
    """Records `partitions` for `kind`, or checks it against the recorded count.

    Raises:
        LayoutMismatch: the kind's files were made with another partition count.
    """
    folder = Path(state_dir) / kind
    folder.mkdir(parents=True, exist_ok=True)
    layout = folder / "layout.json"
    if layout.exists():
        recorded = json.loads(layout.read_text())["partitions"]
    else:  # files from before layouts were recorded: every partition's file exists
        recorded = len(list(folder.glob("p*.sqlite"))) or partitions
    if recorded != partitions:
        raise LayoutMismatch(
            f"{kind} has {recorded} partitions in {folder}, not {partitions}:"
            " partition counts never change once data exists"
        )
    if layout.exists():
        return
    temporary = folder / f"layout.{uuid.uuid4().hex}.tmp"  # hosts of a group start at once
    temporary.write_text(json.dumps({"partitions": partitions}))
    temporary.replace(layout)
