"""The lock-step co-simulation: both ECU images on QEMU, the plant, the vehicle controller and
the vehicle bus, advanced one inverter control period at a time.

Time is the plant's: a run is a sequence of control periods, never the wall clock, so the
same scenario gives a byte-identical trace on every run. Per millisecond:

1. faults due in this millisecond are applied; outside tools' CAN frames join the bus;
2. every 10 ms the vehicle controller sends its torque request (E2E protected);
3. the BMS gets its sample frame (cell monitor, pack sensors, its CAN frames) and computes
   while the inverter runs its periods (the two QEMUs run in parallel);
4. for each inverter period: sample frame → actuation frame → plant step;
5. the BMS's actuation (contactors, balancing) applies from the next millisecond;
6. one trace row is recorded.

Inside the scenario's `capture` windows every control period is also recorded
(`capture.PeriodCapture`, written as capture.csv).
"""

from __future__ import annotations

import math
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import cosim
from .bus import VehicleBus
from .capture import PeriodCapture, capture_metrics
from .link import EcuLink
from .network import TORQUE_REQUEST_ID, Network
from .plant import Plant
from . import bms_checks, bms_record
from .report import BATTERY_TRACE_COLUMNS, TRACE_COLUMNS, TraceRecorder
from .scenario import Fault, Scenario
from .vehicle_controller import VcuState, VehicleController

# Inverter measurement channels (InverterApp's MeasurementSource).
INV_ID, INV_IQ, INV_ID_REF, INV_IQ_REF, INV_TORQUE_REF = 0, 1, 2, 3, 4
INV_STATE = 8
INV_FAULT_CODE = 9
# BMS measurement channels (BatteryApp's MeasurementSource).
BMS_SOC_EST, BMS_SOH_CAPACITY, BMS_STATE, BMS_CONTACTOR_COMMAND = 0, 1, 2, 3
BMS_BALANCING_CELLS, BMS_FAULT_CODE = 11, 12

# |torque| at or below this counts as zero (torque_zero_after_can_loss_ms).
ZERO_TORQUE_NM = 1.0

# DBC state values the vehicle controller waits for.
BMS_STATE_CLOSED = 3
INV_STATES_READY = (3, 4)  # Ready, Running


@dataclass
class RigOptions:
    firmware_dir: Path
    out_dir: Path | None = None
    slcan_port: int | None = None
    virtual_channel: str | None = None
    icount_shift: int = 0
    progress: Callable[[float], None] | None = None  # called with the simulated time


@dataclass
class RigResult:
    trace: dict[str, np.ndarray]
    metrics: dict[str, float]
    sim_seconds: float
    wall_seconds: float
    exit_codes: dict[str, int]
    errors: list[str] = field(default_factory=list)


class Rig:
    def __init__(self, scenario: Scenario, options: RigOptions):
        self.sc = scenario
        self.opt = options
        params = scenario.plant_params()
        if scenario.kind == "battery":
            # Battery-only runs have no inverter: the plant steps once per pack step (1 ms),
            # the motor idle, the DC load the current profile (docs/cosim-protocol.md).
            params.control_period_s = params.battery.step_s
        self.plant = Plant(params)
        self.vcu = VehicleController(scenario.controller_params(), scenario.speed_target(),
                                     self.plant.params.vehicle,
                                     torque_profile=scenario.torque_target())
        self.capture = PeriodCapture(scenario.capture) if scenario.capture else None
        self.net = Network()
        self.periods_per_ms = int(round(1e-3 / self.plant.dt_s))
        self.bms_restarts = 0
        # Per ecu_reset: (time, SOC % of the newest record in the store at that moment).
        self.reset_records: list[tuple[float, float]] = []
        self._bms_link: EcuLink | None = None
        self._bms_store: Path | None = None
        self.errors: list[str] = []
        self.rejected = {"inverter": 0, "bms": 0}
        self.can_loss: dict[int, float] = {}  # CAN id -> lost until (s)
        self.bad_frames: dict[str, list[str]] = {"inverter": [], "bms": []}
        self._vcu_cmd = None
        # Wall seconds spent waiting for the inverter's answer, stepping the plant, and
        # waiting for the BMS's answer (after the inverter's periods of that millisecond).
        self.spent = [0.0, 0.0, 0.0]

    # -- faults --------------------------------------------------------------------------

    def _apply(self, fault: Fault, t_s: float) -> None:
        if fault.is_plant_fault:
            self.plant.inject(fault)
        elif fault.kind == "can_loss":
            ident = self._message_id(fault.params["message"])
            until = t_s + (fault.duration_s if fault.duration_s is not None else math.inf)
            self.can_loss[ident] = until
        elif fault.kind == "cosim_bad_frame":
            self.bad_frames[fault.params["ecu"]].append(fault.params["defect"])

    def _message_id(self, name: str) -> int:
        try:
            return self.net.db.get_message_by_name(name).frame_id
        except KeyError:
            raise ValueError(f"can_loss: no message {name!r} in the DBC") from None

    def _lost(self, frame_id: int, t_s: float) -> bool:
        until = self.can_loss.get(frame_id)
        return until is not None and t_s < until

    def _forward(self, bus: VehicleBus, ecu: str, frames, t_s: float) -> None:
        """An ECU's transmitted frames onto the bus, except those of a lost message."""
        for f in frames:
            if not (self.can_loss and self._lost(f.id, t_s)):
                bus.send(ecu, f)

    @staticmethod
    def _spoil(frame: bytes, defect: str) -> bytes:
        """One defective sample frame; framing stays intact so the stream stays in step."""
        body = bytearray(frame[:-cosim.CRC_SIZE])
        if defect == "crc":
            return bytes(frame[:-1]) + bytes([frame[-1] ^ 0xFF])
        if defect == "magic":
            body[0] ^= 0xFF
        elif defect == "version":
            body[2] = cosim.VERSION + 1
        elif defect == "kind":
            body[3] = cosim.BATTERY_SAMPLE if body[3] == cosim.INVERTER_SAMPLE \
                else cosim.INVERTER_SAMPLE
        elif defect == "length":  # two stray payload bytes, declared in the header
            body += b"\0\0"
            struct.pack_into("<H", body, 4, len(body) - cosim.HEADER_SIZE)
        elif defect == "sequence":  # as if the previous frame had been lost
            seq = struct.unpack_from("<I", body, 8)[0]
            struct.pack_into("<I", body, 8, seq + 1)
        return bytes(body) + struct.pack("<I", zlib.crc32(bytes(body)))

    # -- the run -------------------------------------------------------------------------

    def run(self) -> RigResult:
        sc, opt = self.sc, self.opt
        out = opt.out_dir
        log = (out / "can.blf") if out else None
        bus = VehicleBus(("inverter", "bms", "vcu"), log_path=log,
                         virtual_channel=opt.virtual_channel)
        if opt.slcan_port is not None:
            bus.attach_slcan(opt.slcan_port)
        console_dir = out if out else Path(".")
        if sc.kind == "battery":
            return self._run_battery(bus, console_dir)
        inverter = EcuLink("inverter", opt.firmware_dir / "inverter.elf",
                           console_dir / "inverter-console.log", icount_shift=opt.icount_shift)
        bms = EcuLink("bms", opt.firmware_dir / "bms.elf", console_dir / "bms-console.log",
                      icount_shift=opt.icount_shift)
        recorder = TraceRecorder()
        exit_codes = {}
        wall0 = time.perf_counter()
        ms_total = int(round(sc.duration_s * 1000))
        try:
            inverter.start()
            bms.start()
            self._loop(ms_total, inverter, bms, bus, recorder)
            exit_codes["inverter"] = inverter.close()
            exit_codes["bms"] = bms.close()
        except BaseException:
            inverter.kill()
            bms.kill()
            raise
        finally:
            bus.close()
        wall = time.perf_counter() - wall0
        for ecu, code in exit_codes.items():
            if code != 0:
                self.errors.append(f"{ecu}: QEMU exited with code {code}")
        trace = recorder.as_dict()
        from .metrics import compute_metrics
        metrics = compute_metrics(trace)
        metrics.update(self._eaxle_metrics(trace, out))
        sim = ms_total / 1000.0
        metrics.update({
            "sim_seconds": sim, "wall_seconds": wall,
            "sim_speed_ratio": sim / wall if wall > 0 else math.nan,
            "cosim_rejected_inverter": float(self.rejected["inverter"]),
            "cosim_rejected_bms": float(self.rejected["bms"]),
            "can_frames": float(bus.stats.delivered),
            "can_frames_from_tools": float(bus.stats.from_tools),
            "can_decode_errors": float(self.net.decode_errors),
            "can_signals_out_of_range": float(self.net.signals_out_of_range),
            "wall_share_inverter_link": self.spent[0] / wall if wall > 0 else math.nan,
            "wall_share_plant": self.spent[1] / wall if wall > 0 else math.nan,
            "wall_share_bms_wait": self.spent[2] / wall if wall > 0 else math.nan,
        })
        return RigResult(trace, metrics, sim, wall, exit_codes, self.errors)

    def _loop(self, ms_total: int, inverter: EcuLink, bms: EcuLink, bus: VehicleBus,
              recorder: TraceRecorder) -> None:
        sc, plant, net = self.sc, self.plant, self.net
        per_ms = self.periods_per_ms
        inv_seq = 0
        bms_seq = 0
        inv_tel = (math.nan,) * cosim.TELEMETRY_COUNT
        bms_tel = (math.nan,) * cosim.TELEMETRY_COUNT
        mode, duties = cosim.POWER_STAGE_OFF, (0.5, 0.5, 0.5)
        # With actuation_delay_periods = 1 the plant steps with the previous period's answer:
        # the duties computed from the sample at the start of period k act in period k + 1,
        # as on the board (and as the firmware's latency compensation assumes).
        delayed = sc.actuation_delay_periods == 1
        applied = (mode, duties)
        inverter_sample = cosim.inverter_sample
        act_kind = cosim.INVERTER_ACTUATION
        torque_request = 0.0
        clock = time.perf_counter
        spent = self.spent
        for ms in range(ms_total):
            t = ms * 1e-3
            for fault in sc.faults_between(t, t + 1e-3):
                self._apply(fault, t)
            window = self.capture.window_at(t) if self.capture is not None else None
            bus.time_s = t
            bus.poll_tools()
            if ms % 10 == 0:
                torque_request = self._vehicle_controller(t, bus)
            # The BMS computes its millisecond while the inverter runs its periods.
            b = plant.bms_sample
            bms_frame = cosim.battery_sample(
                bms_seq, [int(v) for v in b.cell_voltage_mV],
                [int(v) for v in b.temperature_dC], int(b.current_mA), int(b.pack_voltage_dV),
                int(b.link_voltage_dV),
                int(b.feedback.negative_main) | int(b.feedback.positive_main) << 1
                | int(b.feedback.precharge) << 2,
                [int(i) for i in np.flatnonzero(b.open_wire)],
                bus.take("bms", cosim.MAX_CAN_FRAMES))
            bms_expect = bms_seq
            if self.bad_frames["bms"]:
                bms_frame = self._spoil(bms_frame, self.bad_frames["bms"].pop(0))
                bms_expect = self._sequence_of(bms_frame)
            bms.send(bms_frame)
            for _ in range(per_ms):
                s = plant.inverter_sample
                frame = inverter_sample(
                    inv_seq, s.phase_current_counts[0], s.phase_current_counts[1],
                    s.dc_link_voltage_counts, s.rotor_angle_counts,
                    s.inverter_temperature_counts, s.motor_temperature_counts,
                    bus.take("inverter", cosim.MAX_CAN_FRAMES))
                expect = inv_seq
                if self.bad_frames["inverter"]:
                    frame = self._spoil(frame, self.bad_frames["inverter"].pop(0))
                    expect = self._sequence_of(frame)
                t0 = clock()
                reply = inverter.exchange(frame)
                t1 = clock()
                act = self._answer("inverter", reply, act_kind, expect)
                if act.status & cosim.STATUS_SAMPLE_REJECTED:
                    self.rejected["inverter"] += 1
                if window is not None:
                    self._capture_period(window, expect, s, act, inv_tel)
                mode, duties, inv_tel = act.mode, act.duties, act.telemetry
                if act.can:
                    self._forward(bus, "inverter", act.can, t)
                t2 = clock()
                if delayed:
                    (m_now, d_now), applied = applied, (mode, duties)
                    plant.step(d_now[0], d_now[1], d_now[2], m_now)
                else:
                    plant.step(duties[0], duties[1], duties[2], mode)
                spent[0] += t1 - t0
                spent[1] += clock() - t2
                inv_seq = expect + 1
            t0 = clock()
            bms_reply = bms.receive()
            spent[2] += clock() - t0
            bact = self._answer("bms", bms_reply, cosim.BATTERY_ACTUATION, bms_expect)
            if bact.status & cosim.STATUS_SAMPLE_REJECTED:
                self.rejected["bms"] += 1
            bits = bact.contactor_bits
            plant.set_contactors(bool(bits & 1), bool(bits & 2), bool(bits & 4))
            plant.set_balancing(list(bact.balancing))
            bms_tel = bact.telemetry
            if bact.can:
                self._forward(bus, "bms", bact.can, t)
            bms_seq = bms_expect + 1
            for f in bus.take("vcu", 1 << 30):
                net.observe(f)
            self._record(recorder, plant.t_s, torque_request, inv_tel, bms_tel, mode)
            if self.opt.progress is not None and ms % 100 == 99:
                self.opt.progress(plant.t_s)

    @staticmethod
    def _sequence_of(frame: bytes) -> int:
        """The sequence number a sample frame carries: its answer must echo it, even when the
        frame itself is defective."""
        return struct.unpack_from("<I", frame, 8)[0]

    @staticmethod
    def _answer(ecu: str, frame: bytes, kind: int, sequence: int) -> cosim.Actuation:
        try:
            return cosim.parse_actuation(frame, kind, sequence)
        except cosim.FrameError as error:
            raise cosim.FrameError(f"{ecu}: actuation frame rejected: {error}") from None

    def _vehicle_controller(self, t: float, bus: VehicleBus) -> float:
        net, plant, sc = self.net, self.plant, self.sc
        key_on = sc.key_on(t)
        if sc.kind == "battery":
            # No drive: the current profile is the load; the VCU only asks for HV.
            plant.set_load_current(sc.current_target()(t) if key_on else 0.0)
        hv_ready = net.bms_status.get("BMS_State") == BMS_STATE_CLOSED
        inv_ready = net.inverter_status.get("INV_State") in INV_STATES_READY
        cmd = self.vcu.step(t, plant.vehicle.speed_m_s, key_on, hv_ready, inv_ready, 0.01,
                            plant.motor.torque_Nm)
        self._vcu_cmd = cmd
        plant.set_brake_force(cmd.brake_force_N)
        frame = net.torque_request(cmd.torque_request_Nm, cmd.drive_enable, key_on)
        if not self._lost(TORQUE_REQUEST_ID, t):
            bus.send("vcu", frame)
        return cmd.torque_request_Nm

    def _record(self, recorder: TraceRecorder, t: float, torque_request: float,
                inv_tel: tuple, bms_tel: tuple, mode: int) -> None:
        truth = self.plant.truth()
        modulating = mode == cosim.POWER_STAGE_MODULATING
        row = {
            "t_s": t,
            "vehicle_speed_kph": truth["vehicle_speed_kph"],
            "torque_request_Nm": torque_request,
            "torque_Nm": truth["torque_Nm"],
            "id_A": truth["id_A"],
            "iq_A": truth["iq_A"],
            "id_ref_A": inv_tel[INV_ID_REF] if modulating else math.nan,
            "iq_ref_A": inv_tel[INV_IQ_REF] if modulating else math.nan,
            "pack_current_A": truth["pack_current_A"],
            "pack_voltage_V": truth["pack_voltage_V"],
            "soc_true_pct": truth["soc_true_pct"],
            "soc_est_pct": bms_tel[BMS_SOC_EST],
            "cell_v_min_V": truth["cell_v_min_V"],
            "cell_v_max_V": truth["cell_v_max_V"],
            "contactor_state": truth["contactor_state"],
            "inverter_state": inv_tel[INV_STATE],
            "bms_state": bms_tel[BMS_STATE],
            "speed_target_kph": self._vcu_cmd.speed_target_kph if self._vcu_cmd else 0.0,
            "link_voltage_V": truth["link_voltage_V"],
            "brake_force_N": truth["brake_force_N"],
            "distance_m": truth["distance_m"],
            "motor_speed_rpm": truth["motor_speed_rpm"],
            "module_temp_max_C": truth["module_temp_max_C"],
            "motor_temp_C": truth["motor_temp_C"],
            "inverter_temp_C": truth["inverter_temp_C"],
            "soc_true_min_pct": truth["soc_true_min_pct"],
            "vcu_state": float(self._vcu_cmd.state) if self._vcu_cmd else float(VcuState.OFF),
        }
        row.update(self._eaxle_columns(inv_tel, mode))
        recorder.append(row)

    # -- e-axle checks: per-period capture, BMS limits on the bus, fault reaction metrics ----

    def _eaxle_columns(self, inv_tel: tuple, mode: int) -> dict[str, float]:
        """Trace columns for the e-axle checks: the power-stage mode and fault code of the
        last period of the millisecond, and the current limits of the latest BMS_Limits frame
        on the bus (NaN until the first)."""
        limits = self.net.bms_limits
        return {
            "power_stage_mode": float(mode),
            "inverter_fault_code": inv_tel[INV_FAULT_CODE],
            "bms_discharge_limit_A": limits.get("BMS_DischargeCurrentLimit", math.nan),
            "bms_charge_limit_A": limits.get("BMS_ChargeCurrentLimit", math.nan),
        }

    def _capture_period(self, window: int, period: int, sample, act: cosim.Actuation,
                        previous_telemetry: tuple) -> None:
        """One capture row, before the plant steps: the truth is at the sample's instant."""
        plant = self.plant
        speed = plant.dyno(plant.t_s) if plant.dyno is not None \
            else plant.vehicle.motor_speed_rad_s
        self.capture.record(window, period, plant.t_s, sample, act, previous_telemetry,
                            plant.motor.id_A, plant.motor.iq_A, speed)

    def _eaxle_metrics(self, trace: dict[str, np.ndarray], out: Path | None) -> dict[str, float]:
        from .metrics import torque_zero_after
        m: dict[str, float] = {}
        if self.capture is not None:
            captured = self.capture.as_dict()
            m.update(capture_metrics(captured))
            if out is not None:
                self.capture.write_csv(out / "capture.csv")
        for fault in self.sc.faults:
            if fault.kind == "can_loss" and fault.params.get("message") == "VCU_TorqueRequest":
                end = fault.at_s + (fault.duration_s if fault.duration_s is not None
                                    else math.inf)
                m["torque_zero_after_can_loss_ms"] = torque_zero_after(
                    trace, fault.at_s, end, ZERO_TORQUE_NM)
                break
        return m

    # -- battery-only runs (kind: battery) -----------------------------------------------
    #
    # Only the BMS image runs. The plant steps once per millisecond (its control period is
    # the pack step): motor idle, the DC load draws the current profile while the BMS reports
    # Closed on CAN, and the vehicle
    # controller is reduced to what a battery test bench has, a key switch: every 10 ms a
    # VCU_TorqueRequest with key Run while the key is on, torque 0, drive disabled. The BMS's
    # persistent record lives in a host file (`store=PATH`, docs/cosim-protocol.md) that the
    # rig keeps for the run, so an `ecu_reset` fault can stop the image and start it again.

    def _start_bms(self, console_dir: Path) -> EcuLink:
        name = "bms-console.log" if self.bms_restarts == 0 \
            else f"bms-console-{self.bms_restarts}.log"
        link = EcuLink("bms", self.opt.firmware_dir / "bms.elf", console_dir / name,
                       icount_shift=self.opt.icount_shift,
                       extra_args=(f"store={self._bms_store}",))
        self._bms_link = link
        return link.start()

    def _run_battery(self, bus: VehicleBus, console_dir: Path) -> RigResult:
        import tempfile
        sc = self.sc
        recorder = TraceRecorder(columns=[c[0] for c in TRACE_COLUMNS]
                                 + [c[0] for c in BATTERY_TRACE_COLUMNS])
        exit_codes: dict[str, int] = {}
        wall0 = time.perf_counter()
        ms_total = int(round(sc.duration_s * 1000))
        with tempfile.TemporaryDirectory(prefix="kairo-bms-store-") as store_dir:
            # A new file each run: the ECU starts as from the factory (no record).
            self._bms_store = Path(store_dir) / "bms-store.bin"
            if sc.bms_record is not None:
                r = sc.bms_record
                self._bms_store.write_bytes(bms_record.store_image(
                    r["soc_pct"] / 100.0, r["capacity_Ah"], r["resistance_pct"] / 100.0))
            try:
                self._start_bms(console_dir)
                self._loop_battery(ms_total, bus, recorder, console_dir)
                exit_codes["bms"] = self._bms_link.close()
            except BaseException:
                if self._bms_link is not None:
                    self._bms_link.kill()
                raise
            finally:
                bus.close()
        wall = time.perf_counter() - wall0
        if exit_codes["bms"] != 0:
            self.errors.append(f"bms: QEMU exited with code {exit_codes['bms']}")
        trace = recorder.as_dict()
        from .metrics import compute_metrics
        metrics = compute_metrics(trace)
        sim = ms_total / 1000.0
        metrics.update({
            "sim_seconds": sim, "wall_seconds": wall,
            "sim_speed_ratio": sim / wall if wall > 0 else math.nan,
            "cosim_rejected_inverter": 0.0,
            "cosim_rejected_bms": float(self.rejected["bms"]),
            "can_frames": float(bus.stats.delivered),
            "can_frames_from_tools": float(bus.stats.from_tools),
            "wall_share_inverter_link": 0.0,
            "wall_share_plant": self.spent[1] / wall if wall > 0 else math.nan,
            "wall_share_bms_wait": self.spent[2] / wall if wall > 0 else math.nan,
        })
        metrics.update(bms_checks.battery_metrics(trace, sc, self.reset_records))
        return RigResult(trace, metrics, sim, wall, exit_codes, self.errors)

    def _reset_bms(self, t_s: float, console_dir: Path) -> None:
        """An ECU reset without warning (power dip, reset line): QEMU is stopped where it is,
        the contactor drivers lose their supply (all open), and the image boots again on the
        same persistent store."""
        self._bms_link.kill()
        record = bms_record.newest_record(self._bms_store.read_bytes()) \
            if self._bms_store.exists() else None
        self.reset_records.append((t_s, record["soc"] * 100.0 if record else math.nan))
        self.plant.set_contactors(False, False, False)
        self.plant.set_balancing(0)
        self.bms_restarts += 1
        self._start_bms(console_dir)

    def _loop_battery(self, ms_total: int, bus: VehicleBus, recorder: TraceRecorder,
                      console_dir: Path) -> None:
        sc, plant, net = self.sc, self.plant, self.net
        bms_seq = 0
        bms_tel = (math.nan,) * cosim.TELEMETRY_COUNT
        inv_tel = (math.nan,) * cosim.TELEMETRY_COUNT
        profile = sc.current_target()
        balancing = None
        clock = time.perf_counter
        spent = self.spent
        for ms in range(ms_total):
            t = ms * 1e-3
            for fault in sc.faults_between(t, t + 1e-3):
                if fault.kind == "ecu_reset":
                    self._reset_bms(t, console_dir)
                    balancing = None
                    bms_seq = 0
                    bms_tel = (math.nan,) * cosim.TELEMETRY_COUNT
                else:
                    self._apply(fault, t)
            bus.time_s = t
            bus.poll_tools()
            key_on = sc.key_on(t)
            if ms % 10 == 0:
                # The load draws only while the BMS reports Closed (BMS_Status), as the
                # vehicle drives only then: never against a precharge.
                hv_ready = net.bms_status.get("BMS_State") == BMS_STATE_CLOSED
                plant.set_load_current(profile(t) if key_on and hv_ready else 0.0)
                if not self._lost(TORQUE_REQUEST_ID, t):
                    bus.send("vcu", net.torque_request(0.0, False, key_on))
            b = plant.bms_sample
            frame = cosim.battery_sample(
                bms_seq, b.cell_voltage_mV.tolist(), b.temperature_dC.tolist(),
                int(b.current_mA), int(b.pack_voltage_dV), int(b.link_voltage_dV),
                int(b.feedback.negative_main) | int(b.feedback.positive_main) << 1
                | int(b.feedback.precharge) << 2,
                np.flatnonzero(b.open_wire).tolist() if b.open_wire.any() else [],
                bus.take("bms", cosim.MAX_CAN_FRAMES))
            expect = bms_seq
            if self.bad_frames["bms"]:
                frame = self._spoil(frame, self.bad_frames["bms"].pop(0))
                expect = self._sequence_of(frame)
            link = self._bms_link
            link.send(frame)
            t0 = clock()
            plant.step(0.5, 0.5, 0.5, cosim.POWER_STAGE_OFF)
            t1 = clock()
            reply = link.receive()
            spent[1] += t1 - t0
            spent[2] += clock() - t1
            act = self._answer("bms", reply, cosim.BATTERY_ACTUATION, expect)
            if act.status & cosim.STATUS_SAMPLE_REJECTED:
                self.rejected["bms"] += 1
            bits = act.contactor_bits
            plant.set_contactors(bool(bits & 1), bool(bits & 2), bool(bits & 4))
            if act.balancing != balancing:
                balancing = act.balancing
                plant.set_balancing(list(balancing))
            bms_tel = act.telemetry
            for f in act.can:
                bus.send("bms", f)
            bms_seq = expect + 1
            for f in bus.take("vcu", 1 << 30):
                net.observe(f)
            self._record(recorder, plant.t_s, 0.0, inv_tel, bms_tel, cosim.POWER_STAGE_OFF)
            recorder.update_last(self._battery_columns(bms_tel))
            if self.opt.progress is not None and ms % 100 == 99:
                self.opt.progress(plant.t_s)

    def _battery_columns(self, bms_tel: tuple) -> dict[str, float]:
        pk = self.plant.pack
        return {
            "soc_true_max_pct": float(pk.soc.max() * 100.0),
            "capacity_true_Ah": float(pk.capacity_As.mean() / 3600.0),
            "soh_capacity_pct": bms_tel[BMS_SOH_CAPACITY],
            "bms_contactor_command": bms_tel[BMS_CONTACTOR_COMMAND],
            "bms_balancing_cells": bms_tel[BMS_BALANCING_CELLS],
            "bms_fault_code": bms_tel[BMS_FAULT_CODE],
            "bms_restarts": float(self.bms_restarts),
        }
