"""The whole physical world of the rig, stepped one inverter control period at a time.

    pack (2RC cells, 1 ms) ⇄ contactors + precharge ⇄ DC link ⇄ inverter + PMSM ⇄ vehicle
                                                                       ↓
                                             sensors → InverterSample (every period),
                                                       BmsSample (every pack step)

Call order inside `step` (one control period, actuation held over it):
1. PMSM + inverter with the DC-link voltage at the start of the period;
2. DC link with the inverter's mean DC current (plus any external DC load);
3. vehicle with the mean motor torque and the mechanical brake force;
4. every `pack_steps_per_period`-th call: battery pack with the mean contactor current over
   the last pack period, motor/inverter thermal nodes, fault expiries, new BmsSample;
5. the InverterSample latched at the end of the period (what the firmware reads at the start
   of the next one).

With `PlantParams.dyno_speed_profile` the motor shaft speed follows that profile (a
dynamometer) and the vehicle rolls along at the matching speed (as on a chassis dyno's
rollers): the motor torque goes into the dyno, not into the vehicle.

Actuator inputs that change less often than the control period (contactor commands, balancing
mask, brake force, external load) are latched with the set_* methods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .plants.battery import BatteryPack, BatteryParams
from .plants.dclink import DcLink, DcLinkParams
from .plants.pmsm import Pmsm, PmsmParams
from .plants.sensors import BmsSample, InverterSample, Sensors, SensorParams
from .plants.vehicle import Vehicle, VehicleParams

# Fault kinds the plant itself carries out. Others in a scenario (e.g. "can_loss") belong to
# the rig's bus and are returned unhandled by Plant.inject_fault.
PLANT_FAULT_KINDS = ("open_wire", "contactor_weld", "contactor_stuck_open", "sensor_offset",
                     "overcurrent")


@dataclass
class ThermalParams:
    """First-order nodes behind the inverter's two temperature sensors (to the coolant at
    ambient). The inverter's losses are not in the electrical model; for this node only they
    are estimated as conduction loss 1.5·R_on·|i|²."""
    motor_heat_capacity_J_K: float = 4000.0
    motor_conductance_W_K: float = 20.0
    inverter_heat_capacity_J_K: float = 800.0
    inverter_conductance_W_K: float = 25.0
    inverter_on_resistance_ohm: float = 2.0e-3

    def validate(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) <= 0.0:
                raise ValueError(f"{f.name} must be > 0")


@dataclass
class PlantParams:
    vehicle: VehicleParams = field(default_factory=VehicleParams)
    motor: PmsmParams = field(default_factory=PmsmParams)
    dclink: DcLinkParams = field(default_factory=DcLinkParams)
    battery: BatteryParams = field(default_factory=BatteryParams)
    sensors: SensorParams = field(default_factory=SensorParams)
    thermal: ThermalParams = field(default_factory=ThermalParams)
    control_period_s: float = 50.0e-6
    ambient_C: float = 25.0
    seed: int = 0
    # Dynamometer: [[t_s, rpm], ...] (piecewise linear, held at the ends) imposes the motor
    # shaft speed instead of the vehicle; None = the shaft is geared to the vehicle.
    dyno_speed_profile: Sequence[Sequence[float]] | None = None

    def validate(self) -> None:
        for section in ("vehicle", "motor", "dclink", "battery", "sensors", "thermal"):
            getattr(self, section).validate()
        if self.dyno_speed_profile is not None:
            DynoSpeed(self.dyno_speed_profile)
        if not 10e-6 <= self.control_period_s <= 1e-3:
            raise ValueError("control_period_s must be within 10 µs .. 1 ms")
        ratio = self.battery.step_s / self.control_period_s
        if abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
            raise ValueError("battery.step_s must be a whole multiple of control_period_s")


def apply_overrides(target: Any, overrides: Mapping[str, Any], where: str = "plant") -> None:
    """Sets dataclass fields from a nested mapping; raises KeyError/TypeError naming the
    dotted field on an unknown key or a value of the wrong type."""
    names = {f.name: f for f in fields(target)}
    for key, value in overrides.items():
        if key not in names:
            raise KeyError(f"{where}.{key}: unknown field; expected one of {sorted(names)}")
        current = getattr(target, key)
        if is_dataclass(current):
            if not isinstance(value, Mapping):
                raise TypeError(f"{where}.{key}: expected a mapping, got {type(value).__name__}")
            apply_overrides(current, value, f"{where}.{key}")
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                raise TypeError(f"{where}.{key}: expected true/false, got {value!r}")
            setattr(target, key, value)
        elif isinstance(current, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{where}.{key}: expected an integer, got {value!r}")
            setattr(target, key, value)
        elif isinstance(current, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{where}.{key}: expected a number, got {value!r}")
            setattr(target, key, float(value))
        else:
            setattr(target, key, value)


def balancing_mask_to_bool(mask: int | Sequence[int] | np.ndarray, cells: int) -> np.ndarray:
    """Accepts a bit mask as one int (bit n = cell n), as 32-bit words (word k holds cells
    32k .. 32k+31, like the firmware's [3 of UInt32]) or as a bool array per cell."""
    if isinstance(mask, (int, np.integer)):
        m = int(mask)
        return np.array([(m >> n) & 1 == 1 for n in range(cells)], dtype=bool)
    arr = np.asarray(mask)
    if arr.dtype == bool:
        if arr.shape != (cells,):
            raise ValueError(f"balancing mask: expected {cells} booleans, got shape {arr.shape}")
        return arr.copy()
    words = [int(w) & 0xFFFFFFFF for w in arr.ravel()]
    return np.array([(words[n // 32] >> (n % 32)) & 1 == 1 if n // 32 < len(words) else False
                     for n in range(cells)], dtype=bool)


class DynoSpeed:
    """A dynamometer holding the motor shaft at a speed profile: [[t_s, rpm], ...], linear
    between points, held before the first and after the last; equal times make a step. The
    dyno absorbs or delivers whatever torque the motor makes (infinitely stiff)."""

    def __init__(self, points: Sequence[Sequence[float]]) -> None:
        arr = np.asarray(points, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
            raise ValueError("dyno_speed_profile: expected a list of [t_s, rpm] pairs")
        if np.any(np.diff(arr[:, 0]) < 0.0):
            raise ValueError("dyno_speed_profile: times must not decrease")
        self.t = [float(x) for x in arr[:, 0]]
        self.rad_s = [float(x) * math.pi / 30.0 for x in arr[:, 1]]
        self._k = 0  # segment cache: time only moves forward in a run

    def __call__(self, t_s: float) -> float:
        """Shaft speed in rad/s at t_s."""
        t, w = self.t, self.rad_s
        if t_s <= t[0]:
            return w[0]
        if t_s >= t[-1]:
            return w[-1]
        k = self._k
        if not t[k] <= t_s < t[k + 1]:
            k = 0
            while not t_s < t[k + 1]:
                k += 1
            self._k = k
        return w[k] + (w[k + 1] - w[k]) * (t_s - t[k]) / (t[k + 1] - t[k])


class Plant:
    def __init__(self, params: PlantParams | None = None) -> None:
        self.params = p = params or PlantParams()
        p.validate()
        # The rotor's inertia rides in the vehicle's effective mass (stiff driveline).
        p.vehicle.motor_inertia_kgm2 = p.motor.inertia_kgm2
        self.dt_s = p.control_period_s
        self.pack_steps_per_period = int(round(p.battery.step_s / p.control_period_s))
        self.vehicle = Vehicle(p.vehicle)
        self.dyno = DynoSpeed(p.dyno_speed_profile) if p.dyno_speed_profile is not None \
            else None
        self.motor = Pmsm(p.motor)
        self.link = DcLink(p.dclink)
        seeds = np.random.SeedSequence(p.seed).spawn(2)
        self.pack = BatteryPack(p.battery, seed=int(seeds[0].generate_state(1)[0]),
                                ambient_C=p.ambient_C)
        self.sensors = Sensors(p.sensors, seed=int(seeds[1].generate_state(1)[0]),
                               cells=p.battery.cells, modules=p.battery.modules,
                               cells_per_module=p.battery.cells_per_module)
        self.motor_temp_C = p.ambient_C
        self.inverter_temp_C = p.ambient_C
        self.brake_force_N = 0.0
        self.load_current_A = 0.0
        self.steps = 0
        self.bms_updated = False
        self._charge_As = 0.0
        self._cu_J = 0.0
        self._inv_J = 0.0
        self._sub = 0
        self._expiries: list[tuple[float, Any]] = []
        self.bms_sample: BmsSample = self._bms_sample()
        self.inverter_sample: InverterSample = self._inverter_sample()

    # ---- latched actuators -------------------------------------------------------------
    def set_contactors(self, negative_main: bool, positive_main: bool, precharge: bool) -> None:
        self.link.command(negative_main, positive_main, precharge)

    def set_balancing(self, mask: int | Sequence[int] | np.ndarray) -> None:
        self.pack.set_balancing(balancing_mask_to_bool(mask, self.pack.p.cells))

    def set_brake_force(self, force_N: float) -> None:
        self.brake_force_N = max(0.0, float(force_N))

    def set_load_current(self, current_A: float) -> None:
        """External DC load on the link (positive draws from it); used by battery-only runs.
        It draws only while the link is above 10 V, as an electronic load would."""
        self.load_current_A = float(current_A)

    @property
    def t_s(self) -> float:
        return self.steps * self.dt_s

    # ---- the step ----------------------------------------------------------------------
    def step(self, duty_a: float, duty_b: float, duty_c: float, mode: int) -> InverterSample:
        """One control period with the inverter's duties and mode (0 off, 1 modulating,
        2 active short circuit, as the Platform's PowerStageMode). Returns the inverter sample
        at the end of the period; `bms_sample` is refreshed when `bms_updated` is true."""
        dt = self.dt_s
        veh = self.vehicle
        mot = self.motor
        link = self.link
        dyno = self.dyno
        omega = veh.motor_speed_rad_s if dyno is None else dyno(self.t_s)
        mot.step(duty_a, duty_b, duty_c, mode, link.v_link_V, omega, dt)
        load = self.load_current_A if link.v_link_V > 10.0 else 0.0
        link.step(self.pack.emf_V, self.pack.resistance_ohm, mot.dc_current_A + load, dt)
        if dyno is None:
            veh.step(mot.torque_Nm, self.brake_force_N, dt)
        else:
            veh.roll_at(dyno(self.t_s + dt) / veh.motor_speed_per_vehicle_speed, dt)
        self._charge_As += link.battery_current_A * dt
        self._cu_J += mot.copper_loss_W * dt
        self.steps += 1
        self._sub += 1
        if self._sub >= self.pack_steps_per_period:
            self._pack_step()
            self.bms_updated = True
        else:
            self.bms_updated = False
        self.inverter_sample = s = self._inverter_sample()
        return s

    def _pack_step(self) -> None:
        p = self.params
        dt_pack = self.pack_steps_per_period * self.dt_s
        self.pack.step(self._charge_As / dt_pack, dt_pack)
        th = p.thermal
        cu_W = self._cu_J / dt_pack
        i2 = self.motor.id_A ** 2 + self.motor.iq_A ** 2
        inv_W = 1.5 * th.inverter_on_resistance_ohm * i2
        self.motor_temp_C += dt_pack / th.motor_heat_capacity_J_K * (
            cu_W - th.motor_conductance_W_K * (self.motor_temp_C - p.ambient_C))
        self.inverter_temp_C += dt_pack / th.inverter_heat_capacity_J_K * (
            inv_W - th.inverter_conductance_W_K * (self.inverter_temp_C - p.ambient_C))
        self._charge_As = 0.0
        self._cu_J = 0.0
        self._sub = 0
        if self._expiries:
            self._expire_faults()
        self.bms_sample = self._bms_sample()

    def _inverter_sample(self) -> InverterSample:
        ia, ib, _ = self.motor.phase_currents_A()
        return self.sensors.inverter_sample(ia, ib, self.link.v_link_V, self.motor.theta_m_rad,
                                            self.inverter_temp_C, self.motor_temp_C)

    def _bms_sample(self) -> BmsSample:
        pk = self.pack
        return self.sensors.bms_sample(pk.cell_voltage_V, pk.open_wire, pk.module_temp_C,
                                       pk.pack_current_A, pk.pack_voltage_V, self.link.v_link_V,
                                       self.link.feedback())

    # ---- faults ------------------------------------------------------------------------
    def inject_fault(self, kind: str, params: Mapping[str, Any] | None = None,
                     duration_s: float | None = None) -> bool:
        """Applies a plant fault now. Returns False (and does nothing) for kinds that are not
        the plant's (e.g. CAN faults). Raises ValueError on bad parameters.

        open_wire {cell}            sense wire above `cell` opens (cell-monitor reading)
        contactor_weld {contactor}  contactor stays closed once closed
        contactor_stuck_open {contactor}
        sensor_offset {sensor, offset, [index]}   see sensors.OFFSET_SENSORS
        overcurrent {current_A, [phase a|b]}      added to the measured phase current
        With duration_s, sensor_offset / overcurrent / open_wire are undone afterwards.
        """
        a = dict(params or {})
        if kind == "open_wire":
            cell = int(a["cell"])
            if not 0 <= cell < self.pack.p.cells:
                raise ValueError(f"open_wire: cell {cell} outside 0..{self.pack.p.cells - 1}")
            self.pack.open_wire[cell] = True
            undo = ("open_wire", cell)
        elif kind in ("contactor_weld", "contactor_stuck_open"):
            c = self.link.contactor(a["contactor"])
            if kind == "contactor_weld":
                c.welded = True
            else:
                c.stuck_open = True
            undo = None
        elif kind == "sensor_offset":
            idx = a.get("index")
            self.sensors.add_offset(a["sensor"], float(a["offset"]), idx)
            undo = ("offset", a["sensor"], -float(a["offset"]), idx)
        elif kind == "overcurrent":
            sensor = "phase_current_" + str(a.get("phase", "a"))
            self.sensors.add_offset(sensor, float(a["current_A"]))
            undo = ("offset", sensor, -float(a["current_A"]), None)
        else:
            return False
        if duration_s is not None and undo is not None:
            self._expiries.append((self.t_s + duration_s, undo))
        if kind == "open_wire":
            self.bms_sample = self._bms_sample()
        return True

    def inject(self, fault: Any) -> bool:
        """Applies a scenario fault (anything with kind, params, duration_s)."""
        return self.inject_fault(fault.kind, fault.params, fault.duration_s)

    def _expire_faults(self) -> None:
        now = self.t_s + 1e-12
        keep = []
        for t_end, undo in self._expiries:
            if t_end > now:
                keep.append((t_end, undo))
            elif undo[0] == "open_wire":
                self.pack.open_wire[undo[1]] = False
            else:
                self.sensors.add_offset(undo[1], undo[2], undo[3])
        self._expiries = keep

    # ---- truth for traces and scoring --------------------------------------------------
    def contactor_state(self) -> int:
        """Feedback as bits: 1 negative main, 2 positive main, 4 precharge."""
        n, pm, pre = self.link.feedback()
        return int(n) | (int(pm) << 1) | (int(pre) << 2)

    def truth(self) -> dict[str, float]:
        """The plant's true values for the trace columns it owns."""
        pk = self.pack
        v = pk.cell_voltage_V
        return {
            "t_s": self.t_s,
            "vehicle_speed_kph": self.vehicle.speed_kph,
            "distance_m": self.vehicle.distance_m,
            "motor_speed_rpm": self.vehicle.motor_speed_rad_s * 30.0 / math.pi,
            "torque_Nm": self.motor.torque_Nm,
            "id_A": self.motor.id_A,
            "iq_A": self.motor.iq_A,
            "brake_force_N": self.brake_force_N,
            "pack_current_A": pk.pack_current_A,
            "pack_voltage_V": pk.pack_voltage_V,
            "link_voltage_V": self.link.v_link_V,
            "soc_true_pct": pk.soc_mean_pct,
            "soc_true_min_pct": float(pk.soc.min() * 100.0),
            "cell_v_min_V": float(v.min()),
            "cell_v_max_V": float(v.max()),
            "module_temp_max_C": float(pk.module_temp_C.max()),
            "motor_temp_C": self.motor_temp_C,
            "inverter_temp_C": self.inverter_temp_C,
            "contactor_state": float(self.contactor_state()),
        }

