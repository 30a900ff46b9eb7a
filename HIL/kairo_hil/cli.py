"""`kairo-hil` (also `python -m kairo_hil`): run a scenario, serve the vehicle bus to outside
tools, or list the scenarios.

    kairo-hil run SCENARIO --out DIR      closed loop, report in DIR, exit 1 if a criterion fails
    kairo-hil serve --slcan-port PORT     both ECUs powered, vehicle parked, until Ctrl-C
    kairo-hil list                        the scenarios shipped with the rig
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from pathlib import Path

from .cosim import FrameError
from .link import LinkError
from .metrics import evaluate_expectations
from .report import print_summary, write_report
from .rig import Rig, RigOptions
from .scenario import ScenarioError, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "HIL" / "scenarios"
DEFAULT_FIRMWARE = ROOT / "build" / "firmware"



def _resolve_scenario(name: str) -> Path:
    path = Path(name)
    if path.exists():
        return path
    shipped = SCENARIOS / (name if name.endswith(".yaml") else f"{name}.yaml")
    if shipped.exists():
        return shipped
    raise ScenarioError([f"{name}: no such file, and no shipped scenario of that name "
                         f"(see `kairo-hil list`)"])


def _progress_printer(total_s: float | None):
    if not sys.stderr.isatty():
        return None
    start = time.perf_counter()

    def show(t_s: float) -> None:
        wall = time.perf_counter() - start
        ratio = t_s / wall if wall > 0 else 0.0
        if total_s:
            width = 30
            done = int(width * min(1.0, t_s / total_s))
            bar = "#" * done + "-" * (width - done)
            sys.stderr.write(f"\r[{bar}] {t_s:6.1f}/{total_s:.1f} s sim  x{ratio:4.2f} ")
        else:
            sys.stderr.write(f"\r{t_s:8.1f} s simulated  x{ratio:4.2f} ")
        sys.stderr.flush()

    return show


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(_resolve_scenario(args.scenario))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    options = RigOptions(firmware_dir=Path(args.firmware), out_dir=out,
                         slcan_port=args.slcan_port,
                         progress=None if args.no_progress else _progress_printer(
                             scenario.duration_s))
    rig = Rig(scenario, options)
    if args.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        result = profiler.runcall(rig.run)
        with open(out / "profile.txt", "w") as f:
            pstats.Stats(profiler, stream=f).sort_stats("tottime").print_stats(30)
    else:
        result = rig.run()
    if options.progress:
        sys.stderr.write("\n")
    results = evaluate_expectations(scenario.expectations, result.metrics)
    write_report(out, result.trace, result.metrics, scenario.expectations, scenario.name,
                 description=scenario.description,
                 extra={"errors": result.errors, "exit_codes": result.exit_codes})
    print_summary(scenario.name, results)
    m = result.metrics
    print(f"simulated {m['sim_seconds']:.1f} s in {m['wall_seconds']:.1f} s: "
          f"sim_speed_ratio {m['sim_speed_ratio']:.3f} (wall time: inverter link "
          f"{m['wall_share_inverter_link']:.0%}, plant {m['wall_share_plant']:.0%}, "
          f"BMS wait {m['wall_share_bms_wait']:.0%}, rest rig)")
    for error in result.errors:
        print(f"error: {error}")
    print(f"report: {out / 'report.md'}")
    failed = [r for r in results if not r.passed]
    return 1 if failed or result.errors else 0


PARKED = {
    "name": "serve", "kind": "drive", "duration_s": 3600.0, "key_on_s": 0.0,
    "speed_profile": [[0.0, 0.0]], "description": "vehicle parked, ECUs powered",
}


def parse_fault_option(text: str) -> dict:
    """`AT_S:KIND[:KEY=VALUE,...]` (e.g. `8:can_loss:message=VCU_TorqueRequest,duration_s=1`)
    as a scenario fault entry; numbers are converted, the scenario checks the rest."""
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise ScenarioError([f"--fault {text!r}: expected AT_S:KIND[:KEY=VALUE,...]"])
    try:
        entry: dict = {"at_s": float(parts[0]), "kind": parts[1]}
    except ValueError:
        raise ScenarioError([f"--fault {text!r}: {parts[0]!r} is not a time in seconds"]) from None
    for item in (parts[2].split(",") if len(parts) == 3 and parts[2] else []):
        key, sep, value = item.partition("=")
        if not sep:
            raise ScenarioError([f"--fault {text!r}: {item!r} is not KEY=VALUE"])
        try:
            entry[key] = float(value) if "." in value else int(value)
        except ValueError:
            entry[key] = value
    return entry


def cmd_serve(args: argparse.Namespace) -> int:
    data = dict(PARKED)
    data["duration_s"] = float(args.duration) if args.duration else 3600.0
    if args.fault:
        data["faults"] = [parse_fault_option(f) for f in args.fault]
    if not args.key_on:
        data["key_on_s"] = data["duration_s"] + 1.0  # key stays off: ECUs awake, HV off
    scenario = parse_scenario(data, "serve")
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    def pace(t_s: float) -> None:
        # Outside tools run on the wall clock: never let simulated time run ahead of it.
        ahead = t_s - (time.perf_counter() - start)
        if ahead > 0:
            time.sleep(ahead)

    options = RigOptions(firmware_dir=Path(args.firmware), out_dir=out,
                         slcan_port=args.slcan_port, progress=pace)
    print(f"serving the vehicle bus on SLCAN socket://127.0.0.1:{args.slcan_port} "
          f"(Ctrl-C to stop)", flush=True)
    result = Rig(scenario, options).run()
    print(f"served {result.sim_seconds:.1f} s; {int(result.metrics['can_frames'])} frames on "
          f"the bus, {int(result.metrics['can_frames_from_tools'])} from tools")
    return 1 if result.errors else 0


def cmd_list(_: argparse.Namespace) -> int:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        try:
            sc = load_scenario(path)
            first = sc.description.strip().split(". ")[0] if sc.description else ""
            print(f"{path.stem:24s} {sc.kind:8s} {sc.duration_s:7.1f} s  {first}")
        except ScenarioError as error:
            print(f"{path.stem:24s} INVALID: {error.problems[0]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kairo-hil", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario closed loop and write a report")
    run.add_argument("scenario", help="scenario file, or the name of a shipped scenario")
    run.add_argument("--out", required=True, help="output directory for trace and report")
    run.add_argument("--firmware", default=str(DEFAULT_FIRMWARE),
                     help="directory holding inverter.elf and bms.elf")
    run.add_argument("--slcan-port", type=int, default=None,
                     help="also serve the bus over SLCAN-TCP on this port")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument("--profile", action="store_true",
                     help="profile the rig's Python with cProfile into DIR/profile.txt")
    serve = sub.add_parser("serve", help="power both ECUs and serve the bus to tools")
    serve.add_argument("--slcan-port", type=int, required=True)
    serve.add_argument("--duration", type=float, default=None,
                       help="stop after this many simulated seconds (default: until Ctrl-C)")
    serve.add_argument("--key-on", action="store_true", help="turn the key on (HV up)")
    serve.add_argument("--out", default=None, help="write the CAN log and consoles here")
    serve.add_argument("--fault", action="append", default=[], metavar="AT_S:KIND[:K=V,...]",
                       help="inject a scenario fault, e.g. "
                            "8:can_loss:message=VCU_TorqueRequest,duration_s=1 (repeatable)")
    serve.add_argument("--firmware", default=str(DEFAULT_FIRMWARE))
    sub.add_parser("list", help="list the shipped scenarios")
    args = parser.parse_args(argv)
    if getattr(args, "slcan_port", None) is not None and not 0 < args.slcan_port < 65536:
        parser.error(f"--slcan-port {args.slcan_port} is not a TCP port (1-65535)")
    if getattr(args, "duration", None) is not None and not (
            math.isfinite(args.duration) and args.duration > 0):
        parser.error(f"--duration {args.duration} must be a positive number of seconds")
    # SIGTERM ends a run like Ctrl-C: QEMU and temporary files are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        return {"run": cmd_run, "serve": cmd_serve, "list": cmd_list}[args.command](args)
    except ScenarioError as error:
        print("\n".join(f"error: {p}" for p in error.problems), file=sys.stderr)
        return 2
    except (LinkError, FrameError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: ECUs stopped, temporary files removed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
