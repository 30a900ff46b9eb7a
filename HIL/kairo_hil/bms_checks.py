"""Metrics of the BMS's closed-loop checks in battery-only runs (kind: battery): SOC accuracy
after convergence, SOH capacity, fault reaction times, balancing and SOC across an ECU reset.
They read the battery trace columns (report.BATTERY_TRACE_COLUMNS) and the scenario's fault
times; names are registered with metrics.register_metric on import so scenario files may use
them (HIL/README.md, "BMS checks").
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from .metrics import register_metric

# The BMS's SOH channel is % of the reference pack's nominal capacity: 20 × 5 Ah LG M50 per
# series group (PackDescription.reference: 100 Ah).
BMS_NOMINAL_CAPACITY_AH = 100.0
# SOC accuracy is judged after the estimator had this long to converge (from key-on).
SOC_CONVERGENCE_S = 300.0
BMS_STATE_FAULT = 5
# Fault thresholds of the BMS's protection table (docs/bms-protections.md, rows 2, 5, 11, 20,
# 23): a run that drives the plant past one of them is scored from the first millisecond the
# plant's true value is beyond it.
CELL_OVERVOLTAGE_V, CELL_UNDERVOLTAGE_V = 4.25, 2.5
DISCHARGE_OVERCURRENT_A, CHARGE_OVERCURRENT_A = 200.0, 100.0
DISCHARGE_OVERTEMPERATURE_C = 60.0

BMS_METRICS: dict[str, str] = {
    "soc_rmse_pct": "rms of SOC estimated - true (points), from 300 s after key-on",
    "soc_max_err_pct": "largest |SOC estimated - true| (points), from 300 s after key-on",
    "soc_initial_err_pct": "SOC estimated - true at the first estimate (points)",
    "soh_capacity_error_pct": "BMS capacity (channel 1) vs the plant's mean group capacity at the "
                              "end, % of the true capacity",
    "soh_capacity_pct_final": "BMS SOH capacity at the end, % of nominal (channel 1)",
    "fault_injected_s": "time of the first plant fault of the scenario",
    "contactor_open_after_fault_ms": "first fault → both mains' feedback no longer closed",
    "bms_fault_after_fault_ms": "first fault → BMS_State Fault",
    "limit_crossed_s": "first time the plant's true cell voltage, pack current or module "
                       "temperature is beyond a fault threshold of the BMS",
    "contactor_open_after_limit_ms": "limit crossed → both mains' feedback no longer closed",
    "bms_fault_after_limit_ms": "limit crossed → BMS_State Fault",
    "bms_fault_after_key_off_ms": "key-off → BMS_State Fault (e.g. a weld found at opening)",
    "fault_code_after_fault": "first non-zero BMS fault code (channel 12) after the first fault",
    "final_bms_fault_code": "BMS fault code (channel 12) at the end",
    "first_bms_fault_code": "first non-zero BMS fault code (channel 12) of the run",
    "soc_spread_start_pct": "true cell SOC max - min at the start (points)",
    "soc_spread_end_pct": "true cell SOC max - min at the end (points)",
    "max_balancing_cells": "most cells the BMS bled at once (channel 11)",
    "soc_est_before_reset_pct": "BMS SOC estimate just before the first ecu_reset",
    "soc_est_after_reset_pct": "first BMS SOC estimate after the first ecu_reset",
    "soc_reset_jump_pct": "|SOC estimate after - before| the first ecu_reset (points)",
    "soc_true_reset_change_pct": "true SOC change over the same interval (points)",
    "soc_record_at_reset_pct": "SOC of the newest record in the BMS's store at the first "
                               "ecu_reset (what the reboot restores)",
    "soc_record_jump_pct": "|stored SOC - estimate just before| at the first ecu_reset (points)",
    "bms_restarts": "ECU resets carried out (fault ecu_reset)",
}
for _name, _text in BMS_METRICS.items():
    register_metric(_name, _text)


def _col(trace: Mapping[str, np.ndarray], name: str) -> np.ndarray | None:
    c = trace.get(name)
    return None if c is None else np.asarray(c, dtype=float)


def _first(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else None


def battery_metrics(trace: Mapping[str, np.ndarray], scenario,
                    reset_records: list[tuple[float, float]] = ()) -> dict[str, float]:
    m = {k: math.nan for k in BMS_METRICS}
    t = _col(trace, "t_s")
    if t is None or t.size == 0:
        return m
    st, se = _col(trace, "soc_true_pct"), _col(trace, "soc_est_pct")
    rst = _col(trace, "bms_restarts")
    if st is not None and se is not None:
        # Channel 0 reads 0 until the first estimate of each boot.
        valid = np.isfinite(se) & (se > 0.0)
        k = _first(valid)
        if k is not None:
            m["soc_initial_err_pct"] = float(se[k] - st[k])
        late = valid & (t >= scenario.key_on_s + SOC_CONVERGENCE_S)
        if late.any():
            e = se[late] - st[late]
            m["soc_rmse_pct"] = float(np.sqrt(np.mean(e * e)))
            m["soc_max_err_pct"] = float(np.max(np.abs(e)))
        if rst is not None and rst[-1] >= 1:
            r = _first(rst >= 1)
            before = _first(valid[:r][::-1]) if r else None
            after = _first(valid[r:])
            if before is not None and after is not None:
                kb, ka = r - 1 - before, r + after
                m["soc_est_before_reset_pct"] = float(se[kb])
                m["soc_est_after_reset_pct"] = float(se[ka])
                m["soc_reset_jump_pct"] = abs(float(se[ka] - se[kb]))
                m["soc_true_reset_change_pct"] = float(st[ka] - st[kb])
                if reset_records:
                    m["soc_record_at_reset_pct"] = reset_records[0][1]
                    m["soc_record_jump_pct"] = abs(reset_records[0][1] - float(se[kb]))
    if rst is not None:
        m["bms_restarts"] = float(rst[-1])
    soh, cap = _col(trace, "soh_capacity_pct"), _col(trace, "capacity_true_Ah")
    if soh is not None and cap is not None and np.isfinite(soh[-1]):
        est_Ah = soh[-1] / 100.0 * BMS_NOMINAL_CAPACITY_AH
        m["soh_capacity_pct_final"] = float(soh[-1])
        m["soh_capacity_error_pct"] = float((est_Ah - cap[-1]) / cap[-1] * 100.0)
    lo, hi = _col(trace, "soc_true_min_pct"), _col(trace, "soc_true_max_pct")
    if lo is not None and hi is not None:
        m["soc_spread_start_pct"] = float(hi[0] - lo[0])
        m["soc_spread_end_pct"] = float(hi[-1] - lo[-1])
    bal = _col(trace, "bms_balancing_cells")
    if bal is not None and np.isfinite(bal).any():
        m["max_balancing_cells"] = float(np.nanmax(bal))
    code = _col(trace, "bms_fault_code")
    if code is not None and np.isfinite(code[-1]):
        m["final_bms_fault_code"] = float(code[-1])
    if code is not None:
        k = _first(np.isfinite(code) & (code > 0))
        m["first_bms_fault_code"] = float(code[k]) if k is not None else 0.0
    cs, bs = _col(trace, "contactor_state"), _col(trace, "bms_state")
    beyond = np.zeros(t.size, dtype=bool)
    for name, bound, above in (("cell_v_max_V", CELL_OVERVOLTAGE_V, True),
                               ("cell_v_min_V", CELL_UNDERVOLTAGE_V, False),
                               ("pack_current_A", DISCHARGE_OVERCURRENT_A, True),
                               ("pack_current_A", -CHARGE_OVERCURRENT_A, False),
                               ("module_temp_max_C", DISCHARGE_OVERTEMPERATURE_C, True)):
        c = _col(trace, name)
        if c is not None:
            beyond |= (c >= bound) if above else (c <= bound)
    k0 = _first(beyond)
    if k0 is not None:
        m["limit_crossed_s"] = float(t[k0])
        _reactions(m, t, t >= t[k0], float(t[k0]), cs, bs, "limit")
    if scenario.key_off_s is not None and bs is not None:
        k = _first((t >= scenario.key_off_s) & (bs == BMS_STATE_FAULT))
        if k is not None:
            m["bms_fault_after_key_off_ms"] = (float(t[k]) - scenario.key_off_s) * 1000.0
    plant_faults = [f.at_s for f in scenario.faults if f.is_plant_fault]
    if plant_faults:
        t_f = min(plant_faults)
        m["fault_injected_s"] = t_f
        after = t >= t_f
        _reactions(m, t, after, t_f, cs, bs, "fault")
        if code is not None:
            k = _first(after & np.isfinite(code) & (code > 0))
            if k is not None:
                m["fault_code_after_fault"] = float(code[k])
    return m


def _reactions(m: dict[str, float], t: np.ndarray, after: np.ndarray, t0: float,
               cs: np.ndarray | None, bs: np.ndarray | None, cause: str) -> None:
    """Milliseconds from `t0` to the mains' feedback open and to BMS_State Fault (rows are the
    end of each millisecond, so a reaction within the same millisecond counts 1 ms)."""
    if cs is not None:
        k = _first(after & ((cs.astype(int) & 3) != 3))
        if k is not None:
            m[f"contactor_open_after_{cause}_ms"] = (float(t[k]) - t0) * 1000.0
    if bs is not None:
        k = _first(after & (bs == BMS_STATE_FAULT))
        if k is not None:
            m[f"bms_fault_after_{cause}_ms"] = (float(t[k]) - t0) * 1000.0
