"""`rayshop`: start, inspect and stop a local shop (ARCHITECTURE §10, embedded default)."""

import argparse
import asyncio
import json
import os
import shlex
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import ray
from ray import serve

from bootstrap import SHOP, connect_shop
from durable import (
    LocalRay,
    PartitionMap,
    PlacementRefused,
    RuntimeConfig,
    Step,
    drain,
    migrate_legacy_layout,
    partition_stats,
    partitions_report,
    rebalance,
    scale,
    step_report,
    volume_mounts,
    volumes_report,
)
from serve_app.companies_migration import move_legacy_companies
from serve_app.demo import seed
from serve_app.front_door import front_door_env, remove_run_dir
from serve_app.gateway import start_gateway
from serve_app.settings import GatewaySettings

LOCALHOST = "127.0.0.1"
RATE_WINDOW_S = 1.0
TRY_IT = (
    '-c "import asyncio; from actors.cart import Cart; from bootstrap import connect_shop; '
    "cart = connect_shop()(Cart).get('demo'); "
    "print(asyncio.run(cart.call(Cart.add_product, sku='TEA-01', quantity=2)))\""
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rayshop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start local Ray, the hosts, the API and demo data")
    up.add_argument("--dashboard-port", type=int, default=8265)
    up.add_argument("--api-port", type=int, default=8000)
    commands.add_parser("seed", help="put the demo data into an empty running shop")
    commands.add_parser("status", help="show the hosts of a running shop")
    commands.add_parser("down", help="stop the local Ray that `up` started for this state")
    commands.add_parser(
        "migrate-state",
        help="move state written before volumes into the home volume (while nothing runs)",
    )
    commands.add_parser("volumes", help="show the volumes of a running shop and what they hold")
    commands.add_parser("partitions", help="show which host of which volume serves each partition")
    scaling = commands.add_parser("scale", help="GROUP=N: host processes per volume, live")
    scaling.add_argument("target", metavar="GROUP=N")
    scaling.add_argument("--dry-run", action="store_true", help="show the moves, make none")
    balancing = commands.add_parser("rebalance", help="even out state over the volumes")
    balancing.add_argument("--volumes", help="comma-separated (default: every mounted volume)")
    balancing.add_argument("--dry-run", action="store_true", help="show the moves, make none")
    draining = commands.add_parser("drain", help="move every partition and object off a volume")
    draining.add_argument("volume")
    draining.add_argument("--dry-run", action="store_true", help="show the moves, make none")
    commands.add_parser(
        "front-door-env",
        help="print the exports a node's `ray start` needs to serve HTTP as the shop does",
    )
    args = parser.parse_args(argv)
    command = {
        "up": _up,
        "seed": _seed,
        "status": _status,
        "down": _down,
        "migrate-state": _migrate_state,
        "volumes": _volumes,
        "partitions": _partitions,
        "scale": _scale,
        "rebalance": _rebalance,
        "drain": _drain,
        "front-door-env": _front_door_env,
    }[args.command]
    return command(args)


def _up(args: argparse.Namespace) -> int:
    config = RuntimeConfig.from_env()
    local = LocalRay(Path(config.state_dir))
    context = _join_shop_ray(config)
    if context is None:
        _print_migrated(migrate_legacy_layout(config.state_dir, _kind_names(), config.home_volume))
        front_door = front_door_env()
        local.start(args.dashboard_port, front_door)
        _front_door_record(config).write_text(json.dumps(front_door))
        context = _join_shop_ray(config)
    if context is None:
        raise SystemExit("Ray started but cannot be reached")
    shop = connect_shop(config=config)
    shop.ensure_hosts()  # before anyone calls: alarms fire, outboxes drain, sagas resume
    companies = asyncio.run(move_legacy_companies(shop))
    if companies:
        print(f"moved {companies} companies into company objects")
    start_gateway(config, GatewaySettings.from_env(), args.api_port)
    accounts = asyncio.run(seed(shop))
    processes = {pid for pids in shop.ensure_hosts().values() for pid in pids}
    api = f"http://{LOCALHOST}:{args.api_port}"
    print(f"rayshop is up; state in {config.state_dir} ({len(processes)} host processes)")
    print(f"  API:           {api}/api  (health: {api}/health/ready)")
    print(f"  API docs:      {api}/docs")
    print(f"  Ray dashboard: http://{context.dashboard_url}")
    _print_accounts(accounts)
    print(f"  Call an object from Python: {_beside_python('python')} {TRY_IT}")
    print(f"  Stop:          {_beside_python('rayshop')} down")
    return 0


def _seed(args: argparse.Namespace) -> int:
    if _join_shop_ray(RuntimeConfig.from_env()) is None:
        print(f"rayshop is not running (start it with `{_beside_python('rayshop')} up`)")
        return 1
    _print_accounts(asyncio.run(seed(connect_shop(config=RuntimeConfig.from_env()))))
    return 0


def _print_accounts(accounts: dict[str, str] | None) -> None:
    if accounts is None:
        print("  Demo data: already there (passwords were printed when it was made)")
        return
    print("  Demo accounts (passwords shown this once):")
    for email, password in accounts.items():
        print(f"    {email:<24} {password}")


def _status(args: argparse.Namespace) -> int:
    """The object hosts, and each Serve deployment's status and replicas, as JSON."""
    if _join_shop_ray(RuntimeConfig.from_env()) is None:
        print(f"rayshop is not running (start it with `{_beside_python('rayshop')} up`)")
        return 1
    hosts = [
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["namespace"] == SHOP.namespace
    ]
    applications = {
        name: {
            "status": app.status.value,
            "deployments": {
                deployment: {"status": found.status.value, "replicas": found.replica_states}
                for deployment, found in app.deployments.items()
            },
        }
        for name, app in serve.status().applications.items()
    }
    print(json.dumps({"hosts": sorted(hosts), "serve": applications}, indent=2))
    return 0


def _down(args: argparse.Namespace) -> int:
    """Stops the Ray that `up` started for this state directory, and no other."""
    config = RuntimeConfig.from_env()
    stopped = LocalRay(Path(config.state_dir)).stop()
    record = _front_door_record(config)
    if record.exists():
        remove_run_dir(json.loads(record.read_text()))
        record.unlink()
    print(f"rayshop is down ({stopped} processes stopped)" if stopped else "rayshop is not running")
    return 0


def _migrate_state(args: argparse.Namespace) -> int:
    """Moves kind directories from before volumes into the home volume; refuses while the
    shop's Ray runs (its hosts hold those files open)."""
    config = RuntimeConfig.from_env()
    if LocalRay(Path(config.state_dir)).address() is not None:
        print(f"rayshop is running; stop it first (`{_beside_python('rayshop')} down`)")
        return 1
    moved = migrate_legacy_layout(config.state_dir, _kind_names(), config.home_volume)
    _print_migrated(moved)
    if not moved:
        print(f"nothing to move: {config.state_dir} is already laid out in volumes")
    return 0


def _print_migrated(moved: list[str]) -> None:
    if moved:
        print(f"moved the files of {', '.join(sorted(moved))} into the home volume")


def _kind_names() -> list[str]:
    return [kind.kind for kind in SHOP.kinds]


def _volumes(args: argparse.Namespace) -> int:
    """Per volume: the node that mounts it, and the partitions and objects on it."""
    current = _placement_map()
    if current is None:
        return 1
    print(json.dumps(volumes_report(current, volume_mounts()), indent=2))
    return 0


def _partitions(args: argparse.Namespace) -> int:
    """Per collection, the host serving each partition, its size and its calls per second
    (counted over one second), as the partition map has it now."""
    current = _placement_map()
    if current is None:
        return 1
    report = asyncio.run(_partitions_with_rates(current))
    print(json.dumps(report, indent=2))
    return 0


async def _partitions_with_rates(current: PartitionMap) -> dict[str, Any]:
    shop = connect_shop(config=RuntimeConfig.from_env())
    before = await partition_stats(shop, current)
    await asyncio.sleep(RATE_WINDOW_S)
    after = await partition_stats(shop, current)
    report = partitions_report(current, after)
    for name, rows in report["collections"].items():
        for row in rows:
            earlier = before.get(name, {}).get(row["partition"], (0, 0))[1]
            row["calls_per_s"] = max(row.pop("calls") - earlier, 0) / RATE_WINDOW_S
    return report


def _scale(args: argparse.Namespace) -> int:
    """`rayshop scale shop=4`: host processes of a group on the volumes it uses, live."""
    collection, _, count = args.target.partition("=")
    if not collection or not count.lstrip("-").isdigit():
        print(f"scale takes GROUP=N, such as shop=4, not {args.target!r}", file=sys.stderr)
        return 2
    return _place(
        lambda shop, progress: scale(
            shop, collection, int(count), dry_run=args.dry_run, progress=progress
        ),
        args.dry_run,
    )


def _rebalance(args: argparse.Namespace) -> int:
    """Spreads partitions and dedicated objects evenly over the mounted volumes (or those
    named), live."""
    volumes = [v for v in (args.volumes or "").split(",") if v] or None
    return _place(
        lambda shop, progress: rebalance(shop, volumes, dry_run=args.dry_run, progress=progress),
        args.dry_run,
    )


def _drain(args: argparse.Namespace) -> int:
    """Moves every partition and object off a volume, before its node is taken away."""
    return _place(
        lambda shop, progress: drain(shop, args.volume, dry_run=args.dry_run, progress=progress),
        args.dry_run,
    )


def _place(
    plan: Callable[[Any, Callable[[int, int, Step], None]], Coroutine[Any, Any, list[Step]]],
    dry_run: bool,
) -> int:
    config = RuntimeConfig.from_env()
    if _join_shop_ray(config) is None:
        print(f"rayshop is not running (start it with `{_beside_python('rayshop')} up`)")
        return 1
    try:
        steps = asyncio.run(plan(connect_shop(config=config), _progress_bar))
    except (PlacementRefused, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    verb = "would move" if dry_run else "moved"
    print(json.dumps({verb: [step_report(step) for step in steps]}, indent=2))
    return 0


def _progress_bar(done: int, total: int, step: Step) -> None:
    width = 30
    filled = width * done // total
    move = step_report(step)
    print(
        f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        f" {move['collection']} p{move['partition']}: {move['source']} -> {move['target']}",
        file=sys.stderr,
        flush=True,
    )


def _placement_map() -> PartitionMap | None:
    config = RuntimeConfig.from_env()
    if _join_shop_ray(config) is None:
        print(f"rayshop is not running (start it with `{_beside_python('rayshop')} up`)")
        return None
    return asyncio.run(connect_shop(config=config).placement.refresh())


def _front_door_env(args: argparse.Namespace) -> int:
    """For a cluster node: `eval "$(rayshop front-door-env)"` before `ray start` gives its
    Ray the front door `up` gives a local one (HAProxy, its wrapper and files, ports)."""
    for name, value in front_door_env().items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def _front_door_record(config: RuntimeConfig) -> Path:
    """Where `up` keeps the front door's settings, so `down` removes HAProxy's files too."""
    return Path(config.state_dir) / "front-door.json"


def _join_shop_ray(config: RuntimeConfig) -> Any:
    """Connects to the Ray that `up` started for this state; None if it is not running."""
    address = LocalRay(Path(config.state_dir)).address()
    if address is None:
        return None
    return ray.init(address=address, namespace=SHOP.namespace, log_to_driver=False)


def _beside_python(command: str) -> str:
    """How to call `command` from here: the one beside this Python (often in `.venv/bin`,
    which is not on PATH), else the name alone."""
    beside = Path(sys.executable).parent / command
    if not beside.exists():
        return command
    relative = os.path.relpath(beside)
    return str(beside) if relative.startswith("..") else relative


if __name__ == "__main__":
    sys.exit(main())
