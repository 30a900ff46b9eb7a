"""Longitudinal vehicle dynamics with a stiff driveline.

The motor shaft is rigidly geared to the wheels (no shaft compliance, no tyre slip), so the
motor speed is a function of the vehicle speed and the motor's rotor inertia is reflected into
the vehicle as an equivalent mass J·G²/r². That removes a stiff two-mass mode that would need a
much smaller step than the 50 µs control period and that the traction controller does not
act on anyway; what it loses is driveline oscillation ("shuffle"), which is out of scope.

Sign conventions: positive speed is forward, positive motor torque accelerates forward,
the mechanical brake force is a magnitude (N) that always opposes motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GRAVITY_M_S2 = 9.81


@dataclass
class VehicleParams:
    mass_kg: float = 1800.0
    cda_m2: float = 0.65
    air_density_kg_m3: float = 1.2
    rolling_coeff: float = 0.010
    grade_pct: float = 0.0
    gear_ratio: float = 9.0
    wheel_radius_m: float = 0.33
    # 1.0 = lossless gearbox. Below 1 the gearbox loses (1 - eta) of the power in both
    # directions (motoring: less force at the wheel; regenerating: less torque at the motor).
    drivetrain_efficiency: float = 1.0
    # Rotor inertia reflected into the vehicle (the motor's own value, kg·m²).
    motor_inertia_kgm2: float = 0.05

    def validate(self) -> None:
        for name in ("mass_kg", "gear_ratio", "wheel_radius_m"):
            if getattr(self, name) <= 0.0:
                raise ValueError(f"{name} must be > 0")
        if not 0.0 < self.drivetrain_efficiency <= 1.0:
            raise ValueError("drivetrain_efficiency must be in (0, 1]")


class Vehicle:
    """States: speed_m_s and distance_m. Step with the motor torque and the brake force."""

    __slots__ = (
        "p", "speed_m_s", "distance_m", "effective_mass_kg", "_k_aero", "_f_roll",
        "_f_grade", "_g_over_r", "_eta",
    )

    def __init__(self, params: VehicleParams | None = None, speed_m_s: float = 0.0) -> None:
        self.p = params or VehicleParams()
        self.p.validate()
        self.speed_m_s = float(speed_m_s)
        self.distance_m = 0.0
        self._precompute()

    def _precompute(self) -> None:
        p = self.p
        self._g_over_r = p.gear_ratio / p.wheel_radius_m
        self.effective_mass_kg = p.mass_kg + p.motor_inertia_kgm2 * self._g_over_r ** 2
        self._k_aero = 0.5 * p.air_density_kg_m3 * p.cda_m2
        theta = math.atan(p.grade_pct / 100.0)
        self._f_roll = p.rolling_coeff * p.mass_kg * GRAVITY_M_S2 * math.cos(theta)
        self._f_grade = p.mass_kg * GRAVITY_M_S2 * math.sin(theta)
        self._eta = p.drivetrain_efficiency

    @property
    def motor_speed_rad_s(self) -> float:
        return self.speed_m_s * self._g_over_r

    @property
    def motor_speed_per_vehicle_speed(self) -> float:
        """Gear ratio over wheel radius: motor rad/s per m/s of vehicle speed."""
        return self._g_over_r

    @property
    def speed_kph(self) -> float:
        return self.speed_m_s * 3.6

    def wheel_force_N(self, motor_torque_Nm: float) -> float:
        f = motor_torque_Nm * self._g_over_r
        # The gearbox loss always takes power away from whichever side delivers it.
        if f * self.speed_m_s >= 0.0:
            return f * self._eta
        return f / self._eta

    def road_load_N(self, speed_m_s: float) -> float:
        """Aerodynamic + rolling + grade force opposing forward motion at a given speed."""
        roll = self._f_roll if speed_m_s > 0.0 else (-self._f_roll if speed_m_s < 0.0 else 0.0)
        return self._k_aero * speed_m_s * abs(speed_m_s) + roll + self._f_grade

    def roll_at(self, speed_m_s: float, dt_s: float) -> None:
        """Moves at an imposed speed (the wheels on a dynamometer's rollers) for dt_s; the
        speed is reached at the end of the step, the distance grows with the mean."""
        v = self.speed_m_s
        self.distance_m += 0.5 * (v + speed_m_s) * dt_s
        self.speed_m_s = float(speed_m_s)

    def step(self, motor_torque_Nm: float, brake_force_N: float, dt_s: float) -> None:
        v = self.speed_m_s
        # Forces that can drive motion either way, and "friction" forces (rolling, brake)
        # that only oppose it and hold the car at rest when they are large enough.
        f_drive = self.wheel_force_N(motor_torque_Nm) - self._k_aero * v * abs(v) - self._f_grade
        f_fric = self._f_roll + abs(brake_force_N)
        m = self.effective_mass_kg
        if v == 0.0:
            if abs(f_drive) <= f_fric:
                return
            a = (f_drive - math.copysign(f_fric, f_drive)) / m
            v_new = a * dt_s
        else:
            a = (f_drive - math.copysign(f_fric, v)) / m
            v_new = v + a * dt_s
            if v_new * v < 0.0 and abs(f_drive) <= f_fric:
                v_new = 0.0  # friction stops the car; it does not push it backwards
        self.distance_m += 0.5 * (v + v_new) * dt_s
        self.speed_m_s = v_new
