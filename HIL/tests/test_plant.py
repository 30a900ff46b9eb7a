"""The composed plant, closed around test-local stand-ins for the ECUs."""

import numpy as np
import pytest

from kairo_hil.plant import Plant, PlantParams, balancing_mask_to_bool
from kairo_hil.plants.sensors import dc_link_counts

from conftest import close_contactors, run_drive


def test_pack_is_stepped_every_millisecond_and_the_bms_sample_refreshes_with_it():
    plant = Plant(PlantParams(control_period_s=50e-6))
    flags = [plant.step(0.5, 0.5, 0.5, 0) and plant.bms_updated for _ in range(60)]
    assert plant.pack_steps_per_period == 20
    assert [i for i, f in enumerate(flags) if f] == [19, 39, 59]


def test_precharge_and_close_bring_the_link_to_pack_voltage_and_report_feedback():
    plant = Plant()
    close_contactors(plant)
    assert plant.link.v_link_V == pytest.approx(plant.pack.emf_V, abs=0.01)
    for _ in range(20):
        s = plant.step(0.5, 0.5, 0.5, 0)
    assert s.dc_link_voltage_counts == dc_link_counts(plant.link.v_link_V)
    assert plant.bms_sample.feedback == (True, True, False)
    assert plant.contactor_state() == 3
    assert abs(plant.bms_sample.link_voltage_dV - plant.bms_sample.pack_voltage_dV) <= 1


def test_closed_loop_drive_follows_the_target_and_draws_pack_current():
    trace, plant = run_drive(seconds=2.0, noisy=False, profile=((0, 0), (0.5, 0), (2.0, 8.0)))
    assert trace["vehicle_speed_kph"][-1] == pytest.approx(8.0, abs=0.5)
    assert np.nanmax(trace["pack_current_A"]) > 10.0
    assert np.nanmax(trace["torque_Nm"]) > 50.0
    # Pack energy out ≥ kinetic energy gained (losses are positive).
    e_pack = float(np.sum(trace["pack_current_A"] * trace["pack_voltage_V"]) * 1e-3)
    v = plant.vehicle.speed_m_s
    assert e_pack > 0.5 * plant.vehicle.effective_mass_kg * v * v


def test_balancing_mask_formats_agree():
    words = [1 << 5, 0, 1 << 31]
    as_int = (1 << 5) | (1 << 95)
    a = balancing_mask_to_bool(words, 96)
    b = balancing_mask_to_bool(as_int, 96)
    assert np.array_equal(a, b) and list(np.flatnonzero(a)) == [5, 95]


def test_weld_fault_keeps_feedback_closed_after_the_bms_opens():
    plant = Plant()
    close_contactors(plant)
    assert plant.inject_fault("contactor_weld", {"contactor": "positive_main"})
    plant.set_contactors(False, False, False)
    for _ in range(2000):
        plant.step(0.5, 0.5, 0.5, 0)
    assert plant.bms_sample.feedback == (False, True, False)


def test_open_wire_fault_shows_in_the_next_cell_scan():
    plant = Plant()
    plant.inject_fault("open_wire", {"cell": 30})
    for _ in range(20):
        plant.step(0.5, 0.5, 0.5, 0)
    scan = plant.bms_sample
    assert scan.open_wire[30] and scan.cell_voltage_mV[30] == 0
    assert scan.cell_voltage_mV[31] > 7000


def test_overcurrent_fault_offsets_the_measured_phase_for_its_duration_only():
    plant = Plant()
    base = plant.step(0.5, 0.5, 0.5, 0).phase_current_counts[0]
    plant.inject_fault("overcurrent", {"current_A": 450.0}, duration_s=0.002)
    assert plant.step(0.5, 0.5, 0.5, 0).phase_current_counts[0] == base + 1800
    for _ in range(60):
        s = plant.step(0.5, 0.5, 0.5, 0)
    assert s.phase_current_counts[0] == base


def test_can_faults_are_left_to_the_rig():
    assert Plant().inject_fault("can_loss", {"message": "VCU_Torque"}) is False


@pytest.mark.parametrize("period_s,tolerance", [(50e-6, 0.04), (10e-6, 0.01)])
def test_spinning_motor_in_off_mode_charges_an_open_link_and_energy_balances(period_s, tolerance):
    # The motor sees the link voltage at the start of each period (explicit coupling), so a
    # fast charge-up from 0 V carries an O(dt) energy error: ≈3 % at 50 µs, ≈0.6 % at 10 µs.
    from kairo_hil.plants.vehicle import VehicleParams
    import math
    params = PlantParams(vehicle=VehicleParams(cda_m2=0.0, rolling_coeff=0.0),
                         control_period_s=period_s)
    plant = Plant(params)
    car = plant.vehicle
    car.speed_m_s = 60.0 / 3.6
    e_kin0 = 0.5 * car.effective_mass_kg * car.speed_m_s ** 2
    e_cu = 0.0
    e_bleed = 0.0
    for _ in range(int(round(0.2 / period_s))):
        plant.step(0.5, 0.5, 0.5, 0)
        e_cu += plant.motor.copper_loss_W * plant.dt_s
        e_bleed += plant.link.v_link_V ** 2 / params.dclink.bleed_resistance_ohm * plant.dt_s
    e_kin1 = 0.5 * car.effective_mass_kg * car.speed_m_s ** 2
    v = plant.link.v_link_V
    e_cap = 0.5 * params.dclink.capacitance_F * v * v
    line_peak = math.sqrt(3.0) * params.motor.pole_pairs * car.motor_speed_rad_s * 0.065
    assert v >= 0.97 * line_peak
    assert plant.motor.id_A == 0.0 and plant.motor.iq_A == 0.0   # the bridge now blocks
    assert e_kin0 - e_kin1 == pytest.approx(e_cap + e_cu + e_bleed, rel=tolerance)


def test_regenerative_stop_charges_the_pack_and_the_brake_takes_over_at_low_speed():
    trace, plant = run_drive(seconds=4.0, noisy=False,
                             profile=((0, 0), (0.5, 0), (2.0, 8.0), (2.2, 8.0), (3.5, 0.0)))
    t = trace["t_s"]
    decel = (t > 2.3) & (t < 3.0)              # above the 3 km/h regen fade-out end
    assert np.min(trace["pack_current_A"][decel]) < -5.0
    assert np.all(trace["torque_request_Nm"][decel] < 0.0)
    assert trace["vehicle_speed_kph"][-1] < 0.1
    assert trace["brake_force_N"][-1] > 0.0     # hold brake at standstill
