"""The vehicle network as the rig's vehicle controller sees it: the DBC (Network/kairo.dbc,
the single source of truth), AUTOSAR E2E Profile 1 protection for the messages that carry it,
and decoding of the ECUs' status frames."""

from __future__ import annotations

import math
from pathlib import Path

import cantools

from .cosim import CanFrame

DEFAULT_DBC = Path(__file__).resolve().parents[2] / "Network" / "kairo.dbc"

TORQUE_REQUEST_ID = 0x101
INV_STATUS_ID = 0x181
INV_STATUS2_ID = 0x182
BMS_STATUS_ID = 0x301
BMS_LIMITS_ID = 0x302

KEY_OFF, KEY_RUN = 0, 2


def crc8_sae_j1850(data: bytes, register: int) -> int:
    for byte in data:
        register ^= byte
        for _ in range(8):
            register = (register << 1) ^ 0x1D if register & 0x80 else register << 1
            register &= 0xFF
    return register


def e2e_profile1_crc(payload: bytes, data_id: int) -> int:
    """Profile 1, DataIDMode BOTH, as the firmware computes it (E2EProtection.swift): register
    from 0x00 over data ID low, high, then bytes 1.. of the payload; no final XOR."""
    register = crc8_sae_j1850(bytes([data_id & 0xFF, data_id >> 8]), 0x00)
    return crc8_sae_j1850(payload[1:], register)


class E2EProtector:
    def __init__(self, data_id: int):
        self.data_id = data_id
        self.counter = 0

    def protect(self, payload: bytes) -> bytes:
        data = bytearray(payload)
        data[1] = (data[1] & 0xF0) | self.counter
        data[0] = e2e_profile1_crc(bytes(data), self.data_id)
        self.counter = (self.counter + 1) % 15
        return bytes(data)


class Network:
    def __init__(self, dbc: Path = DEFAULT_DBC):
        if not dbc.exists():
            raise FileNotFoundError(f"DBC file {dbc} not found")
        self.db = cantools.database.load_file(str(dbc), strict=True)
        self._torque = self.db.get_message_by_frame_id(TORQUE_REQUEST_ID)
        self._torque_e2e = E2EProtector(TORQUE_REQUEST_ID)
        self.inverter_status: dict[str, float] = {}
        self.bms_status: dict[str, float] = {}
        self.bms_limits: dict[str, float] = {}
        self.decode_errors = 0
        self.signals_out_of_range = 0
        self._dbc_ids = {m.frame_id for m in self.db.messages}

    def torque_request(self, torque_Nm: float, enable: bool, key_run: bool,
                       speed_rpm: float = 0.0, speed_mode: bool = False,
                       corrupt_crc: bool = False) -> CanFrame:
        limit = 400.0
        payload = self._torque.encode({
            "VCU_TorqueRequest_CRC": 0,
            "VCU_TorqueRequest_Counter": 0,
            "VCU_ControlMode": 1 if speed_mode else 0,
            "VCU_Enable": 1 if enable else 0,
            "VCU_TorqueRequest": max(-limit, min(limit, round(torque_Nm, 1))),
            "VCU_SpeedRequest": round(speed_rpm),
            "VCU_KeyState": KEY_RUN if key_run else KEY_OFF,
        }, strict=False)
        protected = self._torque_e2e.protect(payload)
        if corrupt_crc:
            protected = bytes([protected[0] ^ 0x5A]) + protected[1:]
        return CanFrame(TORQUE_REQUEST_ID, protected)

    def observe(self, frame: CanFrame) -> None:
        """Checks an ECU's frame against the DBC (it must decode, every signal within its
        minimum and maximum; diagnostic frames are not in the DBC and pass) and keeps the latest
        status of the ECUs for the vehicle controller."""
        if frame.extended or frame.id not in self._dbc_ids:
            return
        message = self.db.get_message_by_frame_id(frame.id)
        try:
            values = message.decode(frame.data, decode_choices=False, allow_truncated=False,
                                    allow_excess=False)
        except Exception:  # noqa: BLE001 - cantools raises several types for bad frames
            self.decode_errors += 1
            return
        for name, value in values.items():
            signal = message.get_signal_by_name(name)
            low = signal.minimum if signal.minimum is not None else -math.inf
            high = signal.maximum if signal.maximum is not None else math.inf
            if not low <= value <= high:
                self.signals_out_of_range += 1
        target = {INV_STATUS_ID: self.inverter_status, BMS_STATUS_ID: self.bms_status,
                  BMS_LIMITS_ID: self.bms_limits}.get(frame.id)
        if target is not None:
            target.update(values)
