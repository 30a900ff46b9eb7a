"""Scenario files: the shipped ones load; every bad field gets its own clear message."""

from pathlib import Path

import pytest
import yaml

from kairo_hil.scenario import ScenarioError, load_scenario, main

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

GOOD = {
    "name": "t",
    "duration_s": 10.0,
    "speed_profile": [[0, 0], [5, 50], [10, 0]],
}


def write(tmp_path, doc, name="case.yaml"):
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc), encoding="utf-8")
    return p


def problems(tmp_path, doc):
    with pytest.raises(ScenarioError) as e:
        load_scenario(write(tmp_path, doc))
    return str(e.value)


def test_shipped_demo_scenario_loads_with_its_profile_and_expectations():
    sc = load_scenario(SCENARIOS / "demo.yaml")
    assert sc.kind == "drive" and sc.duration_s == 30.0 and sc.control_period_s == 50e-6
    assert sc.speed_target()(17.0) == 80.0 and sc.speed_target()(9.5) == pytest.approx(40.0)
    assert sc.key_on(1.0) and not sc.key_on(29.0)
    assert len(sc.expectations) >= 5


def test_shipped_battery_scenario_loads_as_a_current_profile_with_steps():
    sc = load_scenario(SCENARIOS / "battery_pulses.yaml")
    assert sc.kind == "battery" and sc.speed_profile is None
    cur = sc.current_target()
    assert cur(9.99) == 0.0 and cur(10.0) == 100.0 and cur(150.0) == -50.0
    assert sc.faults[0].kind == "open_wire" and sc.faults[0].params == {"cell": 17}


def test_good_minimal_file_applies_defaults_and_overrides(tmp_path):
    doc = dict(GOOD, plant={"vehicle": {"mass_kg": 2000}}, sensors={"cell_voltage_noise_mV": 1})
    sc = load_scenario(write(tmp_path, doc))
    p = sc.plant_params()
    assert p.vehicle.mass_kg == 2000.0 and p.sensors.cell_voltage_noise_mV == 1.0
    assert p.motor.pole_pairs == 4 and p.battery.initial_soc_pct == 80.0


@pytest.mark.parametrize("change,expected", [
    ({"speed": 3}, "case.yaml: speed: unknown key; expected one of"),
    ({"duration_s": "long"}, "case.yaml: duration_s: expected a number, got the string 'long'"),
    ({"duration_s": -1}, "case.yaml: duration_s: -1 is out of range > 0 and <= 14400"),
    ({"control_period_us": 20}, "case.yaml: control_period_us: 20 is out of range 50..100"),
    ({"control_period_us": 75},
     "case.yaml: control_period_us: 75 µs does not divide the 1 ms pack step"),
    ({"speed_profile": [[0, 0], [6, 50], [4, 0]]},
     "case.yaml: speed_profile[2]: time 4 s is before the previous point (6 s)"),
    ({"speed_profile": [[0, 0], [5, 500]]},
     "case.yaml: speed_profile[1][1]: 500 is out of range 0..200"),
    ({"speed_profile": [[0, 0], [5]]}, "case.yaml: speed_profile[1]: expected a [t_s, value] pair"),
    ({"kind": "boat"}, "case.yaml: kind: 'boat' is not one of drive, battery"),
    ({"key_on_s": 5, "key_off_s": 2}, "case.yaml: key_off_s: 2 s is not after key_on_s (5 s)"),
    ({"seed": 1.5}, "case.yaml: seed: expected an integer, got 1.5 (float)"),
    ({"plant": {"vehicle": {"mass": 1}}}, "case.yaml: plant.vehicle.mass: unknown key"),
    ({"plant": {"vehicle": {"mass_kg": "heavy"}}},
     "case.yaml: plant.vehicle.mass_kg: expected a number, got 'heavy'"),
    ({"plant": {"vehicle": {"mass_kg": -5}}}, "case.yaml: plant.vehicle.mass_kg: must be > 0"),
    ({"plant": {"gearbox": {}}}, "case.yaml: plant.gearbox: unknown key"),
    ({"sensors": {"cell_voltage_noise_mV": -1}},
     "case.yaml: sensors.cell_voltage_noise_mV: must be >= 0"),
    ({"faults": [{"at_s": 1, "kind": "open_wire", "cell": 120}]},
     "case.yaml: faults[0].cell: 120 is out of range 0..95"),
    ({"faults": [{"at_s": 1, "kind": "meteor"}]},
     "case.yaml: faults[0].kind: 'meteor' is not one of"),
    ({"faults": [{"at_s": 20, "kind": "can_loss", "message": "VCU_Torque"}]},
     "case.yaml: faults[0].at_s: 20 is out of range 0..10"),
    ({"faults": [{"at_s": 1, "kind": "contactor_weld"}]},
     "case.yaml: faults[0].contactor: missing (required for kind contactor_weld)"),
    ({"faults": [{"at_s": 1, "kind": "contactor_weld", "contactor": "main"}]},
     "case.yaml: faults[0].contactor: 'main' is not one of negative_main, positive_main, "
     "precharge"),
    ({"faults": [{"at_s": 1, "kind": "sensor_offset", "sensor": "pack_current", "offset": 1,
                  "cell": 3}]}, "case.yaml: faults[0].cell: unknown key"),
    ({"faults": [{"at_s": 1, "kind": "sensor_offset", "sensor": "module_temperature",
                  "offset": 5, "index": 8}]}, "case.yaml: faults[0].index: 8 is out of range 0..7"),
    ({"faults": [{"at_s": 1, "kind": "sensor_offset", "sensor": "pack_current", "offset": 5,
                  "index": 1}]},
     "case.yaml: faults[0].index: only for sensor cell_voltage or module_temperature"),
    ({"expectations": [{"metric": "max_sped_error_kph", "op": "<", "bound": 1}]},
     "case.yaml: expectations[0].metric: unknown metric 'max_sped_error_kph'"),
    ({"expectations": [{"metric": "max_speed_error_kph", "op": "=<", "bound": 1}]},
     "case.yaml: expectations[0].op: '=<' is not one of <, <=, >, >=, =="),
    ({"expectations": [{"metric": "max_speed_error_kph", "op": "<"}]},
     "case.yaml: expectations[0].bound: missing (required)"),
    ({"current_profile": [[0, 10]]}, "case.yaml: current_profile: only allowed with kind: battery"),
])
def test_each_bad_field_is_reported_with_file_field_and_problem(tmp_path, change, expected):
    doc = dict(GOOD)
    doc.update(change)
    assert expected in problems(tmp_path, doc)


def test_missing_required_fields_are_each_reported(tmp_path):
    msg = problems(tmp_path, {"kind": "battery"})
    assert "case.yaml: name: missing (required)" in msg
    assert "case.yaml: duration_s: missing (required)" in msg
    assert "case.yaml: current_profile: missing (required for kind: battery)" in msg


def test_all_problems_in_a_file_are_reported_together(tmp_path):
    doc = dict(GOOD, duration_s="x", seed=-1, ambient_C=99)
    err = problems(tmp_path, doc)
    assert len(err.splitlines()) == 3


def test_yaml_syntax_error_names_the_line_not_a_traceback(tmp_path):
    msg = problems(tmp_path, "name: t\nduration_s: [1, 2\nspeed_profile: []\n")
    assert msg.startswith("case.yaml: line ") and "YAML syntax error" in msg


@pytest.mark.parametrize("doc", ["", "- 1\n- 2\n", "just text\n", "name: [\n"])
def test_garbage_files_raise_scenario_error_only(tmp_path, doc):
    with pytest.raises(ScenarioError):
        load_scenario(write(tmp_path, doc))


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


def test_checker_entry_point_exit_codes(tmp_path, capsys):
    assert main([str(SCENARIOS / "demo.yaml")]) == 0
    bad = write(tmp_path, dict(GOOD, duration_s=0))
    assert main([str(bad)]) == 1
    assert "duration_s" in capsys.readouterr().err


def test_demo_scenario_builds_a_plant_and_schedules_faults_in_time_order(tmp_path):
    from kairo_hil.plant import Plant
    doc = dict(GOOD, control_period_us=100, faults=[
        {"at_s": 5, "kind": "can_loss", "message": "VCU_Torque", "duration_s": 0.5},
        {"at_s": 2, "kind": "sensor_offset", "sensor": "pack_current", "offset": 3.0}])
    sc = load_scenario(write(tmp_path, doc))
    assert sc.control_period_us == 100
    assert [f.kind for f in sc.faults] == ["sensor_offset", "can_loss"]
    assert [f.kind for f in sc.faults_between(0.0, 5.0)] == ["sensor_offset"]
    plant = Plant(sc.plant_params())
    assert plant.pack_steps_per_period == 10
    assert plant.inject(sc.faults[0]) is True and plant.inject(sc.faults[1]) is False
    assert plant.sensors.offsets["pack_current"] == 3.0
