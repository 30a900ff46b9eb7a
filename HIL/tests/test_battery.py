"""Battery pack: OCV table, 2RC response, heat, spread, balancing."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from kairo_hil.plants.battery import BatteryPack, BatteryParams

DATA = Path(__file__).resolve().parents[1] / "kairo_hil" / "data"


def table_ocv(soc):
    rows = [r for r in csv.reader((DATA / "ocv_lg_m50_chen2020.csv").read_text().splitlines())
            if r and not r[0].startswith("#")]
    arr = np.array(rows, dtype=float)
    return np.interp(np.asarray(soc) * 100.0, arr[:, 0], arr[:, 1])


def fit_2rc(soc):
    fits = [f for f in json.loads((DATA / "ecm_lg_m50_chen2020.json").read_text())
            if f["nrc"] == 2 and f["soc"] == soc]
    return fits[0]


def one_cell(**kw) -> BatteryParams:
    base = dict(modules=1, cells_per_module=1, capacity_spread_pct=0.0,
                resistance_spread_pct=0.0, soc_spread_pct=0.0)
    base.update(kw)
    return BatteryParams(**base)


def test_pack_at_rest_reads_the_ocv_table_per_cell_within_0p1_mV():
    pack = BatteryPack(BatteryParams(soc_spread_pct=2.0), seed=3)
    for _ in range(10):
        pack.step(0.0)
    assert np.max(np.abs(pack.cell_voltage_V - table_ocv(pack.soc))) < 1e-4
    assert pack.pack_voltage_V == pytest.approx(float(table_ocv(pack.soc).sum()), abs=0.01)
    assert pack.p.cells == 96


def test_2rc_step_response_follows_the_fit_time_constants_within_10_uV():
    # A huge capacity keeps SOC (and so the parameters) fixed at the 50 % fit point.
    pack = BatteryPack(one_cell(initial_soc_pct=50.0, cell_capacity_Ah=1e7))
    f = fit_2rc(0.5)
    par = 20.0
    r0, r1, r2 = (f[k] * 1e-3 / par for k in ("R0_mOhm", "R1_mOhm", "R2_mOhm"))
    tau1, tau2 = f["tau1_s"], f["tau2_s"]
    ocv = float(table_ocv(0.5))
    current = 100.0
    dt = 0.01  # exact discretisation: the step size does not change the response
    checks = {1: None, 100: None, 2000: None, 9000: None}
    for k in range(1, 9001):
        pack.step(current, dt)
        if k in checks:
            t = k * dt
            expected = ocv - current * (r0 + r1 * (1 - math.exp(-t / tau1))
                                        + r2 * (1 - math.exp(-t / tau2)))
            assert pack.cell_voltage_V[0] == pytest.approx(expected, abs=1e-5), f"t={t}"


def test_relaxation_after_a_pulse_recovers_with_the_slow_time_constant():
    pack = BatteryPack(one_cell(initial_soc_pct=50.0, cell_capacity_Ah=1e7))
    f = fit_2rc(0.5)
    for _ in range(300):
        pack.step(100.0, 0.1)
    v1, v2 = float(pack.v1[0]), float(pack.v2[0])
    for _ in range(int(round(f["tau2_s"] / 0.1))):
        pack.step(0.0, 0.1)
    assert float(pack.v2[0]) == pytest.approx(v2 * math.exp(-1.0), rel=2e-3)
    assert float(pack.v1[0]) == pytest.approx(v1 * math.exp(-f["tau2_s"] / f["tau1_s"]), rel=2e-2)


def test_soc_falls_by_charge_over_capacity_within_1e_9():
    pack = BatteryPack(one_cell(initial_soc_pct=80.0))
    for _ in range(1000):
        pack.step(100.0, 0.01)
    assert pack.soc[0] == pytest.approx(0.80 - 100.0 * 10.0 / (5.0 * 20 * 3600.0), abs=1e-9)


def test_module_temperature_rises_at_i2r0_over_c_then_settles_at_q_over_g_within_1_percent():
    c_th, g_th = 200.0, 10.0
    params = one_cell(initial_soc_pct=50.0, cell_capacity_Ah=1e7, module_heat_capacity_J_K=c_th,
                      module_conductance_W_K=g_th)
    pack = BatteryPack(params, ambient_C=20.0)
    f = fit_2rc(0.5)
    r0, r1, r2 = (f[k] * 1e-3 / 20.0 for k in ("R0_mOhm", "R1_mOhm", "R2_mOhm"))
    i = 200.0
    pack.step(i, 0.01)
    assert pack.module_temp_C[0] - 20.0 == pytest.approx(i * i * r0 * 0.01 / c_th, rel=0.01)
    for _ in range(3000):  # 300 s = 15 thermal time constants, RC states settled too
        pack.step(i, 0.1)
    assert pack.module_temp_C[0] - 20.0 == pytest.approx(i * i * (r0 + r1 + r2) / g_th, rel=0.01)


def test_spread_is_deterministic_for_a_seed_and_differs_between_seeds():
    a, b, c = BatteryPack(seed=7), BatteryPack(seed=7), BatteryPack(seed=8)
    assert np.array_equal(a.soc, b.soc) and np.array_equal(a.capacity_As, b.capacity_As)
    assert not np.array_equal(a.soc, c.soc)
    assert np.std(a.soc) * 100 == pytest.approx(0.5, rel=0.3)


def test_balancing_bleeds_the_selected_cell_by_v_over_r_bleed_within_1_percent():
    pack = BatteryPack(BatteryParams(soc_spread_pct=0.0, capacity_spread_pct=0.0))
    mask = np.zeros(96, dtype=bool)
    mask[5] = True
    pack.set_balancing(mask)
    soc0 = pack.soc.copy()
    v = float(pack.cell_voltage_V[5])
    for _ in range(600):
        pack.step(0.0, 1.0)
    drop = (soc0 - pack.soc) * pack.capacity_As
    assert drop[5] == pytest.approx(v / 33.0 * 600.0, rel=0.01)
    assert np.all(drop[np.arange(96) != 5] == 0.0)
