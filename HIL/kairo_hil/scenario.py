"""Scenario files (YAML): what to drive, under which conditions, which faults, what passes.

Load with `load_scenario(path)`; every problem in the file is reported at once as a
`ScenarioError` whose message has one line per problem, "FILE: FIELD: problem", e.g.

    demo.yaml: faults[1].cell: 120 is out of range 0..95
    demo.yaml: speed_profile[3]: time 4.0 s is before the previous point (6.0 s)

The schema is documented in HIL/README.md ("Scenario files"). `python -m kairo_hil.scenario
FILE...` checks files and prints the problems (exit code 1) or "ok".
"""

from __future__ import annotations

import copy
import math
import sys
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

from . import capture as _capture  # noqa: F401 - registers the per-period capture metrics
from . import bms_checks  # noqa: F401  (registers the BMS check metrics)
from .metrics import COMPARISONS, METRICS, Expectation
from .plant import PLANT_FAULT_KINDS, PlantParams, apply_overrides
from .plants.dclink import CONTACTOR_NAMES
from .plants.sensors import OFFSET_SENSORS
from .vehicle_controller import Profile, VehicleControllerParams

KINDS = ("drive", "battery")
RIG_FAULT_KINDS = ("can_loss", "cosim_bad_frame", "ecu_reset")
# Defects the rig can put into one co-simulation sample frame (docs/cosim-protocol.md).
COSIM_DEFECTS = ("crc", "version", "length", "kind", "sequence", "magic")
COSIM_ECUS = ("inverter", "bms")
FAULT_KINDS = PLANT_FAULT_KINDS + RIG_FAULT_KINDS

TOP_LEVEL_KEYS = (
    "name", "description", "kind", "duration_s", "control_period_us", "seed", "ambient_C",
    "key_on_s", "key_off_s", "speed_profile", "current_profile", "initial_soc_pct",
    "soc_spread_pct", "plant", "sensors", "controller", "faults", "expectations",
    "torque_profile", "capture", "actuation_delay_periods",
    "bms_record",
)
# Per fault kind: required and optional parameters (besides at_s, kind, duration_s).
FAULT_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "open_wire": (("cell",), ()),
    "contactor_weld": (("contactor",), ()),
    "contactor_stuck_open": (("contactor",), ()),
    "sensor_offset": (("sensor", "offset"), ("index",)),
    "overcurrent": (("current_A",), ("phase",)),
    "can_loss": (("message",), ()),
    "cosim_bad_frame": (("ecu", "defect"), ()),
    "ecu_reset": (("ecu",), ()),
}
PLANT_SECTIONS = ("vehicle", "motor", "dclink", "battery", "thermal")
FAULT_TIME_SLACK_S = 1e-9
# Plant keys that are not dataclass sections.
PLANT_DYNO_KEY = "dyno_speed_profile"
DYNO_SPEED_RANGE_RPM = (-15000.0, 15000.0)
# A capture window records every control period (20 000 rows per second at 50 µs).
MAX_CAPTURE_S = 2.0
TORQUE_PROFILE_RANGE_NM = (-400.0, 400.0)


class ScenarioError(Exception):
    """All problems found in one scenario file; str() is one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Fault:
    at_s: float
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    duration_s: float | None = None

    @property
    def is_plant_fault(self) -> bool:
        return self.kind in PLANT_FAULT_KINDS


@dataclass
class Scenario:
    name: str
    kind: str
    duration_s: float
    control_period_s: float = 50e-6
    description: str = ""
    seed: int = 0
    ambient_C: float = 25.0
    key_on_s: float = 0.0
    key_off_s: float | None = None
    speed_profile: np.ndarray | None = None      # (N, 2): t_s, speed_kph
    current_profile: np.ndarray | None = None    # (N, 2): t_s, current_A (+ = discharge)
    torque_profile: np.ndarray | None = None     # (N, 2): t_s, torque request N·m (bench)
    dyno_speed_profile: np.ndarray | None = None  # (N, 2): t_s, motor shaft speed rpm
    capture: list[tuple[float, float]] = field(default_factory=list)  # (from_s, to_s)
    actuation_delay_periods: int = 1
    initial_soc_pct: float = 80.0
    soc_spread_pct: float = 0.5
    plant_overrides: dict[str, Any] = field(default_factory=dict)
    sensor_overrides: dict[str, Any] = field(default_factory=dict)
    controller_overrides: dict[str, Any] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    source: str = ""
    # kind battery: the record in the BMS's store at the first boot (bms_record.py); None =
    # an empty store (the BMS starts from its defaults, SOC 50 %, and corrects from the cells).
    bms_record: dict[str, float] | None = None

    @property
    def control_period_us(self) -> int:
        return int(round(self.control_period_s * 1e6))

    def plant_params(self) -> PlantParams:
        p = PlantParams()
        apply_overrides(p, self.plant_overrides, "plant")
        apply_overrides(p.sensors, self.sensor_overrides, "sensors")
        p.control_period_s = self.control_period_s
        p.ambient_C = self.ambient_C
        p.seed = self.seed
        p.battery.initial_soc_pct = self.initial_soc_pct
        p.battery.soc_spread_pct = self.soc_spread_pct
        if self.dyno_speed_profile is not None:
            p.dyno_speed_profile = self.dyno_speed_profile.tolist()
        return p

    def controller_params(self) -> VehicleControllerParams:
        c = VehicleControllerParams()
        apply_overrides(c, self.controller_overrides, "controller")
        return c

    def speed_target(self) -> Profile:
        pts = self.speed_profile if self.speed_profile is not None else [[0.0, 0.0]]
        return Profile(pts)

    def torque_target(self) -> Profile | None:
        """The bench torque request replacing the driver (None: the driver follows the speed
        profile)."""
        return Profile(self.torque_profile) if self.torque_profile is not None else None

    def current_target(self) -> Profile:
        pts = self.current_profile if self.current_profile is not None else [[0.0, 0.0]]
        return Profile(pts)

    def key_on(self, t_s: float) -> bool:
        return t_s >= self.key_on_s and (self.key_off_s is None or t_s < self.key_off_s)

    def faults_between(self, t0_s: float, t1_s: float) -> list[Fault]:
        """Faults due in [t0, t1), in file order. The bounds are taken 1 ns early: the rig's
        millisecond times are products like 699 * 1e-3 = 0.6990000000000001, and a fault at
        0.7 s must not fall into the millisecond before."""
        lo, hi = t0_s - FAULT_TIME_SLACK_S, t1_s - FAULT_TIME_SLACK_S
        return [f for f in self.faults if lo <= f.at_s < hi]


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def err(self, where: str, problem: str) -> None:
        self.problems.append(f"{self.source}: {where}: {problem}")

    def number(self, where: str, value: Any, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.err(where, f"expected a number, got {_show(value)}")
            return None
        v = float(value)
        if math.isnan(v) or math.isinf(v):
            self.err(where, f"expected a finite number, got {value}")
            return None
        if (lo is not None and (v <= lo if lo_open else v < lo)) or (hi is not None and v > hi):
            lo_s = "" if lo is None else (f"> {_fmt(lo)}" if lo_open else f">= {_fmt(lo)}")
            rng = (f"{_fmt(lo)}..{_fmt(hi)}" if lo is not None and hi is not None and not lo_open
                   else " and ".join(s for s in (lo_s, "" if hi is None else f"<= {_fmt(hi)}")
                                     if s))
            self.err(where, f"{_fmt(v)} is out of range {rng}")
            return None
        return v

    def integer(self, where: str, value: Any, lo: int | None = None,
                hi: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(where, f"expected an integer, got {_show(value)}")
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.err(where, f"{value} is out of range {lo}..{hi}")
            return None
        return value

    def string(self, where: str, value: Any, choices: tuple[str, ...] | None = None) -> str | None:
        if not isinstance(value, str) or not value:
            self.err(where, f"expected a non-empty string, got {_show(value)}")
            return None
        if choices is not None and value not in choices:
            self.err(where, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def mapping(self, where: str, value: Any) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.err(where, f"expected a mapping, got {_show(value)}")
            return None
        return value

    def unknown_keys(self, where: str, value: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for k in value:
            if k not in known:
                prefix = f"{where}.{k}" if where else str(k)
                self.err(prefix, f"unknown key; expected one of {', '.join(known)}")


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"{value!r} ({type(value).__name__})"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _profile(c: _Checker, key: str, value: Any, value_range: tuple[float, float],
             duration: float | None) -> np.ndarray | None:
    if not isinstance(value, list) or not value:
        c.err(key, f"expected a non-empty list of [t_s, value] pairs, got {_show(value)}")
        return None
    pts: list[tuple[float, float]] = []
    ok = True
    prev_t = None
    for i, pt in enumerate(value):
        w = f"{key}[{i}]"
        if not isinstance(pt, list) or len(pt) != 2:
            c.err(w, f"expected a [t_s, value] pair, got {_show(pt)}")
            ok = False
            continue
        t = c.number(f"{w}[0]", pt[0], 0.0, duration)
        v = c.number(f"{w}[1]", pt[1], *value_range)
        if t is None or v is None:
            ok = False
            continue
        if prev_t is not None and t < prev_t:
            c.err(w, f"time {_fmt(t)} s is before the previous point ({_fmt(prev_t)} s); "
                     "times must not decrease")
            ok = False
        prev_t = t
        pts.append((t, v))
    return np.array(pts, dtype=float) if ok else None


def _capture_windows(c: _Checker, value: Any,
                     duration: float | None) -> list[tuple[float, float]]:
    """`capture`: one {from_s, to_s} mapping or a list of them; windows must not overlap."""
    items = value if isinstance(value, list) else [value]
    if not items:
        c.err("capture", "expected {from_s, to_s} or a non-empty list of them")
        return []
    windows: list[tuple[float, float]] = []
    for i, item in enumerate(items):
        w = f"capture[{i}]" if isinstance(value, list) else "capture"
        m = c.mapping(w, item)
        if m is None:
            continue
        c.unknown_keys(w, m, ("from_s", "to_s"))
        bad = False
        for k in ("from_s", "to_s"):
            if k not in m:
                c.err(f"{w}.{k}", "missing (required)")
                bad = True
        if bad:
            continue
        t0 = c.number(f"{w}.from_s", m["from_s"], 0.0, duration)
        t1 = c.number(f"{w}.to_s", m["to_s"], 0.0, duration)
        if t0 is None or t1 is None:
            continue
        if t1 <= t0:
            c.err(f"{w}.to_s", f"{_fmt(t1)} s is not after from_s ({_fmt(t0)} s)")
        elif t1 - t0 > MAX_CAPTURE_S:
            c.err(w, f"window of {_fmt(t1 - t0)} s is longer than {_fmt(MAX_CAPTURE_S)} s")
        elif windows and t0 < windows[-1][1]:
            c.err(f"{w}.from_s", f"{_fmt(t0)} s is inside the previous window; windows must "
                                 "be in time order and not overlap")
        else:
            windows.append((t0, t1))
    return windows


def _check_overrides(c: _Checker, where: str, value: Any, target: Any) -> dict[str, Any]:
    m = c.mapping(where, value)
    if m is None:
        return {}
    trial = copy.deepcopy(target)
    names = tuple(f.name for f in fields(trial))
    good: dict[str, Any] = {}
    for k, v in m.items():
        if k not in names:
            c.err(f"{where}.{k}", f"unknown key; expected one of {', '.join(names)}")
            continue
        if is_dataclass(getattr(trial, k)):
            good[k] = _check_overrides(c, f"{where}.{k}", v, getattr(trial, k))
            continue
        try:
            apply_overrides(trial, {k: v}, where)
        except (KeyError, TypeError) as e:
            msg = str(e.args[0]) if e.args else str(e)
            c.err(f"{where}.{k}", msg.split(": ", 1)[1] if ": " in msg else msg)
            continue
        good[k] = v
    return good


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validates already-parsed YAML data; raises ScenarioError listing every problem."""
    c = _Checker(source)
    if not isinstance(data, Mapping):
        raise ScenarioError([f"{source}: expected a mapping of scenario fields at the top level, "
                             f"got {_show(data)}"])
    c.unknown_keys("", data, TOP_LEVEL_KEYS)
    for req in ("name", "duration_s"):
        if req not in data:
            c.err(req, "missing (required)")
    name = c.string("name", data["name"]) if "name" in data else None
    kind = c.string("kind", data.get("kind", "drive"), KINDS) or "drive"
    duration = (c.number("duration_s", data["duration_s"], 0.0, 14400.0, lo_open=True)
                if "duration_s" in data else None)
    period_us = c.number("control_period_us", data.get("control_period_us", 50), 50.0, 100.0)
    if period_us is not None:
        steps = 1000.0 / period_us
        if abs(steps - round(steps)) > 1e-9:
            c.err("control_period_us",
                  f"{_fmt(period_us)} µs does not divide the 1 ms pack step; use e.g. 50 or 100")
            period_us = None
    description = data.get("description", "")
    if not isinstance(description, str):
        c.err("description", f"expected a string, got {_show(description)}")
        description = ""
    seed = c.integer("seed", data.get("seed", 0), 0, 2**32 - 1)
    ambient = c.number("ambient_C", data.get("ambient_C", 25.0), -40.0, 60.0)
    key_on = c.number("key_on_s", data.get("key_on_s", 0.0), 0.0, duration)
    key_off = None
    if data.get("key_off_s") is not None:
        key_off = c.number("key_off_s", data["key_off_s"], 0.0, duration)
        if key_off is not None and key_on is not None and key_off <= key_on:
            c.err("key_off_s", f"{_fmt(key_off)} s is not after key_on_s ({_fmt(key_on)} s)")
    soc0 = c.number("initial_soc_pct", data.get("initial_soc_pct", 80.0), 0.0, 100.0)
    spread = c.number("soc_spread_pct", data.get("soc_spread_pct", 0.5), 0.0, 10.0)

    speed = current = None
    torque = None
    if kind == "drive":
        if "torque_profile" in data:
            torque = _profile(c, "torque_profile", data["torque_profile"],
                              TORQUE_PROFILE_RANGE_NM, duration)
        if "speed_profile" in data:
            speed = _profile(c, "speed_profile", data["speed_profile"], (0.0, 200.0), duration)
        elif "torque_profile" not in data:
            c.err("speed_profile", "missing (required for kind: drive without torque_profile)")
        if "current_profile" in data:
            c.err("current_profile", "only allowed with kind: battery")
    else:
        if "torque_profile" in data:
            c.err("torque_profile", "only allowed with kind: drive")
        if "current_profile" not in data:
            c.err("current_profile", "missing (required for kind: battery)")
        else:
            current = _profile(c, "current_profile", data["current_profile"],
                               (-1000.0, 1000.0), duration)
        if "speed_profile" in data:
            c.err("speed_profile", "only allowed with kind: drive")

    defaults = PlantParams()
    plant_ov: dict[str, Any] = {}
    dyno = None
    if "plant" in data:
        pm = c.mapping("plant", data["plant"])
        if pm is not None:
            c.unknown_keys("plant", pm, PLANT_SECTIONS + (PLANT_DYNO_KEY,))
            if PLANT_DYNO_KEY in pm:
                if kind != "drive":
                    c.err(f"plant.{PLANT_DYNO_KEY}", "only allowed with kind: drive")
                else:
                    dyno = _profile(c, f"plant.{PLANT_DYNO_KEY}", pm[PLANT_DYNO_KEY],
                                    DYNO_SPEED_RANGE_RPM, duration)
            for sec in PLANT_SECTIONS:
                if sec in pm:
                    plant_ov[sec] = _check_overrides(c, f"plant.{sec}", pm[sec],
                                                     getattr(defaults, sec))
    sensor_ov = (_check_overrides(c, "sensors", data["sensors"], defaults.sensors)
                 if "sensors" in data else {})
    ctrl_ov = (_check_overrides(c, "controller", data["controller"], VehicleControllerParams())
               if "controller" in data else {})

    n_cells = defaults.battery.cells
    n_modules = defaults.battery.modules
    if isinstance(plant_ov.get("battery"), Mapping):
        b = copy.deepcopy(defaults.battery)
        try:
            apply_overrides(b, plant_ov["battery"], "plant.battery")
            n_cells, n_modules = b.cells, b.modules
        except (KeyError, TypeError):
            pass

    faults: list[Fault] = []
    if "faults" in data:
        fl = data["faults"]
        if not isinstance(fl, list):
            c.err("faults", f"expected a list, got {_show(fl)}")
            fl = []
        for i, f in enumerate(fl):
            w = f"faults[{i}]"
            fm = c.mapping(w, f)
            if fm is None:
                continue
            fk = c.string(f"{w}.kind", fm.get("kind"), FAULT_KINDS) if "kind" in fm else None
            if "kind" not in fm:
                c.err(f"{w}.kind", f"missing (required); one of {', '.join(FAULT_KINDS)}")
            at = (c.number(f"{w}.at_s", fm["at_s"], 0.0, duration) if "at_s" in fm else None)
            if "at_s" not in fm:
                c.err(f"{w}.at_s", "missing (required)")
            dur = None
            if fm.get("duration_s") is not None:
                dur = c.number(f"{w}.duration_s", fm["duration_s"], 0.0, 3600.0, lo_open=True)
            if fk is None:
                continue
            req, opt = FAULT_PARAMS[fk]
            c.unknown_keys(w, fm, ("at_s", "kind", "duration_s") + req + opt)
            params: dict[str, Any] = {}
            good = True
            for r in req:
                if r not in fm:
                    c.err(f"{w}.{r}", f"missing (required for kind {fk})")
                    good = False
            for k in req + opt:
                if k not in fm:
                    continue
                v = fm[k]
                wk = f"{w}.{k}"
                if k == "cell":
                    r_ = c.integer(wk, v, 0, n_cells - 1)
                elif k == "contactor":
                    r_ = c.string(wk, v, CONTACTOR_NAMES)
                elif k == "sensor":
                    r_ = c.string(wk, v, OFFSET_SENSORS)
                elif k in ("offset", "current_A"):
                    r_ = c.number(wk, v, -1000.0, 1000.0)
                elif k == "index":
                    sensor = fm.get("sensor")
                    if sensor == "cell_voltage":
                        r_ = c.integer(wk, v, 0, n_cells - 1)
                    elif sensor == "module_temperature":
                        r_ = c.integer(wk, v, 0, n_modules - 1)
                    else:
                        c.err(wk, "only for sensor cell_voltage or module_temperature")
                        r_ = None
                elif k == "phase":
                    r_ = c.string(wk, v, ("a", "b"))
                elif k == "ecu":
                    r_ = c.string(wk, v, COSIM_ECUS)
                elif k == "defect":
                    r_ = c.string(wk, v, COSIM_DEFECTS)
                else:  # message
                    r_ = c.string(wk, v)
                if r_ is None:
                    good = False
                params[k] = r_
            if fk == "ecu_reset" and (kind != "battery" or params.get("ecu") != "bms"):
                c.err(w, "ecu_reset is carried out for ecu: bms in kind: battery runs only")
                good = False
            if good and at is not None:
                faults.append(Fault(at, fk, params, dur))

    expectations: list[Expectation] = []
    if "expectations" in data:
        el = data["expectations"]
        if not isinstance(el, list):
            c.err("expectations", f"expected a list, got {_show(el)}")
            el = []
        for i, e in enumerate(el):
            w = f"expectations[{i}]"
            em = c.mapping(w, e)
            if em is None:
                continue
            c.unknown_keys(w, em, ("metric", "op", "bound", "tolerance"))
            for r in ("metric", "op", "bound"):
                if r not in em:
                    c.err(f"{w}.{r}", "missing (required)")
            metric = op = bound = None
            if "metric" in em:
                metric = c.string(f"{w}.metric", em["metric"])
                if metric is not None and metric not in METRICS:
                    c.err(f"{w}.metric", f"unknown metric {metric!r}; known: "
                                         f"{', '.join(sorted(METRICS))}")
                    metric = None
            if "op" in em:
                op = c.string(f"{w}.op", em["op"], COMPARISONS)
            if "bound" in em:
                bound = c.number(f"{w}.bound", em["bound"])
            tol = c.number(f"{w}.tolerance", em.get("tolerance", 0.0), 0.0)
            if None not in (metric, op, bound, tol):
                expectations.append(Expectation(metric, op, bound, tol))

    capture = _capture_windows(c, data["capture"], duration) if "capture" in data else []
    delay = c.integer("actuation_delay_periods", data.get("actuation_delay_periods", 1), 0, 1)
    record = None
    if "bms_record" in data:
        rm = c.mapping("bms_record", data["bms_record"])
        if rm is not None:
            c.unknown_keys("bms_record", rm, ("soc_pct", "capacity_Ah", "resistance_pct"))
            if kind != "battery":
                c.err("bms_record", "only allowed with kind: battery")
            if "soc_pct" not in rm:
                c.err("bms_record.soc_pct", "missing (required)")
            soc_r = c.number("bms_record.soc_pct", rm.get("soc_pct", 50.0), 0.0, 100.0)
            cap_r = c.number("bms_record.capacity_Ah", rm.get("capacity_Ah", 100.0), 50.0, 120.0)
            res_r = c.number("bms_record.resistance_pct", rm.get("resistance_pct", 100.0),
                             50.0, 300.0)
            if None not in (soc_r, cap_r, res_r):
                record = {"soc_pct": soc_r, "capacity_Ah": cap_r, "resistance_pct": res_r}

    if c.problems:
        raise ScenarioError(c.problems)
    sc = Scenario(
        name=name, kind=kind, duration_s=duration, control_period_s=period_us / 1e6,
        description=description, seed=seed, ambient_C=ambient, key_on_s=key_on,
        key_off_s=key_off, speed_profile=speed, current_profile=current,
        torque_profile=torque, dyno_speed_profile=dyno, capture=capture,
        actuation_delay_periods=delay or 0,
        initial_soc_pct=soc0, soc_spread_pct=spread, plant_overrides=plant_ov,
        sensor_overrides=sensor_ov, controller_overrides=ctrl_ov,
        faults=sorted(faults, key=lambda f: f.at_s), expectations=expectations, source=source,
        bms_record=record)
    # Ranges of overridden parameters, through the models' own checks, section by section.
    pp = sc.plant_params()
    for where, obj in [(f"plant.{s}", getattr(pp, s)) for s in PLANT_SECTIONS] + [
            ("sensors", pp.sensors), ("controller", sc.controller_params())]:
        try:
            obj.validate()
        except ValueError as e:
            c.err(f"{where}.{str(e).split(' ', 1)[0]}", str(e).split(" ", 1)[1])
    if not c.problems:
        try:
            pp.validate()
        except ValueError as e:
            c.err("plant", str(e))
    if c.problems:
        raise ScenarioError(c.problems)
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Reads and validates a YAML scenario file. Raises ScenarioError (never a parser
    traceback) naming the file, the field and the problem."""
    p = Path(path)
    src = p.name
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError([f"{path}: cannot read: {e.strerror or e}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "syntax"
        problem = getattr(e, "problem", None) or str(e)
        raise ScenarioError([f"{src}: {where}: YAML syntax error: {problem}"]) from None
    sc = parse_scenario(data, src)
    sc.source = str(p)
    return sc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m kairo_hil.scenario FILE.yaml...", file=sys.stderr)
        return 2
    bad = 0
    for a in args:
        try:
            sc = load_scenario(a)
            print(f"{a}: ok ({sc.kind}, {sc.duration_s:g} s, {len(sc.faults)} faults, "
                  f"{len(sc.expectations)} expectations)")
        except ScenarioError as e:
            print(str(e), file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
