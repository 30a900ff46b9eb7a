"""The co-simulation frame format, rig side (docs/cosim-protocol.md; the firmware side is
Sources/CoSimulation). One sample frame to an ECU and one actuation frame back per period."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

MAGIC = b"KC"
VERSION = 1
HEADER = struct.Struct("<2sBBHHI")  # magic, version, kind, payload length, reserved, sequence
HEADER_SIZE = HEADER.size
CRC_SIZE = 4
MAX_FRAME_SIZE = 512
MAX_PAYLOAD = MAX_FRAME_SIZE - HEADER_SIZE - CRC_SIZE
MAX_CAN_FRAMES = 8
TELEMETRY_COUNT = 16
CAN_RECORD = struct.Struct("<IBB8s")

INVERTER_SAMPLE = 0x01
BATTERY_SAMPLE = 0x02
INVERTER_ACTUATION = 0x81
BATTERY_ACTUATION = 0x82

STATUS_SAMPLE_REJECTED = 0x01

POWER_STAGE_OFF, POWER_STAGE_MODULATING, POWER_STAGE_ASC = 0, 1, 2


class FrameError(Exception):
    """A frame from the firmware that is not what the protocol says; the message names it."""


@dataclass(frozen=True)
class CanFrame:
    id: int
    data: bytes
    extended: bool = False

    def record(self) -> bytes:
        if len(self.data) > 8:
            raise FrameError(f"CAN frame 0x{self.id:X} has {len(self.data)} data bytes (max 8)")
        return CAN_RECORD.pack(self.id | (0x8000_0000 if self.extended else 0), len(self.data),
                               0, self.data.ljust(8, b"\0"))


def seal(kind: int, sequence: int, payload: bytes) -> bytes:
    """A complete frame: header, payload and CRC-32/ISO-HDLC (zlib's crc32)."""
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(MAGIC, VERSION, kind, len(payload), 0, sequence & 0xFFFF_FFFF) + payload
    return body + struct.pack("<I", zlib.crc32(body))


def can_block(frames: list[CanFrame]) -> bytes:
    if len(frames) > MAX_CAN_FRAMES:
        raise FrameError(f"{len(frames)} CAN frames in one period (max {MAX_CAN_FRAMES})")
    return struct.pack("<B3x", len(frames)) + b"".join(f.record() for f in frames)


def parse_can_block(block: bytes) -> list[CanFrame]:
    if len(block) < 4:
        raise FrameError("CAN block shorter than its count field")
    count = block[0]
    if count > MAX_CAN_FRAMES or len(block) != 4 + count * CAN_RECORD.size:
        raise FrameError(f"CAN block of {len(block)} bytes does not hold {count} records")
    frames = []
    for i in range(count):
        raw_id, length, _, data = CAN_RECORD.unpack_from(block, 4 + i * CAN_RECORD.size)
        if length > 8:
            raise FrameError(f"CAN record {i} has length {length}")
        frames.append(CanFrame(raw_id & 0x7FFF_FFFF, data[:length], bool(raw_id >> 31)))
    return frames


INVERTER_SAMPLE_FIXED = struct.Struct("<6H")


def inverter_sample(sequence: int, phase_a: int, phase_b: int, dc_link: int, angle: int,
                    inverter_temp: int, motor_temp: int, can: list[CanFrame]) -> bytes:
    """Board conventions: 12-bit counts (phase current 2048 = 0 A, 0.25 A/count; DC link
    0.2 V/count; temperatures (counts x 0.1 - 40) degC), angle 0..65535 per mechanical turn."""
    payload = INVERTER_SAMPLE_FIXED.pack(phase_a, phase_b, dc_link, angle, inverter_temp,
                                         motor_temp) + can_block(can)
    return seal(INVERTER_SAMPLE, sequence, payload)


BATTERY_SAMPLE_FIXED = struct.Struct("<BBxxiHHBxxx3I")


def battery_sample(sequence: int, cell_mv: list[int], temps_dc: list[int], current_ma: int,
                   pack_dv: int, link_dv: int, feedback_bits: int, open_wire: list[int],
                   can: list[CanFrame]) -> bytes:
    masks = [0, 0, 0]
    for cell in open_wire:
        masks[cell // 32] |= 1 << (cell % 32)
    payload = (BATTERY_SAMPLE_FIXED.pack(len(cell_mv), len(temps_dc), current_ma, pack_dv,
                                         link_dv, feedback_bits, *masks)
               + struct.pack(f"<{len(cell_mv)}H{len(temps_dc)}h", *cell_mv, *temps_dc)
               + can_block(can))
    return seal(BATTERY_SAMPLE, sequence, payload)


@dataclass
class Actuation:
    sequence: int
    status: int
    telemetry: tuple[float, ...]
    can: list[CanFrame] = field(default_factory=list)
    # inverter
    mode: int = POWER_STAGE_OFF
    duties: tuple[float, float, float] = (0.5, 0.5, 0.5)
    # battery
    contactor_bits: int = 0
    balancing: tuple[int, int, int] = (0, 0, 0)


ACTUATION_FIXED = struct.Struct(f"<BBxx3f{TELEMETRY_COUNT}f")
BATTERY_ACTUATION_FIXED = struct.Struct(f"<BBxx3I{TELEMETRY_COUNT}f")


def parse_actuation(frame: bytes, expected_kind: int, expected_sequence: int) -> Actuation:
    """Checks and decodes an actuation frame; raises FrameError naming what is wrong."""
    if len(frame) < HEADER_SIZE + CRC_SIZE:
        raise FrameError(f"frame of {len(frame)} bytes is shorter than header and CRC")
    magic, version, kind, length, _, sequence = HEADER.unpack_from(frame)
    if magic != MAGIC:
        raise FrameError(f"bad magic {magic!r}")
    if version != VERSION:
        raise FrameError(f"unsupported version {version}")
    if len(frame) != HEADER_SIZE + length + CRC_SIZE:
        raise FrameError(f"length field {length} does not match frame size {len(frame)}")
    (crc,) = struct.unpack_from("<I", frame, len(frame) - CRC_SIZE)
    if zlib.crc32(frame[:-CRC_SIZE]) != crc:
        raise FrameError("checksum mismatch")
    if kind != expected_kind:
        raise FrameError(f"kind 0x{kind:02X}, expected 0x{expected_kind:02X}")
    if sequence != expected_sequence & 0xFFFF_FFFF:
        raise FrameError(f"sequence {sequence}, expected {expected_sequence}")
    payload = frame[HEADER_SIZE:-CRC_SIZE]
    if kind == INVERTER_ACTUATION:
        mode, status, *rest = ACTUATION_FIXED.unpack_from(payload)
        can = parse_can_block(payload[ACTUATION_FIXED.size:])
        return Actuation(sequence, status, tuple(rest[3:]), can, mode=mode,
                         duties=tuple(rest[:3]))
    bits, status, *rest = BATTERY_ACTUATION_FIXED.unpack_from(payload)
    can = parse_can_block(payload[BATTERY_ACTUATION_FIXED.size:])
    return Actuation(sequence, status, tuple(rest[3:]), can, contactor_bits=bits,
                     balancing=tuple(rest[:3]))


def frame_length(header: bytes) -> int:
    """Bytes that follow a 12-byte header (payload and CRC)."""
    magic, version, _, length, _, _ = HEADER.unpack(header)
    if magic != MAGIC or version != VERSION or length > MAX_PAYLOAD:
        raise FrameError(f"bad header {header.hex()}")
    return length + CRC_SIZE
