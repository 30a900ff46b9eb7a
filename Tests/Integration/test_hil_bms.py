"""The BMS's closed-loop checks on the HIL rig (battery-only runs: the BMS image alone on
QEMU, the plant stepped every millisecond): SOC accuracy from a wrong start, protections
injected in the loop against their reaction-time goals, balancing, the SOC across an ECU
reset, and (long, `make hil-long`) SOC over 30 min and SOH capacity. Each scenario carries its
pass criteria (HIL/scenarios/bms_*.yaml); these tests run it through the command line, assert
the exit code and read the metrics back from summary.json."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
LONG = os.environ.get("KAIRO_HIL_LONG") == "1"


def run_scenario(name, out_dir, timeout=1800):
    done = subprocess.run(
        [PYTHON, "-m", "kairo_hil", "run", name, "--out", str(out_dir), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    summary_path = out_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return done, summary.get("metrics", {})


def test_battery_run_boots_only_the_bms_and_records_one_row_per_millisecond(tmp_path):
    done, m = run_scenario("bms_prot_open_wire", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "inverter-console.log").exists()
    console = (tmp_path / "bms-console.log").read_text()
    assert "store: host file" in console
    assert "cosim: 5000 frames accepted, 0 rejected" in console
    rows = (tmp_path / "trace.csv").read_text().splitlines()
    assert len(rows) == 1 + 5000
    assert m["cosim_rejected_inverter"] == 0.0 and m["sim_seconds"] == 5.0


# Protection: (scenario, metric of the reaction, goal in ms, fault code expected first).
PROTECTIONS = [
    ("bms_prot_overvoltage", "contactor_open_after_fault_ms", 500.0, 3),
    ("bms_prot_undervoltage", "contactor_open_after_limit_ms", 500.0, 6),
    ("bms_prot_overcurrent", "contactor_open_after_limit_ms", 200.0, 24),
    ("bms_prot_overtemperature", "contactor_open_after_fault_ms", 6000.0, 12),
    ("bms_prot_open_wire", "contactor_open_after_fault_ms", 500.0, 25),
]


@pytest.mark.parametrize("name,metric,goal_ms,code", PROTECTIONS, ids=[p[0] for p in PROTECTIONS])
def test_protection_opens_the_contactors_within_its_goal(tmp_path, name, metric, goal_ms, code):
    done, m = run_scenario(name, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 0.0 < m[metric] <= goal_ms
    first_code = m["fault_code_after_fault"] if "fault_ms" in metric else m["first_bms_fault_code"]
    assert first_code == code
    assert m["final_bms_state"] == 5.0 and int(m["final_contactor_state"]) & 3 != 3


def test_precharge_relay_stuck_open_reports_precharge_failed_and_never_closes_the_mains(
        tmp_path):
    done, m = run_scenario("bms_prot_precharge", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert m["final_bms_fault_code"] == 101.0  # 100 + ContactorFault.prechargeFailed
    assert m["final_contactor_state"] == 0.0 and m["final_bms_state"] == 5.0
    assert m["time_to_hv_ready_s"] is None  # NaN in summary.json: never both mains closed


def test_welded_positive_main_is_found_at_the_opening_after_key_off(tmp_path):
    done, m = run_scenario("bms_prot_weld", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert m["final_bms_fault_code"] == 104.0  # 100 + ContactorFault.positiveMainWelded
    assert 0.0 < m["bms_fault_after_key_off_ms"] <= 2000.0
    assert int(m["final_contactor_state"]) & 2 == 2  # the weld holds it closed


def test_balancing_narrows_a_3_point_soc_spread_by_15_pct_in_400_s(tmp_path):
    done, m = run_scenario("bms_balancing", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert m["soc_spread_start_pct"] >= 2.5 and m["max_balancing_cells"] >= 10
    assert m["soc_spread_end_pct"] <= 0.85 * m["soc_spread_start_pct"]


def test_ecu_reset_restores_the_stored_soc_within_half_a_point(tmp_path):
    done, m = run_scenario("bms_reset", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert m["bms_restarts"] == 1.0
    assert m["soc_record_jump_pct"] <= 0.5
    assert m["final_bms_state"] == 3.0
    if m["soc_reset_jump_pct"] > 0.5:
        pytest.xfail("known: the first estimate after a reboot under load moves "
                     f"{m['soc_reset_jump_pct']:.2f} points (restored filters start with relaxed "
                     "RC branches and no cell spread)")


@pytest.mark.slow
def test_soc_from_a_record_10_points_off_stays_within_1_pct_rmse_after_300_s(tmp_path):
    done, m = run_scenario("bms_soc", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert m["soc_rmse_pct"] <= 1.0 and m["soc_max_err_pct"] <= 2.0
    assert m["sim_seconds"] >= 600.0


@pytest.mark.skipif(not LONG, reason="long run: make hil-long")
def test_soc_over_30_min_stays_within_1_pct_rmse_and_2_pct_max(tmp_path):
    done, m = run_scenario("bms_soc_long", tmp_path, timeout=3600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert m["soc_rmse_pct"] <= 1.0 and m["soc_max_err_pct"] <= 2.0
    assert m["sim_seconds"] >= 1800.0


@pytest.mark.skipif(not LONG, reason="long run: make hil-long")
def test_soh_capacity_of_a_10_pct_faded_pack_within_3_pct(tmp_path):
    done, m = run_scenario("bms_soh", tmp_path, timeout=4 * 3600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert abs(m["soh_capacity_error_pct"]) <= 3.0


def test_battery_run_with_an_ecu_reset_gives_byte_identical_traces(tmp_path):
    path = tmp_path / "reset_twice.yaml"
    path.write_text(
        "name: reset_twice\nkind: battery\nduration_s: 3.0\nkey_on_s: 0.1\nseed: 5\n"
        "current_profile: [[0, 0], [1.5, 0], [1.5, 30], [3, 30]]\n"
        "faults:\n  - {at_s: 2.0, kind: ecu_reset, ecu: bms}\n")
    hashes = []
    for run in ("a", "b"):
        done, m = run_scenario(str(path), tmp_path / run)
        assert done.returncode == 0, done.stdout + done.stderr
        assert m["bms_restarts"] == 1.0
        hashes.append(json.loads((tmp_path / run / "summary.json").read_text())["run"]
                      ["trace_sha256"])
    assert hashes[0] == hashes[1]
