"""Cost of the plant models per step, in microseconds of host time.

    python bench/bench_plant.py [--steps N]

Reports the best of three repetitions for: the PMSM + inverter step alone (modulating), the
96-cell pack step alone, the sensor sample of the inverter, and the whole Plant.step at a
50 µs control period (pack every 20th step, sensor noise on), amortised per control period.
"""

from __future__ import annotations

import argparse
import math
import time

from kairo_hil.plant import Plant, PlantParams
from kairo_hil.plants.battery import BatteryPack
from kairo_hil.plants.pmsm import MODE_MODULATING, Pmsm, duties_for_voltage, dq_steady_state_voltage
from kairo_hil.plants.sensors import SensorParams, Sensors


def best_us(fn, steps: int, repeats: int = 3) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(steps)
        best = min(best, time.perf_counter() - t0)
    return best / steps * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20000)
    n = ap.parse_args().steps
    dt = 50e-6

    m = Pmsm()
    omega = 300.0
    vd, vq = dq_steady_state_voltage(m.p, -50.0, 150.0, omega)
    d = duties_for_voltage(vd, vq, 0.3, 350.0)

    def motor(k: int) -> None:
        step = m.step
        for _ in range(k):
            step(d[0], d[1], d[2], MODE_MODULATING, 350.0, omega, dt)

    pack = BatteryPack()

    def pack_steps(k: int) -> None:
        step = pack.step
        for _ in range(k):
            step(50.0, 1e-3)

    s = Sensors(SensorParams(phase_current_noise_A=0.5, dc_link_voltage_noise_V=0.2,
                             resolver_noise_rad=5e-4))

    def sensors(k: int) -> None:
        f = s.inverter_sample
        for _ in range(k):
            f(10.0, -5.0, 350.0, 1.0, 40.0, 40.0)

    plant = Plant(PlantParams(sensors=SensorParams(
        phase_current_noise_A=0.5, dc_link_voltage_noise_V=0.2, resolver_noise_rad=5e-4,
        cell_voltage_noise_mV=0.5, pack_current_noise_A=0.05)))
    plant.set_contactors(True, True, False)

    def whole(k: int) -> None:
        step = plant.step
        for _ in range(k):
            step(d[0], d[1], d[2], MODE_MODULATING)

    rows = [
        (f"PMSM + inverter step (RK4, {m.p.substeps} substeps)", best_us(motor, n)),
        ("pack step (96 cells, 2RC, thermal)", best_us(pack_steps, max(n // 4, 1000))),
        ("inverter sensor sample (noise on)", best_us(sensors, n)),
        ("Plant.step, 50 µs period, pack every 20th", best_us(whole, n)),
    ]
    for name, us in rows:
        print(f"{name:48s} {us:7.2f} µs")
    per_sim_s = rows[-1][1] * 20000 / 1e6
    print(f"{'wall time per simulated second (plant only)':48s} {per_sim_s:7.3f} s")


if __name__ == "__main__":
    main()
