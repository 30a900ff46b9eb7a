"""Vehicle longitudinal dynamics against closed-form solutions."""

import math

import pytest

from kairo_hil.plants.vehicle import GRAVITY_M_S2, Vehicle, VehicleParams


def test_coast_down_matches_closed_form_aero_plus_rolling_within_0p01_m_s():
    p = VehicleParams()
    v0 = 100.0 / 3.6
    car = Vehicle(p, speed_m_s=v0)
    m = car.effective_mass_kg
    a = p.rolling_coeff * p.mass_kg * GRAVITY_M_S2 / m
    b = 0.5 * p.air_density_kg_m3 * p.cda_m2 / m
    dt = 1e-3
    for _ in range(20000):
        car.step(0.0, 0.0, dt)
    t = 20.0
    # dv/dt = -(a + b v²)  =>  v(t) = sqrt(a/b) · tan(atan(v0·sqrt(b/a)) - sqrt(a·b)·t)
    v_exact = math.sqrt(a / b) * math.tan(math.atan(v0 * math.sqrt(b / a)) - math.sqrt(a * b) * t)
    assert car.speed_m_s == pytest.approx(v_exact, abs=0.01)
    # Distance: integral of the same solution.
    k = math.sqrt(a * b)
    d_exact = (math.log(math.cos(math.atan(v0 * math.sqrt(b / a)) - k * t))
               - math.log(math.cos(math.atan(v0 * math.sqrt(b / a))))) / b
    assert car.distance_m == pytest.approx(d_exact, abs=0.05)


def test_reflected_rotor_inertia_adds_j_g2_over_r2_to_the_mass():
    p = VehicleParams(motor_inertia_kgm2=0.05)
    car = Vehicle(p)
    assert car.effective_mass_kg == pytest.approx(1800.0 + 0.05 * 9.0 ** 2 / 0.33 ** 2, rel=1e-12)


def test_constant_torque_from_rest_accelerates_at_net_force_over_mass_within_0p1_percent():
    p = VehicleParams(cda_m2=0.0)
    car = Vehicle(p)
    torque = 100.0
    for _ in range(1000):
        car.step(torque, 0.0, 1e-3)
    f = torque * 9.0 / 0.33 - 0.010 * 1800.0 * GRAVITY_M_S2
    assert car.speed_m_s == pytest.approx(f / car.effective_mass_kg * 1.0, rel=1e-3)
    assert car.motor_speed_rad_s == pytest.approx(car.speed_m_s * 9.0 / 0.33, rel=1e-12)


def test_brake_stops_the_car_and_holds_it_without_reversing():
    car = Vehicle(VehicleParams(), speed_m_s=5.0)
    for _ in range(5000):
        car.step(0.0, 8000.0, 1e-3)
    assert car.speed_m_s == 0.0


def test_on_a_5_percent_grade_the_car_rolls_back_unless_braked():
    p = VehicleParams(grade_pct=5.0)
    rolled = Vehicle(p)
    held = Vehicle(p)
    for _ in range(1000):
        rolled.step(0.0, 0.0, 1e-3)
        held.step(0.0, 2000.0, 1e-3)
    assert rolled.speed_m_s < -0.2
    assert held.speed_m_s == 0.0


def test_drivetrain_efficiency_reduces_wheel_force_motoring_and_motor_torque_regenerating():
    car = Vehicle(VehicleParams(drivetrain_efficiency=0.95), speed_m_s=10.0)
    ideal = 100.0 * 9.0 / 0.33
    assert car.wheel_force_N(100.0) == pytest.approx(0.95 * ideal, rel=1e-12)
    assert car.wheel_force_N(-100.0) == pytest.approx(-ideal / 0.95, rel=1e-12)
