"""The HIL rig closed loop with both ECU images on QEMU: determinism, bad co-simulation frames,
and the command line's answers to bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def kairo_hil(*args, timeout=300):
    return subprocess.run([PYTHON, "-m", "kairo_hil", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def scenario(tmp_path, name, **fields):
    data = {"name": name, "kind": "drive", "duration_s": 0.5, "control_period_us": 50,
            "seed": 3, "key_on_s": 0.05, "speed_profile": [[0, 0], [0.5, 5]]}
    data.update(fields)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_same_scenario_twice_gives_byte_identical_traces(tmp_path):
    path = scenario(tmp_path, "twice")
    hashes = []
    for run in ("a", "b"):
        done = kairo_hil("run", str(path), "--out", str(tmp_path / run), "--no-progress")
        assert done.returncode == 0, done.stdout + done.stderr
        summary = json.loads((tmp_path / run / "summary.json").read_text())
        hashes.append(summary["run"]["trace_sha256"])
        assert (tmp_path / run / "trace.csv").read_bytes()
    assert hashes[0] == hashes[1]
    traces = [(tmp_path / run / "trace.csv").read_bytes() for run in ("a", "b")]
    assert traces[0] == traces[1]


DEFECTS = ["crc", "version", "length", "kind", "sequence", "magic"]


def test_bad_frames_are_rejected_counted_logged_and_answered_safely(tmp_path):
    faults = [{"at_s": 0.1 + 0.01 * i, "kind": "cosim_bad_frame", "ecu": ecu, "defect": d}
              for i, d in enumerate(DEFECTS) for ecu in ("inverter", "bms")]
    path = scenario(tmp_path, "bad", faults=faults, expectations=[
        {"metric": "cosim_rejected_inverter", "op": "==", "bound": len(DEFECTS)},
        {"metric": "cosim_rejected_bms", "op": "==", "bound": len(DEFECTS)}])
    done = kairo_hil("run", str(path), "--out", str(tmp_path / "out"), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    for ecu in ("inverter", "bms"):
        console = (tmp_path / "out" / f"{ecu}-console.log").read_text()
        for reason in ("checksum mismatch", "unsupported version", "bad length",
                       "unexpected kind", "sequence gap", "bad magic"):
            assert f"frame rejected ({reason})" in console, (ecu, reason, console)
        assert f"{len(DEFECTS)} rejected" in console
        assert "ran " in console  # the ECU ran to the end and exited cleanly


def test_invalid_scenario_is_named_and_exits_2(tmp_path):
    path = scenario(tmp_path, "broken", duration_s=-1, faults=[{"at_s": 0.1, "kind": "nope"}])
    done = kairo_hil("run", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "duration_s" in done.stderr and "nope" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_firmware_is_named(tmp_path):
    path = scenario(tmp_path, "nofw")
    done = kairo_hil("run", str(path), "--out", str(tmp_path / "out"),
                     "--firmware", str(tmp_path / "nowhere"))
    assert done.returncode == 3
    assert "inverter.elf does not exist" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["serve", "--slcan-port", "70000"], "not a TCP port"),
    (["serve", "--slcan-port", "5000", "--duration", "-3"], "positive number"),
    (["run", "no-such-scenario", "--out", "x"], "no shipped scenario"),
])
def test_bad_command_lines_are_named(args, message):
    done = kairo_hil(*args)
    assert done.returncode == 2
    assert message in done.stderr
