"""VCU: key sequencing, torque limits, regen fade and brake blending."""

import pytest

from kairo_hil.vehicle_controller import (Profile, VcuState, VehicleController,
                                          VehicleControllerParams)


def test_key_on_requests_hv_then_drives_only_when_both_ecus_are_ready():
    vcu = VehicleController()
    c = vcu.step(0.0, 0.0, key_on=True, hv_ready=False, inverter_ready=True, dt_s=0.01)
    assert c.state == VcuState.HV_REQUESTED and c.hv_request and not c.drive_enable
    assert c.torque_request_Nm == 0.0
    c = vcu.step(0.01, 0.0, True, True, False, 0.01)
    assert c.state == VcuState.HV_REQUESTED
    c = vcu.step(0.02, 0.0, True, True, True, 0.01)
    assert c.state == VcuState.DRIVE and c.drive_enable


def test_key_off_zeroes_torque_then_drops_the_hv_request_once_torque_has_decayed():
    vcu = VehicleController(speed_profile_kph=Profile([[0, 50]]))
    vcu.step(0.0, 10.0, True, True, True, 0.01)
    vcu.step(0.01, 10.0, True, True, True, 0.01)
    c = vcu.step(0.02, 10.0, False, True, True, 0.01, torque_actual_Nm=80.0)
    assert c.state == VcuState.SHUTDOWN and c.torque_request_Nm == 0.0 and c.hv_request
    c = vcu.step(0.03, 10.0, False, True, True, 0.01, torque_actual_Nm=1.0)
    assert c.state == VcuState.OFF and not c.hv_request


def test_no_ready_within_3_s_is_a_fault_that_drops_the_hv_request():
    vcu = VehicleController()
    vcu.step(0.0, 0.0, True, False, False, 0.01)
    c = vcu.step(3.01, 0.0, True, False, False, 0.01)
    assert c.state == VcuState.FAULT and not c.hv_request


def test_losing_hv_ready_while_driving_is_a_fault():
    vcu = VehicleController()
    vcu.step(0.0, 0.0, True, True, True, 0.01)
    vcu.step(0.01, 0.0, True, True, True, 0.01)
    assert vcu.step(0.02, 0.0, True, False, True, 0.01).state == VcuState.FAULT


def drive(vcu, speed_m_s, t=1.0):
    vcu.step(0.0, speed_m_s, True, True, True, 0.01)
    vcu.step(0.01, speed_m_s, True, True, True, 0.01)
    return vcu.step(t, speed_m_s, True, True, True, 0.01)


def test_acceleration_demand_is_capped_at_max_torque():
    p = VehicleControllerParams(max_torque_Nm=120.0)
    c = drive(VehicleController(p, Profile([[0, 100]])), 0.0)
    assert c.torque_request_Nm == 120.0 and c.brake_force_N == 0.0


def test_hard_braking_above_fade_speed_uses_full_regen_and_blends_the_rest_to_the_brake():
    p = VehicleControllerParams(regen_torque_limit_Nm=100.0)
    c = drive(VehicleController(p, Profile([[0, 80], [1, 80], [2, 0]])), 80 / 3.6, t=1.5)
    assert c.torque_request_Nm == -100.0
    assert c.brake_force_N > 1000.0
    assert c.torque_limit_regen_Nm == 100.0


def test_regen_limit_fades_linearly_to_zero_between_10_and_3_kph():
    vcu = VehicleController(VehicleControllerParams(regen_torque_limit_Nm=100.0))
    assert vcu.regen_limit_Nm(10.0) == 100.0
    assert vcu.regen_limit_Nm(6.5) == pytest.approx(50.0)
    assert vcu.regen_limit_Nm(3.0) == 0.0


def test_standstill_with_zero_target_holds_the_brake_and_requests_no_torque():
    c = drive(VehicleController(), 0.0)
    assert c.torque_request_Nm == 0.0 and c.brake_force_N == 3000.0


def test_profile_interpolates_holds_ends_and_steps_on_equal_times():
    p = Profile([[1, 10], [3, 30], [3, 0], [5, 0]])
    assert p(0.0) == 10 and p(2.0) == 20 and p(3.0) == 0 and p(9.0) == 0
    assert p.slope(2.0) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        Profile([[2, 0], [1, 0]])
