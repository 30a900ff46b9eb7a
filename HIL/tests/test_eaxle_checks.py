"""The rig's parts for the e-axle checks, without firmware: dynamometer, bench torque
request, scenario keys, per-period capture and its metrics, trace metrics."""

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from kairo_hil import cosim
from kairo_hil.capture import PeriodCapture, capture_metrics, step_response
from kairo_hil.metrics import RATED_TORQUE_NM, compute_metrics, torque_zero_after
from kairo_hil.plant import DynoSpeed, Plant, PlantParams
from kairo_hil.plants.sensors import InverterSample
from kairo_hil.scenario import ScenarioError, load_scenario
from kairo_hil.vehicle_controller import Profile, VcuState, VehicleController

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BENCH = {"name": "b", "duration_s": 2.0, "torque_profile": [[0, 0], [1, 0], [1, 50]]}


def write(tmp_path, doc):
    p = tmp_path / "case.yaml"
    p.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return p


def test_dyno_profile_is_linear_held_at_the_ends_and_steps_at_equal_times():
    dyno = DynoSpeed([[0.1, 0.0], [0.2, 3000.0], [0.2, 600.0]])
    rpm = [dyno(t) * 30.0 / math.pi for t in (0.0, 0.15, 0.199, 0.2, 5.0)]
    assert rpm == pytest.approx([0.0, 1500.0, 2970.0, 600.0, 600.0])
    assert dyno(0.15) * 30.0 / math.pi == pytest.approx(1500.0)  # after a later time


def test_dyno_holds_the_shaft_speed_whatever_the_torque_and_the_vehicle_rolls_along():
    plant = Plant(PlantParams(dyno_speed_profile=[[0.0, 1200.0]]))
    plant.link.v_link_V = 350.0
    for _ in range(200):  # 10 ms of a full-scale duty imbalance: torque, no acceleration
        plant.step(0.9, 0.1, 0.5, 1)
    truth = plant.truth()
    assert abs(truth["torque_Nm"]) > 1.0
    assert truth["motor_speed_rpm"] == pytest.approx(1200.0)
    g_over_r = plant.params.vehicle.gear_ratio / plant.params.vehicle.wheel_radius_m
    assert plant.vehicle.speed_m_s == pytest.approx(1200.0 * math.pi / 30.0 / g_over_r)
    assert plant.motor.theta_m_rad == pytest.approx((1200.0 * math.pi / 30.0 * 0.01)
                                                    % (2 * math.pi), abs=1e-9)


def test_without_dyno_the_shaft_follows_the_vehicle_as_before():
    plant = Plant(PlantParams())
    assert plant.dyno is None
    plant.vehicle.speed_m_s = 10.0
    plant.step(0.5, 0.5, 0.5, 0)
    assert plant.truth()["motor_speed_rpm"] == pytest.approx(
        plant.vehicle.speed_m_s * 9.0 / 0.33 * 30.0 / math.pi)


def test_bench_torque_profile_replaces_the_driver_only_in_drive():
    vcu = VehicleController(torque_profile=Profile([[0.0, 0.0], [1.0, 0.0], [1.0, 250.0]]))
    off = vcu.step(0.5, 0.0, key_on=True, hv_ready=False, inverter_ready=False, dt_s=0.01)
    assert off.state == VcuState.HV_REQUESTED and off.torque_request_Nm == 0.0
    drive = vcu.step(1.5, 0.0, key_on=True, hv_ready=True, inverter_ready=True, dt_s=0.01)
    # Not clamped to the driver's 120 N·m; no hold brake at standstill.
    assert drive.state == VcuState.DRIVE and drive.torque_request_Nm == 250.0
    assert drive.brake_force_N == 0.0 and drive.drive_enable


def test_shipped_eaxle_scenarios_load():
    names = sorted(p.stem for p in SCENARIOS.glob("eaxle_*.yaml"))
    assert names == ["eaxle_bms_derating", "eaxle_can_loss", "eaxle_current_step",
                     "eaxle_field_weakening", "eaxle_overcurrent", "eaxle_overcurrent_asc",
                     "eaxle_steady_torque"]
    sc = load_scenario(SCENARIOS / "eaxle_current_step.yaml")
    assert sc.speed_profile is None and sc.torque_target()(0.56) == 73.9
    assert sc.plant_params().dyno_speed_profile[-1] == [0.45, 300.0]
    assert sc.capture == [(0.54, 0.65), (1.0, 1.25)] and sc.actuation_delay_periods == 1


def test_bench_scenario_needs_no_speed_profile_and_keeps_the_defaults(tmp_path):
    sc = load_scenario(write(tmp_path, BENCH))
    assert sc.capture == [] and sc.actuation_delay_periods == 1  # the board's timing by default
    assert sc.plant_params().dyno_speed_profile is None
    sc = load_scenario(write(tmp_path, dict(BENCH, capture={"from_s": 1.0, "to_s": 1.1})))
    assert sc.capture == [(1.0, 1.1)]


@pytest.mark.parametrize("change, expected", [
    ({"torque_profile": None, "speed_profile": None},
     "speed_profile: missing (required for kind: drive without torque_profile)"),
    ({"torque_profile": [[0, 500]]}, "torque_profile[0][1]: 500 is out of range -400..400"),
    ({"plant": {"dyno_speed_profile": [[0, 0], [1, 20000]]}},
     "plant.dyno_speed_profile[1][1]: 20000 is out of range -15000..15000"),
    ({"plant": {"dyno": 1}}, "plant.dyno: unknown key"),
    ({"capture": {"from_s": 1.0}}, "capture.to_s: missing (required)"),
    ({"capture": {"from_s": 1.0, "to_s": 0.5}}, "capture.to_s: 0.5 s is not after from_s"),
    ({"capture": {"from_s": 0.0, "to_s": 2.0 + 0.0, "x": 1}}, "capture.x: unknown key"),
    ({"capture": [{"from_s": 0.5, "to_s": 0.8}, {"from_s": 0.7, "to_s": 0.9}]},
     "capture[1].from_s: 0.7 s is inside the previous window"),
    ({"duration_s": 5.0, "capture": {"from_s": 0.0, "to_s": 3.0}},
     "capture: window of 3 s is longer than 2 s"),
    ({"actuation_delay_periods": 2}, "actuation_delay_periods: 2 is out of range 0..1"),
])
def test_bad_eaxle_keys_are_named(tmp_path, change, expected):
    doc = dict(BENCH)
    for k, v in change.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    with pytest.raises(ScenarioError) as e:
        load_scenario(write(tmp_path, doc))
    assert expected in str(e.value)


def test_torque_profile_is_refused_for_battery_runs(tmp_path):
    doc = {"name": "b", "kind": "battery", "duration_s": 1.0, "current_profile": [[0, 1]],
           "torque_profile": [[0, 1]]}
    with pytest.raises(ScenarioError) as e:
        load_scenario(write(tmp_path, doc))
    assert "torque_profile: only allowed with kind: drive" in str(e.value)


def first_order(n, start, final, ratio, delay=0):
    """A current approaching `final` geometrically (ratio per period) after `delay` periods."""
    out = [start] * delay
    x = start
    while len(out) < n:
        out.append(x)
        x = final + (x - final) * ratio
    return np.array(out)


def test_step_settling_counts_periods_to_the_2_percent_band_of_the_step():
    ref = np.array([0.0] * 5 + [100.0] * 40)
    cur = np.concatenate((np.zeros(5), first_order(40, 0.0, 100.0, 0.5)))
    r = step_response(ref, cur, 100.0)
    # 100·0.5^k <= 2 first at k = 6 (1.5625); nothing beyond the final value.
    assert r["settling_periods"] == 6.0 and r["overshoot_pct"] == 0.0 and r["step_A"] == 100.0


def test_step_settling_starts_where_a_ramped_reference_reaches_its_final_value():
    ref = np.concatenate((np.linspace(0.0, 150.0, 11), np.full(30, 150.0)))
    cur = np.concatenate((ref[:10] - 4.0, [146.5, 148.0, 150.0, 152.0, 151.0], np.full(26, 150.0)))
    r = step_response(ref, cur, 150.0)
    # k0 = 10 (ref reaches 150); |error| 3.5 > 3 A at k0, then 2, 0, 2, 1: settled after 1.
    assert r["settling_periods"] == 1.0
    assert r["overshoot_pct"] == pytest.approx(2.0 / 150.0 * 100.0)


def test_a_current_still_outside_the_band_at_the_end_of_the_window_has_not_settled():
    ref = np.array([0.0, 100.0, 100.0, 100.0])
    r = step_response(ref, np.array([0.0, 10.0, 50.0, 90.0]), 100.0)
    assert math.isnan(r["settling_periods"])


def capture_with(window_rows):
    cap = PeriodCapture([(0.0, 1.0), (1.0, 2.0)])
    tel_prev = [0.0] * cosim.TELEMETRY_COUNT
    period = 0
    for window, (id_ref, iq_ref, id_true, iq_true, counts_a, mode) in window_rows:
        tel = [0.0] * cosim.TELEMETRY_COUNT
        tel[2], tel[3] = id_ref, iq_ref
        act = cosim.Actuation(sequence=period, status=0, telemetry=tuple(tel), mode=mode)
        sample = InverterSample((counts_a, 2048), 1750, 0, 650, 650)
        cap.record(window, period, period * 50e-6, sample, act, tel_prev, id_true, iq_true,
                   0.0)
        tel_prev = tel
        period += 1
    return cap


def test_capture_metrics_take_the_worst_window_and_the_reference_of_the_previous_period():
    rows = []
    iq_a = first_order(30, 0.0, 150.0, 0.5)       # settles in 7 periods (150·0.5^k <= 3.3)
    iq_b = first_order(30, 150.0, 0.0, 0.7, 1)    # one period late, slower
    for k in range(31):
        # The reference recorded for period k is the one the previous actuation carried.
        rows.append((0, (0.0, 150.0 if k else 0.0, 0.0, iq_a[k - 1] if k else 0.0, 2048, 1)))
    for k in range(31):
        rows.append((1, (0.0, 0.0, 0.0, iq_b[k - 1] if k else 150.0, 2048, 1)))
    m = capture_metrics(capture_with(rows).as_dict())
    assert m["capture0_iq_step_settling_periods"] < m["capture1_iq_step_settling_periods"]
    assert m["iq_step_settling_periods"] == m["capture1_iq_step_settling_periods"]
    assert m["iq_step_size_A"] == 150.0 and m["captured_periods"] == 62
    assert math.isnan(m["overcurrent_reaction_periods"])


def test_overcurrent_reaction_is_counted_from_the_first_sample_above_380A():
    counts_500A = 2048 + 2000  # +500 A on phase A: |i| = 577 A
    rows = [(0, (0.0, 0.0, 0.0, 0.0, 2048, 1)), (0, (0.0, 0.0, 0.0, 0.0, 2048, 1)),
            (0, (0.0, 0.0, 0.0, 0.0, counts_500A, 1)), (0, (0.0, 0.0, 0.0, 0.0, counts_500A, 2))]
    m = capture_metrics(capture_with(rows).as_dict())
    assert m["overcurrent_reaction_periods"] == 1 and m["overcurrent_reaction_mode"] == 2


def test_capture_csv_is_fixed_format(tmp_path):
    cap = capture_with([(0, (-0.0, 1.23456, 0.0, 0.0, 2048, 1))])
    text = cap.write_csv(tmp_path / "capture.csv").read_text()
    header, row = text.splitlines()
    assert header.startswith("window,period,t_s,ia_A")
    assert row.startswith("0,0,0.000000,0.00,0.00,0.00,350.0,")
    assert "-0.000" not in row


def trace(n, **cols):
    t = np.arange(1, n + 1) * 1e-3
    base = {"t_s": t, "power_stage_mode": np.ones(n), "motor_speed_rpm": np.full(n, 1000.0)}
    base.update(cols)
    return base


def test_steady_torque_error_is_the_worst_segment_mean_after_100ms_in_percent_of_rated():
    n = 600
    request = np.where(np.arange(n) < 300, 50.0, 100.0)
    torque = request.copy()
    torque[:100] = 0.0                 # settling, skipped
    torque[100:300] += 1.0             # +1 N·m in the first segment
    torque[400:] -= 3.2                # -3.2 N·m (2 % of rated) in the second
    m = compute_metrics(trace(n, torque_request_Nm=request, torque_Nm=torque))
    assert m["steady_segments"] == 2
    assert m["steady_torque_error_pct_rated"] == pytest.approx(3.2 / RATED_TORQUE_NM * 100.0)


def test_a_moving_shaft_or_a_stage_that_does_not_modulate_is_not_steady():
    n = 400
    m = compute_metrics(trace(n, torque_request_Nm=np.full(n, 10.0), torque_Nm=np.zeros(n),
                              motor_speed_rpm=np.linspace(0.0, 4000.0, n)))
    assert m["steady_segments"] == 0 and math.isnan(m["steady_torque_error_pct_rated"])
    m = compute_metrics(trace(n, torque_request_Nm=np.full(n, 10.0), torque_Nm=np.zeros(n),
                              power_stage_mode=np.zeros(n)))
    assert m["steady_segments"] == 0 and math.isnan(m["max_speed_rpm_modulating"])


def test_dc_current_over_the_bms_limit_counts_only_while_modulating_and_once_published():
    mode = np.array([0, 1, 1, 1, 1.0])
    limit = np.array([np.nan, np.nan, 70.0, 70.0, 60.0])
    current = np.array([500.0, 300.0, 65.0, 70.5, 59.0])
    m = compute_metrics(trace(5, power_stage_mode=mode, bms_discharge_limit_A=limit,
                              pack_current_A=current))
    assert m["max_dc_current_over_discharge_limit_A"] == pytest.approx(0.5)
    assert m["max_bms_discharge_limit_A"] == 70.0 and m["min_bms_discharge_limit_A"] == 60.0


def test_torque_zero_after_counts_to_the_last_row_above_the_threshold():
    t = np.arange(1, 401) * 1e-3
    torque = np.where(t < 0.25, 80.0, 0.2)
    torque[300] = 1.5                   # a late excursion restarts the count
    tr = {"t_s": t, "torque_Nm": torque}
    assert torque_zero_after(tr, 0.1, 0.4, 1.0) == pytest.approx((t[301] - 0.1) * 1000.0)
    assert math.isnan(torque_zero_after(tr, 0.1, 0.2, 1.0))  # never zero inside the loss


def test_a_fault_is_due_in_its_own_millisecond_not_the_one_before(tmp_path):
    doc = dict(BENCH, faults=[{"at_s": 0.7, "kind": "can_loss", "message": "BMS_Limits"},
                              {"at_s": 0.0, "kind": "can_loss", "message": "BMS_Status"}])
    sc = load_scenario(write(tmp_path, doc))
    due = {ms: [f.at_s for f in sc.faults_between(ms * 1e-3, ms * 1e-3 + 1e-3)]
           for ms in (0, 1, 699, 700, 701)}
    assert due == {0: [0.0], 1: [], 699: [], 700: [0.7], 701: []}
