"""Scenario metrics computed from a trace, and the check of expectations against them.

A trace is a mapping of column name → 1-D numpy array (one row per millisecond); see
report.TRACE_COLUMNS. A metric whose columns are missing (or all NaN) is NaN, and an
expectation on a NaN metric fails with "not computed". The rig may add metrics of its own
(fault reaction times, frame counts...) to the dict before evaluating; register their names
with `register_metric` so scenario files may name them.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

Trace = Mapping[str, np.ndarray]

METRICS: dict[str, str] = {
    "duration_s": "length of the trace",
    "max_vehicle_speed_kph": "highest vehicle speed",
    "final_vehicle_speed_kph": "vehicle speed at the end",
    "distance_m": "distance travelled",
    "max_speed_error_kph": "largest |speed - target|",
    "rms_speed_error_kph": "rms of speed - target",
    "max_torque_error_Nm": "largest |torque - request| after the first 50 ms of each request",
    "rms_torque_error_Nm": "rms of torque - request",
    "max_id_error_A": "largest |id - id_ref| over rows with a reference (NaN = none)",
    "max_iq_error_A": "largest |iq - iq_ref| over rows with a reference (NaN = none)",
    "rms_id_error_A": "rms of id - id_ref over rows with a reference",
    "rms_iq_error_A": "rms of iq - iq_ref over rows with a reference",
    "max_phase_current_A": "largest |(id, iq)| (peak phase current)",
    "max_pack_current_A": "largest discharge current",
    "min_pack_current_A": "largest charge (regen) current, negative",
    "min_pack_voltage_V": "lowest pack voltage",
    "max_pack_voltage_V": "highest pack voltage",
    "min_cell_voltage_V": "lowest cell voltage",
    "max_cell_voltage_V": "highest cell voltage",
    "max_soc_error_pct": "largest |SOC true - SOC estimated| (points)",
    "final_soc_error_pct": "|SOC true - SOC estimated| at the end (points)",
    "soc_used_pct": "SOC true at the start minus at the end (points)",
    "final_soc_true_pct": "SOC true at the end",
    "energy_out_kWh": "pack energy delivered (discharge positive)",
    "max_module_temp_C": "hottest module",
    "time_to_hv_ready_s": "first time both main contactors are sensed closed",
    "final_contactor_state": "contactor feedback bits at the end (1 neg, 2 pos, 4 precharge)",
    "final_inverter_state": "inverter state at the end",
    "final_bms_state": "BMS state at the end",
    # Filled in by the rig (rig.py) from the run itself, not from the trace:
    "sim_seconds": "simulated time",
    "wall_seconds": "wall-clock time of the run",
    "sim_speed_ratio": "simulated seconds per wall second",
    "cosim_rejected_inverter": "sample frames the inverter ECU rejected (bad frames)",
    "cosim_rejected_bms": "sample frames the BMS ECU rejected (bad frames)",
    "can_frames": "CAN frames on the vehicle bus",
    "can_frames_from_tools": "CAN frames from outside tools",
    "can_decode_errors": "ECU frames that do not decode against the DBC",
    "can_signals_out_of_range": "decoded ECU signal values outside their DBC range",
    "wall_share_inverter_link": "share of wall time waiting for the inverter ECU (QEMU + link)",
    "wall_share_plant": "share of wall time stepping the plant models",
    "wall_share_bms_wait": "share of wall time waiting for the BMS ECU after the inverter",
    "steady_torque_error_pct_rated": "worst |mean torque - request| over steady segments "
                                     "(request and shaft speed held, modulating; 100 ms "
                                     "settling skipped, >= 50 ms left), % of rated torque",
    "steady_segments": "number of steady segments (see steady_torque_error_pct_rated)",
    "max_speed_rpm_modulating": "highest |shaft speed| while the power stage modulates",
    "max_dc_current_over_discharge_limit_A": "largest pack current minus the BMS_Limits "
                                             "discharge limit on the bus, while modulating "
                                             "(<= 0: within the limit)",
    "max_bms_discharge_limit_A": "highest discharge current limit the BMS published",
    "min_bms_discharge_limit_A": "lowest discharge current limit the BMS published",
    "torque_zero_after_can_loss_ms": "ms from the start of a VCU_TorqueRequest can_loss fault "
                                     "until |torque| <= 1 N·m for the rest of the loss "
                                     "(computed by the rig)",
}

# Rated torque of the reference e-axle: brand A `InverterCalibration.limits.motoringTorque_Nm`,
# which is also the MTPA torque at the 300 A rated current (159.9 N·m).
RATED_TORQUE_NM = 160.0
STEADY_SETTLE_S = 0.1
STEADY_MIN_S = 0.05
# A request and a speed count as held while they move less than this from one row to the next.
STEADY_REQUEST_STEP_NM = 0.05
STEADY_SPEED_STEP_RPM = 0.5
POWER_STAGE_MODULATING = 1

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
COMPARISONS = ("<", "<=", ">", ">=", "==")


def register_metric(name: str, description: str) -> None:
    METRICS[name] = description


def _col(trace: Trace, name: str) -> np.ndarray | None:
    c = trace.get(name)
    if c is None:
        return None
    c = np.asarray(c, dtype=float)
    return c if c.size and not np.all(np.isnan(c)) else None


def _max_abs(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.max(np.abs(x))) if x.size else math.nan


def _rms(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.sqrt(np.mean(x * x))) if x.size else math.nan


def as_trace_dict(trace: Trace | np.ndarray) -> dict[str, np.ndarray]:
    """A trace as column → array, from a mapping or a numpy structured array."""
    if isinstance(trace, np.ndarray) and trace.dtype.names:
        return {n: np.asarray(trace[n]) for n in trace.dtype.names}
    if isinstance(trace, Mapping):
        return {k: np.asarray(v) for k, v in trace.items()}
    raise TypeError("a trace is a mapping of column arrays or a numpy structured array")


def compute_metrics(trace: Trace | np.ndarray) -> dict[str, float]:
    trace = as_trace_dict(trace)
    m: dict[str, float] = {k: math.nan for k in METRICS}
    t = _col(trace, "t_s")
    if t is None:
        return m
    m["duration_s"] = float(t[-1] - t[0]) if t.size > 1 else 0.0
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    spd = _col(trace, "vehicle_speed_kph")
    if spd is not None:
        m["max_vehicle_speed_kph"] = float(np.nanmax(spd))
        m["final_vehicle_speed_kph"] = float(spd[-1])
        m["distance_m"] = float(np.nansum(spd) / 3.6 * dt)
    d = _col(trace, "distance_m")
    if d is not None:
        m["distance_m"] = float(d[-1] - d[0])
    tgt = _col(trace, "speed_target_kph")
    if spd is not None and tgt is not None:
        m["max_speed_error_kph"] = _max_abs(spd - tgt)
        m["rms_speed_error_kph"] = _rms(spd - tgt)
    tq, tr = _col(trace, "torque_Nm"), _col(trace, "torque_request_Nm")
    if tq is not None and tr is not None:
        # Skip the first 50 ms after each change of the request (the current loop's rise).
        settle = max(1, int(round(0.05 / dt))) if dt > 0 else 1
        changed = np.abs(np.diff(tr, prepend=tr[0])) > 1.0
        mask = np.ones(tr.size, dtype=bool)
        for k in np.flatnonzero(changed):
            mask[k:k + settle] = False
        err = tq - tr
        m["max_torque_error_Nm"] = _max_abs(err[mask]) if mask.any() else math.nan
        m["rms_torque_error_Nm"] = _rms(err)
    for axis in ("id", "iq"):
        x, r = _col(trace, f"{axis}_A"), _col(trace, f"{axis}_ref_A")
        if x is not None and r is not None:
            e = x - r  # rows without a reference (NaN: not modulating) drop out
            m[f"max_{axis}_error_A"] = _max_abs(e)
            m[f"rms_{axis}_error_A"] = _rms(e)
    i_d, i_q = _col(trace, "id_A"), _col(trace, "iq_A")
    if i_d is not None and i_q is not None:
        m["max_phase_current_A"] = float(np.nanmax(np.hypot(i_d, i_q)))
    ip, vp = _col(trace, "pack_current_A"), _col(trace, "pack_voltage_V")
    if ip is not None:
        m["max_pack_current_A"] = float(np.nanmax(ip))
        m["min_pack_current_A"] = float(np.nanmin(ip))
    if vp is not None:
        m["min_pack_voltage_V"] = float(np.nanmin(vp))
        m["max_pack_voltage_V"] = float(np.nanmax(vp))
    if ip is not None and vp is not None:
        m["energy_out_kWh"] = float(np.nansum(ip * vp) * dt / 3.6e6)
    for name, col, fn in (("min_cell_voltage_V", "cell_v_min_V", np.nanmin),
                          ("max_cell_voltage_V", "cell_v_max_V", np.nanmax),
                          ("max_module_temp_C", "module_temp_max_C", np.nanmax)):
        c = _col(trace, col)
        if c is not None:
            m[name] = float(fn(c))
    st, se = _col(trace, "soc_true_pct"), _col(trace, "soc_est_pct")
    if st is not None:
        m["soc_used_pct"] = float(st[0] - st[-1])
        m["final_soc_true_pct"] = float(st[-1])
        if se is not None:
            m["max_soc_error_pct"] = _max_abs(st - se)
            m["final_soc_error_pct"] = abs(float(st[-1] - se[-1]))
    cs = _col(trace, "contactor_state")
    if cs is not None:
        closed = np.flatnonzero((cs.astype(int) & 3) == 3)
        m["time_to_hv_ready_s"] = float(t[closed[0]]) if closed.size else math.nan
        m["final_contactor_state"] = float(cs[-1])
    for name in ("inverter_state", "bms_state"):
        c = _col(trace, name)
        if c is not None:
            m[f"final_{name}"] = float(c[-1])
    m.update(_drive_metrics(trace, dt))
    return m


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the runs of True in mask."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _drive_metrics(trace: Trace, dt: float) -> dict[str, float]:
    """Metrics of the e-axle checks (steady torque, speed while modulating, BMS limits)."""
    m: dict[str, float] = {}
    mode = _col(trace, "power_stage_mode")
    modulating = (mode == POWER_STAGE_MODULATING) if mode is not None else None
    rpm = _col(trace, "motor_speed_rpm")
    if modulating is not None and rpm is not None and modulating.any():
        m["max_speed_rpm_modulating"] = float(np.nanmax(np.abs(rpm[modulating])))
    tq, tr = _col(trace, "torque_Nm"), _col(trace, "torque_request_Nm")
    if modulating is not None and rpm is not None and tq is not None and tr is not None \
            and dt > 0:
        held = np.ones(tr.size, dtype=bool)
        held[1:] = (np.abs(np.diff(tr)) <= STEADY_REQUEST_STEP_NM) \
            & (np.abs(np.diff(rpm)) <= STEADY_SPEED_STEP_RPM)
        held[0] = False
        settle = int(round(STEADY_SETTLE_S / dt))
        least = int(round(STEADY_MIN_S / dt))
        errors = []
        for a, b in _runs(held & modulating):
            if b - (a + settle) >= least:
                errors.append(abs(float(np.mean(tq[a + settle:b] - tr[a + settle:b]))))
        m["steady_segments"] = float(len(errors))
        if errors:
            m["steady_torque_error_pct_rated"] = max(errors) / RATED_TORQUE_NM * 100.0
    limit, ip = _col(trace, "bms_discharge_limit_A"), _col(trace, "pack_current_A")
    if limit is not None:
        m["max_bms_discharge_limit_A"] = float(np.nanmax(limit))
        m["min_bms_discharge_limit_A"] = float(np.nanmin(limit))
        if ip is not None and modulating is not None:
            sel = modulating & ~np.isnan(limit)
            if sel.any():
                m["max_dc_current_over_discharge_limit_A"] = float(np.max(ip[sel] - limit[sel]))
    return m


def torque_zero_after(trace: Trace, t0_s: float, t1_s: float,
                      threshold_Nm: float) -> float:
    """Milliseconds from t0_s until |torque| falls to threshold_Nm and stays there up to t1_s
    (or the end of the trace); NaN if it never does."""
    t, tq = _col(trace, "t_s"), _col(trace, "torque_Nm")
    if t is None or tq is None:
        return math.nan
    sel = (t >= t0_s) & (t < t1_s)
    if not sel.any():
        return math.nan
    ts, above = t[sel], np.abs(tq[sel]) > threshold_Nm
    if above[-1]:
        return math.nan
    k = int(np.flatnonzero(above)[-1]) + 1 if above.any() else 0
    return (float(ts[k]) - t0_s) * 1000.0


@dataclass(frozen=True)
class Expectation:
    metric: str
    op: str
    bound: float
    tolerance: float = 0.0


@dataclass(frozen=True)
class ExpectationResult:
    expectation: Expectation
    value: float
    passed: bool
    note: str


def evaluate_expectations(expectations: list[Expectation],
                          metrics: Mapping[str, float]) -> list[ExpectationResult]:
    out = []
    for e in expectations:
        v = metrics.get(e.metric, math.nan)
        v = math.nan if v is None else float(v)
        if math.isnan(v):
            out.append(ExpectationResult(e, v, False, "not computed"))
            continue
        if e.op == "==":
            ok = abs(v - e.bound) <= e.tolerance
        else:
            ok = _OPS[e.op](v, e.bound)
        out.append(ExpectationResult(e, v, ok, ""))
    return out
