"""``python -m tests.lab serve|demo|scenarios``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.collection_path import collections_path
from tests.lab.lab import Lab, scenario_names

ROOT = Path(__file__).resolve().parents[2]


def _serve(args: argparse.Namespace) -> int:
    lab = Lab(args.scenario, scale=args.scale, https=not args.http, auth=args.auth, kerberos=args.kerberos or None)
    lab.start()
    inventory = lab.write_inventory(args.inventory)
    # With Kerberos, ansible-playbook needs KRB5_CONFIG=<krb5_config> (docs/lab.md).
    print(
        json.dumps(
            {
                "inventory": str(inventory.resolve()),
                "control": lab.control_url,
                **({"krb5_config": lab.kerberos_env()["KRB5_CONFIG"]} if lab.kdc else {}),
            }
        ),
        flush=True,
    )
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: done.set())
    done.wait()
    lab.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    """Start the lab on a scenario and run the main playbook against it."""
    workdir = ROOT / "build" / "demo"
    with Lab(args.scenario, scale=args.scale) as lab:
        inventory = lab.write_inventory(workdir / "inventory.yml")
        print(f"lab: {len(lab.world.hosts)} simulated hosts, control API {lab.control_url}", flush=True)
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(collections_path()),
            ANSIBLE_HOST_KEY_CHECKING="False",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="False",
            LAB_CONTROL_URL=lab.control_url,
        )
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(ROOT / args.playbook)]
        if args.verbose:
            cmd.append("-v")
        rc = subprocess.call(cmd, env=env, cwd=str(ROOT))
        scp = lab.state().get("scp")
        print(f"lab state after the run: scp = {json.dumps(scp, default=str)}")
        return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start every host of a scenario and write an Ansible inventory")
    serve.add_argument("--scenario", default="hierarchy", help=f"a name ({', '.join(scenario_names())}) or a YAML file")
    serve.add_argument("--inventory", default="inventory.yml")
    serve.add_argument("--scale", type=float, default=60.0, help="simulated seconds per real second")
    serve.add_argument("--auth", default="ntlm", choices=("ntlm", "negotiate", "kerberos", "basic"))
    serve.add_argument(
        "--kerberos",
        action="store_true",
        help="start a KDC for the scenario's domain (implied by --auth kerberos); with --auth negotiate "
        "the inventory then logs on with Kerberos",
    )
    serve.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    serve.set_defaults(func=_serve)
    demo = sub.add_parser("demo", help="run the main playbook against the lab")
    demo.add_argument(
        "--scenario", default="standalone-primary", help="the install happens here; hierarchy has one already"
    )
    demo.add_argument("--playbook", default="playbooks/demo.yml")
    demo.add_argument("--scale", type=float, default=120.0)
    demo.add_argument("-v", "--verbose", action="store_true")
    demo.set_defaults(func=_demo)
    listing = sub.add_parser("scenarios", help="list the shipped scenarios")
    listing.set_defaults(func=lambda _a: print("\n".join(scenario_names())) or 0)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
