"""Battery pack of standardised modules, one 2RC equivalent circuit per series cell group.

Each series element ("cell") is a parallel group of `parallel_cells` LG M50 cells. Per-cell
data (data/PROVENANCE.md) is scaled to the group: resistances / parallel count, capacity ×
parallel count, time constants unchanged. Parameters are linear in SOC between the five fit
points and held constant outside them (10 % and 90 %).

Per cell i, with the cell current I_i (pack current plus its balancing bleed, positive =
discharge), exact discretisation for a current held over the step:

    v_k <- a_k v_k + (1 - a_k) R_k I_i,  a_k = exp(-dt / tau_k)     (k = 1, 2)
    SOC <- SOC - I_i dt / (3600 Q_i)
    V_i  = OCV(SOC) - v_1 - v_2 - R_0 I_i

Spread (seeded): capacity and resistance factors are normal around 1, initial SOC normal
around the set point. One thermal node per module: irreversible heat I (I R0 + v1 + v2) of its
cells in, convection G (T - T_ambient) out. Entropic heat is not modelled.

Open-wire faults do not change the cells; they are flags the cell-voltage sensor model reads.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

_GRID_POINTS = 101  # SOC grid 0, 1, ..., 100 %


@dataclass
class BatteryParams:
    modules: int = 8
    cells_per_module: int = 12
    parallel_cells: int = 20
    cell_capacity_Ah: float = 5.0
    initial_soc_pct: float = 80.0
    soc_spread_pct: float = 0.5          # 1-sigma, absolute SOC points
    capacity_spread_pct: float = 1.0     # 1-sigma, relative
    resistance_spread_pct: float = 3.0   # 1-sigma, relative
    balancing_resistance_ohm: float = 33.0
    # Per module: 240 cells × 69 g × ~1000 J/(kg·K); convection to the ambient/coolant.
    module_heat_capacity_J_K: float = 16500.0
    module_conductance_W_K: float = 10.0
    # R(T) = R(25 °C) · exp(-coeff · (T - 25)); the fits carry no temperature data.
    resistance_temp_coeff_per_K: float = 0.0
    step_s: float = 1.0e-3

    @property
    def cells(self) -> int:
        return self.modules * self.cells_per_module

    def validate(self) -> None:
        for name in ("modules", "cells_per_module", "parallel_cells"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        for name in ("cell_capacity_Ah", "balancing_resistance_ohm", "module_heat_capacity_J_K",
                     "step_s"):
            if getattr(self, name) <= 0.0:
                raise ValueError(f"{name} must be > 0")
        if not 0.0 <= self.initial_soc_pct <= 100.0:
            raise ValueError("initial_soc_pct must be within 0..100")
        for name in ("soc_spread_pct", "capacity_spread_pct", "resistance_spread_pct",
                     "module_conductance_W_K"):
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0")


def load_ocv_table() -> tuple[np.ndarray, np.ndarray]:
    """(soc 0..1, ocv V) for one LG M50 cell."""
    text = resources.files("kairo_hil.data").joinpath("ocv_lg_m50_chen2020.csv").read_text()
    rows = [r for r in csv.reader(text.splitlines()) if r and not r[0].startswith("#")]
    arr = np.array(rows, dtype=float)
    return arr[:, 0] / 100.0, arr[:, 1]


def load_2rc_fits() -> dict[str, np.ndarray]:
    """2RC fits for one cell, sorted by SOC: soc, r0/r1/r2 (Ω), tau1/tau2 (s)."""
    text = resources.files("kairo_hil.data").joinpath("ecm_lg_m50_chen2020.json").read_text()
    fits = sorted((f for f in json.loads(text) if f["nrc"] == 2), key=lambda f: f["soc"])
    return {
        "soc": np.array([f["soc"] for f in fits]),
        "r0": np.array([f["R0_mOhm"] for f in fits]) * 1e-3,
        "r1": np.array([f["R1_mOhm"] for f in fits]) * 1e-3,
        "r2": np.array([f["R2_mOhm"] for f in fits]) * 1e-3,
        "tau1": np.array([f["tau1_s"] for f in fits]),
        "tau2": np.array([f["tau2_s"] for f in fits]),
    }


class BatteryPack:
    """Vectorised over the cells. Arrays have one entry per series cell group, index 0 at the
    pack's negative end; modules are consecutive runs of `cells_per_module`."""

    def __init__(self, params: BatteryParams | None = None, seed: int = 0,
                 ambient_C: float = 25.0) -> None:
        self.p = p = params or BatteryParams()
        p.validate()
        n = p.cells
        rng = np.random.default_rng(seed)
        self.capacity_factor = np.clip(
            1.0 + rng.standard_normal(n) * p.capacity_spread_pct / 100.0, 0.5, 1.5)
        self.resistance_factor = np.clip(
            1.0 + rng.standard_normal(n) * p.resistance_spread_pct / 100.0, 0.5, 2.0)
        soc0 = p.initial_soc_pct / 100.0 + rng.standard_normal(n) * p.soc_spread_pct / 100.0
        self.soc = np.clip(soc0, 0.0, 1.0)
        self.capacity_As = p.cell_capacity_Ah * p.parallel_cells * 3600.0 * self.capacity_factor
        self._inv_capacity = 1.0 / self.capacity_As
        # RC polarisation voltages, row 0 = v1 (fast), row 1 = v2 (slow).
        self.v_rc = np.zeros((2, n))
        self.ambient_C = float(ambient_C)
        self.module_temp_C = np.full(p.modules, float(ambient_C))
        self.balancing = np.zeros(n, dtype=bool)
        self.open_wire = np.zeros(n, dtype=bool)
        self._cell_current_A: np.ndarray | float = 0.0
        self.pack_current_A = 0.0
        self._balancing_any = False
        self._build_table(p.step_s)
        self._r0 = self._lookup(self.soc)[1] * self.resistance_factor
        self._update_outputs(0.0)

    @property
    def cell_current_A(self) -> np.ndarray:
        """Current of each cell group over the last step (pack current + its bleed)."""
        return np.broadcast_to(np.asarray(self._cell_current_A, dtype=float),
                               self.soc.shape).copy()

    @property
    def v1(self) -> np.ndarray:
        return self.v_rc[0]

    @property
    def v2(self) -> np.ndarray:
        return self.v_rc[1]

    def _build_table(self, dt_s: float) -> None:
        grid = np.linspace(0.0, 1.0, _GRID_POINTS)
        soc_t, ocv_t = load_ocv_table()
        f = load_2rc_fits()
        par = float(self.p.parallel_cells)
        # Rows over the SOC grid: ocv, r0, a1, a2, b1, b2 with a_k = exp(-dt/tau_k) and
        # b_k = (1 - a_k) R_k, the RC update's input gain for the held current.
        r1 = np.interp(grid, f["soc"], f["r1"]) / par
        r2 = np.interp(grid, f["soc"], f["r2"]) / par
        a1 = np.exp(-dt_s / np.interp(grid, f["soc"], f["tau1"]))
        a2 = np.exp(-dt_s / np.interp(grid, f["soc"], f["tau2"]))
        t = np.stack([
            np.interp(grid, soc_t, ocv_t),
            np.interp(grid, f["soc"], f["r0"]) / par,
            a1, a2, (1.0 - a1) * r1, (1.0 - a2) * r2,
        ])
        # Value and slope per grid interval; one extra column so SOC = 100 % stays in range.
        self._table = np.ascontiguousarray(np.hstack([t, t[:, -1:]]))
        self._slope = np.ascontiguousarray(
            np.hstack([np.diff(self._table, axis=1), np.zeros((t.shape[0], 1))]))
        self._t_ocv = self._table[0].copy()
        self._s_ocv = self._slope[0].copy()
        self._dt_s = dt_s

    def _lookup(self, soc: np.ndarray) -> np.ndarray:
        """Parameter rows (6 × cells), linear in SOC; soc must already be within 0..1."""
        return self._lookup_with_slope(soc)[0]

    def _lookup_with_slope(self, soc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = soc * (_GRID_POINTS - 1)
        i = x.astype(np.intp)
        slope = self._slope.take(i, axis=1)
        return self._table.take(i, axis=1) + slope * (x - i), slope

    def ocv_V(self, soc: np.ndarray | float) -> np.ndarray:
        """OCV of one cell group (V) at SOC 0..1 (clamped), linear between table points."""
        x = np.minimum(np.maximum(np.asarray(soc, dtype=float), 0.0), 1.0) * (_GRID_POINTS - 1)
        i = x.astype(np.intp)
        return self._t_ocv.take(i) + self._s_ocv.take(i) * (x - i)

    def _resistance_factor(self) -> np.ndarray:
        k = self.p.resistance_temp_coeff_per_K
        if k == 0.0:
            return self.resistance_factor
        return self.resistance_factor * np.repeat(
            np.exp(-k * (self.module_temp_C - 25.0)), self.p.cells_per_module)

    def set_balancing(self, mask: np.ndarray) -> None:
        """Close the bleed resistor of every cell whose mask entry is true."""
        self.balancing[:] = mask
        self._balancing_any = bool(self.balancing.any())

    def step(self, pack_current_A: float, dt_s: float | None = None) -> None:
        """Advance by one pack step with the pack current (positive = discharge) held."""
        dt = self.p.step_s if dt_s is None else dt_s
        if dt != self._dt_s:
            self._build_table(dt)
        row, slope = self._lookup_with_slope(self.soc)
        rf = self._resistance_factor()
        r0 = row[1] * rf
        if self._balancing_any:
            bleed = self.balancing * (self.cell_voltage_V / self.p.balancing_resistance_ohm)
            i = pack_current_A + bleed
        else:
            bleed = 0.0
            i = float(pack_current_A)
        gain = rf * i
        v = row[2:4] * self.v_rc
        v += row[4:6] * gain
        self.v_rc = v
        v_sum = v[0] + v[1]
        heat = i * (i * r0 + v_sum)
        q_mod = heat.reshape(self.p.modules, self.p.cells_per_module).sum(axis=1)
        self.module_temp_C += dt / self.p.module_heat_capacity_J_K * (
            q_mod - self.p.module_conductance_W_K * (self.module_temp_C - self.ambient_C))
        dsoc = (i * dt) * self._inv_capacity
        soc = self.soc - dsoc
        if soc.min() < 0.0 or soc.max() > 1.0:
            np.clip(soc, 0.0, 1.0, out=soc)
            ocv = None
        else:
            # The SOC moves far less than one grid interval per step: continue along the
            # interval's slope instead of a second table look-up.
            ocv = row[0] - slope[0] * (dsoc * (_GRID_POINTS - 1))
        self.soc = soc
        self._cell_current_A = i
        self.pack_current_A = float(pack_current_A)
        self._r0 = r0
        self._update_outputs(bleed, v_sum, ocv)

    def _update_outputs(self, bleed: np.ndarray | float, v_sum: np.ndarray | None = None,
                        ocv: np.ndarray | None = None) -> None:
        self.ocv = self.ocv_V(self.soc) if ocv is None else ocv
        if v_sum is None:
            v_sum = self.v_rc[0] + self.v_rc[1]
        emf_cells = self.ocv - v_sum
        if not isinstance(bleed, float):
            emf_cells -= self._r0 * bleed
        self.emf_V = float(emf_cells.sum())
        self.resistance_ohm = float(self._r0.sum())
        self.cell_voltage_V = emf_cells - self._r0 * self.pack_current_A

    @property
    def pack_voltage_V(self) -> float:
        return float(self.cell_voltage_V.sum())

    @property
    def soc_mean_pct(self) -> float:
        return float(self.soc.mean() * 100.0)
