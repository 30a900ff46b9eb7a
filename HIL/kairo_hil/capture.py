"""Per-control-period capture: what the inverter saw, decided and did in every period of the
scenario's `capture` windows, written as capture.csv, and the metrics that need that
resolution (the trace has one row per millisecond = 20 periods at 50 µs).

One row per control period k (the period whose sample frame carries sequence number k):

    period              sequence number k
    t_s                 plant time at the start of period k (the sample instant)
    ia_A, ib_A          phase currents in the sample frame (board counts → A, 2048 = 0 A)
    current_amplitude_A |i| from those two samples (Clarke, amplitude-invariant)
    vdc_V               DC-link voltage in the sample frame
    id_A, iq_A          firmware's measured dq currents of period k (channels 0, 1)
    id_ref_A, iq_ref_A  references the current loop used in period k: channels 2, 3 of the
                        previous actuation frame (the 1 kHz job updates them after the current
                        loop in the same period, so a new reference acts from the next one)
    mode                power-stage mode of period k's actuation (0 off, 1 modulating, 2 ASC)
    fault_code          firmware's fault code after period k (channel 9)
    id_true_A, iq_true_A  plant's dq currents at the sample instant (no sensor errors)
    speed_rpm           plant's shaft speed at the sample instant

Step metrics (`iq_step_*`, `id_step_*`), per capture window (`capture<n>_iq_step_...` in
summary.json), the worst over the windows as the metric. The step of a window runs from the
dq reference in force in its first period to the one in its last period; its size S is the
length of that change of the current vector, √(Δid² + Δiq²) (a window with S < 5 A has no
step: NaN). Per axis, k0 is the first period from which the axis' reference stays within
0.1 A of its final value (for a rate-limited reference: the period it reaches its final value;
the firmware ramps torque requests at the calibration's rise rate, so a current-reference
step as such only exists where a limit falls at once). The current is the plant's true
current at each period's sample instant. Settling = the number of periods from k0 to the
first period from which the current stays within 2 % of S of the final value to the end of
the window (NaN if it is outside at the end); overshoot = the largest excursion beyond the
final value in the axis' step direction from k0 on, in % of S.

Overcurrent reaction: the first captured period whose sample's current amplitude exceeds the
trip threshold, and the number of periods from it to the first actuation that is not
modulating (0 = the same period's actuation).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from . import cosim
from .metrics import register_metric
from .plants.sensors import (DC_LINK_V_PER_COUNT, PHASE_CURRENT_A_PER_COUNT,
                             PHASE_CURRENT_ZERO_COUNTS, InverterSample)

# Brand A protection row 0 (docs/inverter-protections.md): |i_dq| > 380 A trips in one sample.
OVERCURRENT_TRIP_A = 380.0
SETTLING_BAND_FRACTION = 0.02
REFERENCE_FINAL_TOLERANCE_A = 0.1
MIN_STEP_A = 5.0

COLUMNS: tuple[tuple[str, int], ...] = (
    ("period", 0), ("t_s", 6), ("ia_A", 2), ("ib_A", 2), ("current_amplitude_A", 2),
    ("vdc_V", 1), ("id_A", 3), ("iq_A", 3), ("id_ref_A", 3), ("iq_ref_A", 3), ("mode", 0),
    ("fault_code", 0), ("id_true_A", 3), ("iq_true_A", 3), ("speed_rpm", 2),
)
_INV_ID, _INV_IQ, _INV_ID_REF, _INV_IQ_REF, _INV_FAULT = 0, 1, 2, 3, 9
_SQRT3 = math.sqrt(3.0)
_RPM_PER_RAD_S = 30.0 / math.pi

CAPTURE_METRICS = {
    "iq_step_settling_periods": "control periods from iq_ref reaching its final value until "
                                "iq stays within 2 % of the dq step size (worst capture "
                                "window)",
    "iq_step_overshoot_pct": "iq overshoot beyond iq_ref's final value, % of the dq step "
                             "size (worst capture window)",
    "iq_step_size_A": "largest |iq_ref step| over the capture windows, A",
    "id_step_settling_periods": "as iq_step_settling_periods, for id",
    "id_step_overshoot_pct": "as iq_step_overshoot_pct, for id",
    "id_step_size_A": "largest |id_ref step| over the capture windows, A",
    "overcurrent_reaction_periods": "control periods from the first captured sample above the "
                                    "overcurrent trip to the first actuation not modulating "
                                    "(0 = the same period)",
    "overcurrent_reaction_mode": "power-stage mode of that first non-modulating actuation "
                                 "(0 off, 2 active short circuit)",
    "captured_periods": "control periods in the capture windows",
}
for _name, _text in CAPTURE_METRICS.items():
    register_metric(_name, _text)


class PeriodCapture:
    """Collects one row per control period inside the windows (from_s, to_s)."""

    def __init__(self, windows: Sequence[tuple[float, float]]) -> None:
        self.windows = [(float(a), float(b)) for a, b in windows]
        self.rows: list[tuple[float, ...]] = []
        self.window_of_row: list[int] = []

    def window_at(self, t_s: float) -> int | None:
        """Index of the window containing t_s, or None."""
        for i, (a, b) in enumerate(self.windows):
            if a <= t_s < b:
                return i
        return None

    def record(self, window: int, period: int, t_s: float, sample: InverterSample,
               actuation: cosim.Actuation, previous_telemetry: Sequence[float],
               id_true_A: float, iq_true_A: float, speed_rad_s: float) -> None:
        ia = (sample.phase_current_counts[0] - PHASE_CURRENT_ZERO_COUNTS) \
            * PHASE_CURRENT_A_PER_COUNT
        ib = (sample.phase_current_counts[1] - PHASE_CURRENT_ZERO_COUNTS) \
            * PHASE_CURRENT_A_PER_COUNT
        beta = (ia + 2.0 * ib) / _SQRT3
        tel = actuation.telemetry
        self.rows.append((
            float(period), t_s, ia, ib, math.hypot(ia, beta),
            sample.dc_link_voltage_counts * DC_LINK_V_PER_COUNT, tel[_INV_ID], tel[_INV_IQ],
            previous_telemetry[_INV_ID_REF], previous_telemetry[_INV_IQ_REF],
            float(actuation.mode), tel[_INV_FAULT], id_true_A, iq_true_A,
            speed_rad_s * _RPM_PER_RAD_S))
        self.window_of_row.append(window)

    def as_dict(self) -> dict[str, np.ndarray]:
        data = np.array(self.rows, dtype=float).reshape(len(self.rows), len(COLUMNS))
        out = {name: data[:, i].copy() for i, (name, _) in enumerate(COLUMNS)}
        out["window"] = np.array(self.window_of_row, dtype=float)
        return out

    def write_csv(self, path: str | Path) -> Path:
        """Fixed decimals per column, so identical runs give identical files."""
        specs = [f".{d}f" for _, d in COLUMNS]
        lines = ["window," + ",".join(name for name, _ in COLUMNS)]
        for w, row in zip(self.window_of_row, self.rows):
            cells = [str(w)]
            for x, spec in zip(row, specs):
                text = "nan" if math.isnan(x) else format(x, spec)
                cells.append("0" + text[2:] if text.startswith("-0") and float(text) == 0.0
                             else text)
            lines.append(",".join(cells))
        p = Path(path)
        p.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
        return p


def step_response(reference: np.ndarray, current: np.ndarray,
                  step_size_A: float) -> dict[str, float]:
    """Settling (periods) and overshoot (% of step_size_A) of one axis' `current` after its
    `reference` moves from its first to its last value (module docstring)."""
    ok = ~np.isnan(reference)
    ref, cur = reference[ok], current[ok]
    final = float(ref[-1])
    away = np.flatnonzero(np.abs(ref - final) > REFERENCE_FINAL_TOLERANCE_A)
    k0 = int(away[-1]) + 1 if away.size else 0
    band = SETTLING_BAND_FRACTION * step_size_A
    outside = np.flatnonzero(np.abs(cur[k0:] - final) > band)
    if outside.size and outside[-1] == cur.size - k0 - 1:
        settling = math.nan  # still outside the band at the end of the window
    else:
        settling = float(outside[-1] + 1) if outside.size else 0.0
    direction = math.copysign(1.0, final - float(ref[0]))
    excursion = (cur[k0:] - final) * direction
    overshoot = max(0.0, float(np.max(excursion))) / step_size_A * 100.0
    return {"settling_periods": settling, "overshoot_pct": overshoot,
            "step_A": final - float(ref[0])}


def capture_metrics(capture: Mapping[str, np.ndarray]) -> dict[str, float]:
    m = {k: math.nan for k in CAPTURE_METRICS}
    windows = capture.get("window")
    m["captured_periods"] = float(0 if windows is None else windows.size)
    if windows is None or windows.size == 0:
        return m
    results: dict[str, list[dict[str, float]]] = {"iq": [], "id": []}
    for w in np.unique(windows):
        sel = windows == w
        refs = {a: capture[f"{a}_ref_A"][sel] for a in ("id", "iq")}
        ok = ~np.isnan(refs["id"]) & ~np.isnan(refs["iq"])
        if ok.sum() < 2:
            continue
        size = math.hypot(*(float(refs[a][ok][-1] - refs[a][ok][0]) for a in ("id", "iq")))
        if size < MIN_STEP_A:
            continue
        m[f"capture{int(w)}_step_size_A"] = size
        for axis in ("iq", "id"):
            r = step_response(refs[axis][ok], capture[f"{axis}_true_A"][sel][ok], size)
            results[axis].append(r)
            for key, value in r.items():
                m[f"capture{int(w)}_{axis}_step_{key}"] = value
    for axis, rs in results.items():
        if rs:
            settling = [r["settling_periods"] for r in rs]
            m[f"{axis}_step_settling_periods"] = math.nan if any(map(math.isnan, settling)) \
                else max(settling)
            m[f"{axis}_step_overshoot_pct"] = max(r["overshoot_pct"] for r in rs)
            m[f"{axis}_step_size_A"] = max(abs(r["step_A"]) for r in rs)
    over = np.flatnonzero(capture["current_amplitude_A"] > OVERCURRENT_TRIP_A)
    if over.size:
        k = int(over[0])
        off = np.flatnonzero(capture["mode"][k:] != cosim.POWER_STAGE_MODULATING)
        if off.size:
            m["overcurrent_reaction_periods"] = float(off[0])
            m["overcurrent_reaction_mode"] = float(capture["mode"][k + int(off[0])])
    return m
