"""Volumes (ARCHITECTURE §13.1): directories on durable storage, each mounted by one node at a
time, that hold the files of the partitions and dedicated objects placed on them.

A node mounting volume `v` at `<state root>/<v>` advertises the Ray resource
`rayshop_volume_<v>`; a host whose files are on `v` asks for a sliver of it, so Ray starts the
host wherever `v` is mounted now. A Ray without any volume resource (the embedded default, a
test's local Ray) holds every volume itself.
"""

import json
import re
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from durable.errors import RuntimeFault

HOME_VOLUME = "v0"
"""The volume of the embedded default, and of the partition map unless configured otherwise."""
RESOURCE_PREFIX = "rayshop_volume_"
MARKER = "volume.json"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class VolumeMismatch(RuntimeFault):
    """A directory holds another volume than the one asked for, or files of a layout older
    than volumes that nobody moved into one."""

    code = "volume_mismatch"


def check_volume_name(name: str) -> str:
    """`name`, if it can name a volume (a directory and a Ray resource name); else ValueError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{name!r} is not a volume name (lower-case letters, digits, - and _)")
    return name


def volume_dir(root: str, volume: str) -> Path:
    return Path(root) / check_volume_name(volume)


def volume_resource(volume: str) -> str:
    return RESOURCE_PREFIX + check_volume_name(volume)


def advertised_volumes(resources: Mapping[str, float]) -> list[str]:
    """The volumes a Ray cluster (or node) advertises, from its resources."""
    return sorted(
        name.removeprefix(RESOURCE_PREFIX)
        for name, amount in resources.items()
        if name.startswith(RESOURCE_PREFIX) and amount > 0
    )


def resources_for(volume: str, volumes_advertised: bool) -> dict[str, float]:
    """What a host with files on `volume` asks Ray for: a sliver of the volume, where nodes
    advertise volumes; nothing on a Ray that holds every volume itself."""
    return {volume_resource(volume): 0.001} if volumes_advertised else {}


def claim_volume(root: str, volume: str) -> Path:
    """The volume's directory, made and marked on first use; refuses a directory marked as
    another volume (a disk mounted at the wrong place would otherwise be served as this one)."""
    folder = volume_dir(root, volume)
    marker = folder / MARKER
    if marker.exists():
        found = json.loads(marker.read_text())["volume"]
        if found != volume:
            raise VolumeMismatch(f"{folder} holds volume {found!r}, not {volume!r}")
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{MARKER}.{uuid.uuid4().hex}.tmp"  # hosts of a volume start at once
    temporary.write_text(json.dumps({"volume": volume}))
    temporary.replace(marker)
    return folder


def legacy_kind_dirs(root: str, kinds: Iterable[str]) -> list[Path]:
    """Kind directories straight under the root, as written before volumes existed."""
    found = []
    for kind in kinds:
        folder = Path(root) / kind
        if folder.is_dir() and not (folder / MARKER).exists() and any(folder.glob("*.sqlite")):
            found.append(folder)
    return found


def refuse_legacy_layout(root: str, kind: str) -> None:
    """Raises if `kind` still has files where versions before volumes kept them: a host must
    not start empty beside them and look as if the data were gone."""
    if legacy_kind_dirs(root, [kind]):
        raise VolumeMismatch(
            f"{Path(root) / kind} holds {kind} files written before volumes existed;"
            " `rayshop migrate-state` (or `rayshop up`) moves them into volume"
            f" {HOME_VOLUME!r} while nothing runs"
        )


def migrate_legacy_layout(root: str, kinds: Iterable[str], volume: str = HOME_VOLUME) -> list[str]:
    """Moves kind directories written before volumes into `volume` (a rename: same disk, and
    nothing is copied); returns the kinds moved. Run only while no host runs.

    Raises:
        VolumeMismatch: a kind has files in both places; an operator must say which are real.
    """
    moved = []
    for folder in legacy_kind_dirs(root, kinds):
        target = claim_volume(root, volume) / folder.name
        if target.exists() and any(target.glob("*.sqlite")):
            raise VolumeMismatch(
                f"{folder.name} has files both in {folder} and in {target}; move one aside"
            )
        if target.exists():  # made by a host that found nothing yet: a layout record at most
            shutil.rmtree(target)
        folder.replace(target)
        moved.append(folder.name)
    return moved
