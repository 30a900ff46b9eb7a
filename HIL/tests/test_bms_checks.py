"""BMS check metrics, the rig's copy of the BMS record format, and the scenario fields of
battery-only runs (bms_record, ecu_reset)."""

import math
import struct
import zlib

import numpy as np
import pytest
import yaml

from kairo_hil import bms_checks, bms_record
from kairo_hil.scenario import Fault, Scenario, ScenarioError, load_scenario

BATTERY = {"name": "b", "kind": "battery", "duration_s": 10.0,
           "current_profile": [[0, 0], [10, 0]]}


def load(tmp_path, **fields):
    p = tmp_path / "b.yaml"
    p.write_text(yaml.safe_dump({**BATTERY, **fields}), encoding="utf-8")
    return load_scenario(p)


def test_record_layout_matches_the_firmware_format_field_by_field():
    rec = bms_record.encode_record(0.6, 92.5, 1.1, sequence=7)
    assert len(rec) == 8 + bms_record.PAYLOAD_SIZE + 4 == 82
    magic, version, length, seq = struct.unpack_from("<HBBI", rec)
    assert (magic, version, length, seq) == (0x424B, 1, 70, 7)
    soc, cap, res = struct.unpack_from("<fff", rec, 8)
    assert soc == pytest.approx(0.6) and cap == pytest.approx(92.5) and res == pytest.approx(1.1)
    assert struct.unpack_from("<I", rec, 78)[0] == zlib.crc32(rec[:78])


def test_store_image_reads_back_and_a_flipped_byte_invalidates_it():
    image = bms_record.store_image(0.42, 100.0)
    assert len(image) == 256
    assert bms_record.newest_record(image)["soc"] == pytest.approx(0.42)
    bad = bytearray(image)
    bad[9] ^= 0x01
    assert bms_record.newest_record(bytes(bad)) is None


def test_newest_of_two_slots_wins_by_sequence():
    a = bms_record.encode_record(0.5, 100.0, sequence=3)
    b = bms_record.encode_record(0.4, 100.0, sequence=4)
    image = a + bytes(128 - len(a)) + b + bytes(128 - len(b))
    assert bms_record.newest_record(image)["soc"] == pytest.approx(0.4)


def test_bms_record_and_ecu_reset_are_parsed_for_battery_runs(tmp_path):
    sc = load(tmp_path, bms_record={"soc_pct": 60.0},
              faults=[{"at_s": 5.0, "kind": "ecu_reset", "ecu": "bms"}])
    assert sc.bms_record == {"soc_pct": 60.0, "capacity_Ah": 100.0, "resistance_pct": 100.0}
    assert sc.faults[0].kind == "ecu_reset" and not sc.faults[0].is_plant_fault


def test_ecu_reset_of_the_inverter_or_in_a_drive_run_is_refused(tmp_path):
    with pytest.raises(ScenarioError) as e:
        load(tmp_path, faults=[{"at_s": 5.0, "kind": "ecu_reset", "ecu": "inverter"}])
    assert "ecu_reset is carried out for ecu: bms in kind: battery runs only" in str(e.value)


def test_bms_record_without_soc_is_refused(tmp_path):
    with pytest.raises(ScenarioError) as e:
        load(tmp_path, bms_record={"capacity_Ah": 90.0})
    assert "bms_record.soc_pct: missing (required)" in str(e.value)


def trace(n, **cols):
    t = (np.arange(n) + 1) * 1e-3
    base = {"t_s": t}
    base.update({k: np.asarray(v, dtype=float) for k, v in cols.items()})
    return base


def test_soc_errors_are_scored_only_from_300_s_after_key_on():
    n = 400_000  # 400 s
    t = (np.arange(n) + 1) * 1e-3
    true = np.full(n, 60.0)
    est = np.where(t < 300.1, 70.0, 60.0 + np.where(np.arange(n) % 2 == 0, 0.5, -0.5))
    sc = Scenario(name="s", kind="battery", duration_s=400.0, key_on_s=0.1)
    m = bms_checks.battery_metrics(trace(n, soc_true_pct=true, soc_est_pct=est), sc)
    assert m["soc_rmse_pct"] == pytest.approx(0.5, abs=1e-9)
    assert m["soc_max_err_pct"] == pytest.approx(0.5, abs=1e-9)
    assert m["soc_initial_err_pct"] == pytest.approx(10.0)


def test_reaction_is_counted_from_the_fault_to_the_mains_feedback_opening():
    n = 5000
    cs = np.full(n, 3.0)
    cs[3250:] = 1.0   # row 3250 ends at t = 3.251 s
    bs = np.full(n, 3.0)
    bs[3100:] = 5.0
    code = np.zeros(n)
    code[3100:] = 3.0
    sc = Scenario(name="s", kind="battery", duration_s=5.0,
                  faults=[Fault(3.0, "sensor_offset", {"sensor": "cell_voltage", "offset": 1.0})])
    m = bms_checks.battery_metrics(trace(n, contactor_state=cs, bms_state=bs,
                                         bms_fault_code=code), sc)
    assert m["contactor_open_after_fault_ms"] == pytest.approx(251.0)
    assert m["bms_fault_after_fault_ms"] == pytest.approx(101.0)
    assert m["fault_code_after_fault"] == 3.0 and m["first_bms_fault_code"] == 3.0


def test_limit_crossing_starts_the_clock_without_a_scenario_fault():
    n = 1000
    current = np.where(np.arange(n) >= 500, 230.0, 50.0)
    cs = np.where(np.arange(n) >= 620, 0.0, 3.0)
    sc = Scenario(name="s", kind="battery", duration_s=1.0)
    m = bms_checks.battery_metrics(trace(n, pack_current_A=current, contactor_state=cs), sc)
    assert m["limit_crossed_s"] == pytest.approx(0.501)
    assert m["contactor_open_after_limit_ms"] == pytest.approx(120.0)
    assert math.isnan(m["contactor_open_after_fault_ms"])


def test_reset_jump_compares_the_last_estimate_before_with_the_first_after():
    n = 100
    restarts = np.where(np.arange(n) >= 50, 1.0, 0.0)
    est = np.where(np.arange(n) < 50, 68.0, 67.7)
    est[50] = 0.0  # no estimate yet in the first period of the new boot
    sc = Scenario(name="s", kind="battery", duration_s=0.1)
    m = bms_checks.battery_metrics(trace(n, soc_true_pct=np.full(n, 68.0), soc_est_pct=est,
                                         bms_restarts=restarts), sc, [(0.05, 67.9)])
    assert m["soc_reset_jump_pct"] == pytest.approx(0.3)
    assert m["soc_record_jump_pct"] == pytest.approx(0.1)
    assert m["bms_restarts"] == 1.0
