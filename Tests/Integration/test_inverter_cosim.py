"""The inverter image in the HIL loop (cosim mode): the VCU and the BMS on the bus, a dq model of
the reference motor on a dynamometer as the plant. The ECU must go through its offset
calibration to running on the VCU's enable, deliver the requested torque, and send INV_Status
every 10 ms; the run must end cleanly within the stack."""

import math
import re

import cantools

from conftest import FIRMWARE, ROOT
from kairo_hil import cosim
from kairo_hil.link import EcuLink

DBC = ROOT / "Network" / "kairo.dbc"
PERIOD_S = 50e-6
SPEED_RPM = 1000.0
TORQUE_NM = 50.0
PERIODS = 4000  # 200 ms: 51.2 ms offset calibration, then the 2000 N·m/s ramp and settling


def crc8_j1850(data: bytes) -> int:
    """CRC-8 SAE J1850 polynomial, register from 0, no final XOR: what E2E Profile 1 chains."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1D) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def protect(data: bytearray, data_id: int, counter: int) -> bytes:
    data[1] = (data[1] & 0xF0) | counter
    data[0] = crc8_j1850(bytes([data_id & 0xFF, data_id >> 8]) + bytes(data[1:]))
    return bytes(data)


class Motor:
    """Reference IPMSM, speed held, explicit Euler in sub-steps (Double)."""

    p, r, ld, lq, psi = 4, 0.010, 0.20e-3, 0.45e-3, 0.065

    def __init__(self, speed_rpm):
        self.id = self.iq = self.angle = 0.0
        self.speed = speed_rpm * math.pi / 30

    @property
    def torque(self):
        return 1.5 * self.p * self.iq * (self.psi + (self.ld - self.lq) * self.id)

    def sample(self):
        th = self.p * self.angle
        alpha = math.cos(th) * self.id - math.sin(th) * self.iq
        beta = math.sin(th) * self.id + math.cos(th) * self.iq
        a, b = alpha, -0.5 * alpha + 0.5 * math.sqrt(3) * beta
        def counts(i):
            return min(max(round(i / 0.25 + 2048), 0), 4095)

        angle = int((self.angle / (2 * math.pi)) % 1.0 * 65536) & 0xFFFF
        return counts(a), counts(b), 1750, angle, 650, 650

    def apply(self, mode, duties, substeps=5):
        if mode == cosim.POWER_STAGE_OFF:
            self.id = self.iq = 0.0
        valpha = vbeta = 0.0
        if mode == cosim.POWER_STAGE_MODULATING:
            mean = sum(duties) / 3
            va, vb = (duties[0] - mean) * 350, (duties[1] - mean) * 350
            valpha, vbeta = va, (va + 2 * vb) / math.sqrt(3)
        h = PERIOD_S / substeps
        w = self.p * self.speed
        for _ in range(substeps):
            if mode != cosim.POWER_STAGE_OFF:
                th = self.p * self.angle
                vd = math.cos(th) * valpha + math.sin(th) * vbeta
                vq = -math.sin(th) * valpha + math.cos(th) * vbeta
                did = (vd - self.r * self.id + w * self.lq * self.iq) / self.ld
                diq = (vq - self.r * self.iq - w * (self.ld * self.id + self.psi)) / self.lq
                self.id += h * did
                self.iq += h * diq
            self.angle += h * self.speed


def test_inverter_runs_in_the_hil_loop_and_delivers_the_requested_torque(tmp_path):
    db = cantools.database.load_file(str(DBC))
    vcu = db.get_message_by_name("VCU_TorqueRequest")
    bms = db.get_message_by_name("BMS_Limits")
    status = db.get_message_by_name("INV_Status")
    motor = Motor(SPEED_RPM)
    vcu_counter = bms_counter = 0
    status_periods = []
    running_at = None
    log = tmp_path / "inverter.log"
    with EcuLink("inverter", FIRMWARE / "inverter.elf", log) as link:
        for k in range(PERIODS):
            frames = []
            if k % 200 == 7:
                data = bytearray(vcu.encode({
                    "VCU_TorqueRequest_CRC": 0, "VCU_TorqueRequest_Counter": 0,
                    "VCU_ControlMode": 0, "VCU_Enable": 1, "VCU_TorqueRequest": TORQUE_NM,
                    "VCU_SpeedRequest": 0, "VCU_KeyState": 2}))
                frames.append(cosim.CanFrame(vcu.frame_id, protect(data, 0x0101, vcu_counter)))
                vcu_counter = (vcu_counter + 1) % 15
            if k % 2000 == 13:
                data = bytearray(bms.encode({
                    "BMS_Limits_CRC": 0, "BMS_Limits_Counter": 0,
                    "BMS_ChargeCurrentLimit": 300, "BMS_DischargeCurrentLimit": 500,
                    "BMS_ChargePowerLimit": 150, "BMS_DischargePowerLimit": 200}))
                frames.append(cosim.CanFrame(bms.frame_id, protect(data, 0x0302, bms_counter)))
                bms_counter = (bms_counter + 1) % 15
            reply = cosim.parse_actuation(
                link.exchange(cosim.inverter_sample(k, *motor.sample(), frames)),
                cosim.INVERTER_ACTUATION, k)
            assert reply.status == 0
            motor.apply(reply.mode, reply.duties)
            if running_at is None and reply.telemetry[8] == 3:
                running_at = k
            for frame in reply.can:
                if frame.id == status.frame_id:
                    status_periods.append(k)
                    last_status = status.decode(frame.data, decode_choices=False)
        telemetry = reply.telemetry
        assert link.close() == 0
    console = log.read_text(errors="replace")
    assert running_at is not None and running_at * PERIOD_S < 0.06, console
    assert abs(motor.torque - TORQUE_NM) <= 0.02 * 160
    assert abs(telemetry[5] - TORQUE_NM) <= 0.02 * 160  # torque estimated by the ECU
    assert abs(telemetry[6] - SPEED_RPM) <= 5
    assert telemetry[9] == 0 and telemetry[13] == 0
    gaps = {b - a for a, b in zip(status_periods, status_periods[1:])}
    assert gaps == {200}, gaps
    assert last_status["INV_State"] == 4  # Running
    assert abs(last_status["INV_Speed"] - SPEED_RPM) <= 5
    stack = re.search(r"stack (\d+) of (\d+) bytes", console)
    assert stack and int(stack.group(1)) < int(stack.group(2)), console
