"""`rayshop`: start, inspect and stop a local shop (ARCHITECTURE §10, embedded default)."""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import ray
from ray import serve

from actors.config import NAMESPACE, RuntimeConfig
from sagas.registry import connect
from serve_app.demo import seed
from serve_app.gateway import start_gateway
from serve_app.settings import GatewaySettings

LOCALHOST = "127.0.0.1"
TRY_IT = (
    '-c "import asyncio; from sagas.registry import connect; '
    "print(asyncio.run(connect().carts.get('demo').add_product(sku='TEA-01', quantity=2)))\""
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rayshop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start local Ray, the hosts, the API and demo data")
    up.add_argument("--dashboard-port", type=int, default=8265)
    up.add_argument("--api-port", type=int, default=8000)
    commands.add_parser("seed", help="put the demo data into an empty running shop")
    commands.add_parser("status", help="show the hosts of a running shop")
    commands.add_parser("down", help="stop the local Ray started by `up`")
    args = parser.parse_args(argv)
    return {"up": _up, "seed": _seed, "status": _status, "down": _down}[args.command](args)


def _up(args: argparse.Namespace) -> int:
    config = RuntimeConfig.from_env()
    context = _join_running_ray()
    if context is None:
        _start_ray_head(args.dashboard_port)
        context = _join_running_ray()
    if context is None:
        raise SystemExit("Ray started but cannot be reached")
    shop = connect(config=config)
    processes = {pid for pids in shop.ensure_hosts().values() for pid in pids}
    start_gateway(config, GatewaySettings.from_env(), args.api_port)
    accounts = asyncio.run(seed(shop))
    api = f"http://{LOCALHOST}:{args.api_port}"
    print(f"rayshop is up; state in {config.state_dir} ({len(processes)} host processes)")
    print(f"  API:           {api}/api  (health: {api}/health/ready)")
    print(f"  API docs:      {api}/docs")
    print(f"  Ray dashboard: http://{context.dashboard_url}")
    _print_accounts(accounts)
    print(f"  Call an object from Python: {os.path.relpath(sys.executable)} {TRY_IT}")
    print("  Stop: rayshop down")
    return 0


def _seed(args: argparse.Namespace) -> int:
    if _join_running_ray() is None:
        print("rayshop is not running (start it with `rayshop up`)")
        return 1
    _print_accounts(asyncio.run(seed(connect(config=RuntimeConfig.from_env()))))
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
    if _join_running_ray() is None:
        print("rayshop is not running (start it with `rayshop up`)")
        return 1
    hosts = [
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["namespace"] == NAMESPACE
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
    subprocess.run([_ray_command(), "stop"], check=False)
    return 0


def _join_running_ray() -> Any:
    """Connects to the local Ray if one runs; None if there is none."""
    try:
        return ray.init(address="auto", namespace=NAMESPACE, log_to_driver=False)
    except ConnectionError:
        return None


def _start_ray_head(dashboard_port: int) -> None:
    """A head node bound to 127.0.0.1, with the `state` resource that hosts ask for."""
    started = subprocess.run(
        [
            _ray_command(),
            "start",
            "--head",
            f"--node-ip-address={LOCALHOST}",
            f"--dashboard-host={LOCALHOST}",
            f"--dashboard-port={dashboard_port}",
            "--resources",
            json.dumps({"state": 1}),
            "--disable-usage-stats",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )
    if started.returncode != 0:
        sys.stderr.write(started.stdout + started.stderr)
        raise SystemExit(f"could not start Ray (exit {started.returncode})")


def _ray_command() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "ray")
    return beside if os.path.exists(beside) else (shutil.which("ray") or "ray")


if __name__ == "__main__":
    sys.exit(main())
