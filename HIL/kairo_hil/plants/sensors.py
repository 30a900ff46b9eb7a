"""Sensor error models and conversion to the board's sample conventions.

Board conventions (the Platform module of the firmware):
- phase current: 12-bit counts, 2048 = 0 A, 0.25 A per count (±512 A), positive = into motor;
- DC-link voltage: 12-bit counts, 0.2 V per count;
- rotor angle: resolver mechanical angle, 0 ... 65535 = one mechanical turn;
- inverter-side temperatures: 12-bit counts, °C = counts × 0.1 − 40;
- BMS: cell voltage mV (UInt16), temperatures 0.1 °C (Int16), pack current mA (Int32,
  positive = discharge), pack/link voltage 0.1 V (UInt16), contactor feedback booleans.

Every reading is true value × (1 + gain error) + offset + noise, then quantised and clamped to
its field. Noise comes from one seeded numpy Generator, drawn in blocks, so a run is
deterministic for a seed and the per-reading cost stays small. Offsets can be changed at run
time (fault injection) with `add_offset`.

Open-wire model (cell monitor): an open sense wire between cell n and n+1 makes cell n read
about 0 V and cell n+1 read the sum of both (the AFE's input filter charges through the
neighbour), and the monitor's open-wire test flags cell n. For the last cell of a module the
excess goes nowhere (it reads 0 V only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

PHASE_CURRENT_A_PER_COUNT = 0.25
PHASE_CURRENT_ZERO_COUNTS = 2048
DC_LINK_V_PER_COUNT = 0.2
ADC_MAX_COUNTS = 4095
ANGLE_COUNTS_PER_TURN = 65536
TEMP_C_PER_COUNT = 0.1
TEMP_OFFSET_C = -40.0

_TWO_PI = 2.0 * math.pi

# Names accepted by add_offset (fault injection) and by the scenario's sensor_offset fault.
OFFSET_SENSORS = (
    "phase_current_a", "phase_current_b", "dc_link_voltage", "rotor_angle",
    "pack_current", "pack_voltage", "link_voltage", "cell_voltage", "module_temperature",
)


@dataclass
class SensorParams:
    # Inverter side
    phase_current_gain_error: float = 0.0      # fraction, e.g. 0.01 = +1 %
    phase_current_offset_A: float = 0.0
    phase_current_noise_A: float = 0.0         # rms
    dc_link_voltage_gain_error: float = 0.0
    dc_link_voltage_noise_V: float = 0.0
    resolver_offset_rad: float = 0.0           # mechanical
    resolver_noise_rad: float = 0.0
    inverter_temperature_noise_C: float = 0.0
    # BMS side
    pack_current_gain_error: float = 0.0
    pack_current_offset_A: float = 0.0
    pack_current_noise_A: float = 0.0
    hv_voltage_gain_error: float = 0.0         # pack and link voltage measurement
    hv_voltage_noise_V: float = 0.0
    cell_voltage_gain_error: float = 0.0
    cell_voltage_offset_mV: float = 0.0
    # Fixed per-channel AFE error, drawn once per run (1-sigma).
    cell_voltage_channel_error_mV: float = 0.0
    cell_voltage_noise_mV: float = 0.0
    temperature_offset_C: float = 0.0
    temperature_noise_C: float = 0.0
    temperature_sensors_per_module: int = 4

    def validate(self) -> None:
        for name, value in vars(self).items():
            if name.endswith(("_noise_A", "_noise_V", "_noise_rad", "_noise_C", "_noise_mV",
                              "_channel_error_mV")) and value < 0.0:
                raise ValueError(f"{name} must be >= 0")
        if self.temperature_sensors_per_module < 1:
            raise ValueError("temperature_sensors_per_module must be >= 1")


class InverterSample(NamedTuple):
    """The inverter ECU's sample, field for field as the Platform's InverterSample."""
    phase_current_counts: tuple[int, int]
    dc_link_voltage_counts: int
    rotor_angle_counts: int
    inverter_temperature_counts: int
    motor_temperature_counts: int


class ContactorSet(NamedTuple):
    negative_main: bool
    positive_main: bool
    precharge: bool


class BmsSample(NamedTuple):
    """The BMS ECU's cell scan (CellScan) and pack sample (PackSample)."""
    cell_voltage_mV: np.ndarray        # uint16, one per series cell
    temperature_dC: np.ndarray         # int16, sensors_per_module per module
    open_wire: np.ndarray              # bool, one per series cell
    current_mA: int                    # positive = discharge
    pack_voltage_dV: int
    link_voltage_dV: int
    feedback: ContactorSet


def phase_current_counts(current_A: float) -> int:
    c = int(math.floor(PHASE_CURRENT_ZERO_COUNTS + current_A / PHASE_CURRENT_A_PER_COUNT + 0.5))
    return 0 if c < 0 else (ADC_MAX_COUNTS if c > ADC_MAX_COUNTS else c)


def dc_link_counts(voltage_V: float) -> int:
    c = int(math.floor(voltage_V / DC_LINK_V_PER_COUNT + 0.5))
    return 0 if c < 0 else (ADC_MAX_COUNTS if c > ADC_MAX_COUNTS else c)


def angle_counts(theta_m_rad: float) -> int:
    return int(math.floor((theta_m_rad % _TWO_PI) / _TWO_PI * ANGLE_COUNTS_PER_TURN + 0.5)) & 0xFFFF


def temperature_counts(temp_C: float) -> int:
    c = int(math.floor((temp_C - TEMP_OFFSET_C) / TEMP_C_PER_COUNT + 0.5))
    return 0 if c < 0 else (ADC_MAX_COUNTS if c > ADC_MAX_COUNTS else c)


class _NormalStream:
    """Standard normal draws from a Generator, taken in blocks (cheap per scalar)."""

    __slots__ = ("_rng", "_buf", "_pos")
    _BLOCK = 8192

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._pos = 0

    def next(self) -> float:
        if self._pos >= len(self._buf):
            self._buf = self._rng.standard_normal(self._BLOCK).tolist()
            self._pos = 0
        x = self._buf[self._pos]
        self._pos += 1
        return x


class Sensors:
    """Turns true plant values into board samples. One instance per rig, seeded."""

    def __init__(self, params: SensorParams | None = None, seed: int = 0, cells: int = 96,
                 modules: int = 8, cells_per_module: int = 12) -> None:
        self.p = p = params or SensorParams()
        p.validate()
        # Separate streams so that enabling noise on one channel does not shift the others.
        root = np.random.SeedSequence(seed)
        s_inv, s_bms, s_fixed = root.spawn(3)
        self._n_inv = _NormalStream(np.random.default_rng(s_inv))
        self._rng_bms = np.random.default_rng(s_bms)
        fixed = np.random.default_rng(s_fixed)
        self.cells = cells
        self.modules = modules
        self.cells_per_module = cells_per_module
        self.cell_channel_error_mV = fixed.standard_normal(cells) * p.cell_voltage_channel_error_mV
        self.offsets = {name: 0.0 for name in OFFSET_SENSORS}
        self.cell_offset_mV = np.zeros(cells)
        self.module_temp_offset_C = np.zeros(modules)

    def add_offset(self, sensor: str, offset: float, index: int | None = None) -> None:
        """Adds a run-time offset (A, V, rad, mV or °C by sensor) to one sensor; for
        cell_voltage / module_temperature, `index` selects the cell / module (None = all)."""
        if sensor not in self.offsets:
            raise ValueError(f"unknown sensor {sensor!r}; expected one of {OFFSET_SENSORS}")
        if index is not None:
            size = {"cell_voltage": self.cells, "module_temperature": self.modules}.get(sensor)
            if size is None:
                raise ValueError(f"sensor {sensor!r} takes no index")
            if not 0 <= index < size:
                raise ValueError(f"{sensor} index {index} outside 0..{size - 1}")
        if sensor == "cell_voltage":
            if index is None:
                self.cell_offset_mV += offset
            else:
                self.cell_offset_mV[index] += offset
        elif sensor == "module_temperature":
            if index is None:
                self.module_temp_offset_C += offset
            else:
                self.module_temp_offset_C[index] += offset
        else:
            self.offsets[sensor] += offset

    def inverter_sample(self, ia_A: float, ib_A: float, vdc_V: float, theta_m_rad: float,
                        inverter_temp_C: float, motor_temp_C: float) -> InverterSample:
        p = self.p
        o = self.offsets
        g = 1.0 + p.phase_current_gain_error
        na = nb = nv = nth = 0.0
        if p.phase_current_noise_A > 0.0:
            na = self._n_inv.next() * p.phase_current_noise_A
            nb = self._n_inv.next() * p.phase_current_noise_A
        if p.dc_link_voltage_noise_V > 0.0:
            nv = self._n_inv.next() * p.dc_link_voltage_noise_V
        if p.resolver_noise_rad > 0.0:
            nth = self._n_inv.next() * p.resolver_noise_rad
        ta = tm = 0.0
        if p.inverter_temperature_noise_C > 0.0:
            ta = self._n_inv.next() * p.inverter_temperature_noise_C
            tm = self._n_inv.next() * p.inverter_temperature_noise_C
        ca = phase_current_counts(ia_A * g + p.phase_current_offset_A + o["phase_current_a"] + na)
        cb = phase_current_counts(ib_A * g + p.phase_current_offset_A + o["phase_current_b"] + nb)
        cv = dc_link_counts(vdc_V * (1.0 + p.dc_link_voltage_gain_error)
                            + o["dc_link_voltage"] + nv)
        cth = angle_counts(theta_m_rad + p.resolver_offset_rad + o["rotor_angle"] + nth)
        return InverterSample((ca, cb), cv, cth, temperature_counts(inverter_temp_C + ta),
                              temperature_counts(motor_temp_C + tm))

    def bms_sample(self, cell_voltage_V: np.ndarray, open_wire: np.ndarray,
                   module_temp_C: np.ndarray, pack_current_A: float, pack_voltage_V: float,
                   link_voltage_V: float, feedback: tuple[bool, bool, bool]) -> BmsSample:
        p = self.p
        o = self.offsets
        rng = self._rng_bms
        v_mV = cell_voltage_V * 1000.0
        if open_wire.any():
            v_mV = v_mV.copy()
            for n in np.flatnonzero(open_wire):
                if (n + 1) % self.cells_per_module != 0:
                    v_mV[n + 1] += v_mV[n]
                v_mV[n] = 0.0
        v_mV = (v_mV * (1.0 + p.cell_voltage_gain_error) + p.cell_voltage_offset_mV
                + self.cell_channel_error_mV + self.cell_offset_mV)
        if p.cell_voltage_noise_mV > 0.0:
            v_mV = v_mV + rng.standard_normal(self.cells) * p.cell_voltage_noise_mV
        cell_mV = np.clip(np.floor(v_mV + 0.5), 0, 65535).astype(np.uint16)

        k = p.temperature_sensors_per_module
        t = np.repeat(module_temp_C + self.module_temp_offset_C, k) + p.temperature_offset_C
        if p.temperature_noise_C > 0.0:
            t = t + rng.standard_normal(t.shape[0]) * p.temperature_noise_C
        temp_dC = np.clip(np.floor(t * 10.0 + 0.5), -32768, 32767).astype(np.int16)

        i = pack_current_A * (1.0 + p.pack_current_gain_error) + p.pack_current_offset_A \
            + o["pack_current"]
        if p.pack_current_noise_A > 0.0:
            i += float(rng.standard_normal()) * p.pack_current_noise_A
        gv = 1.0 + p.hv_voltage_gain_error
        vp = pack_voltage_V * gv + o["pack_voltage"]
        vl = link_voltage_V * gv + o["link_voltage"]
        if p.hv_voltage_noise_V > 0.0:
            vp += float(rng.standard_normal()) * p.hv_voltage_noise_V
            vl += float(rng.standard_normal()) * p.hv_voltage_noise_V
        current_mA = int(min(max(math.floor(i * 1000.0 + 0.5), -2**31), 2**31 - 1))
        return BmsSample(
            cell_mV, temp_dC, open_wire.copy(), current_mA,
            int(min(max(math.floor(vp * 10.0 + 0.5), 0), 65535)),
            int(min(max(math.floor(vl * 10.0 + 0.5), 0), 65535)),
            ContactorSet(*feedback),
        )
