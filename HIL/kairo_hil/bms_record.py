"""The BMS's persistent record (BatteryManagement's `BatteryRecordStore`), rig side: a store
image the rig puts in the BMS's host store file before the first boot, so a battery run can
start with the record a previous drive would have left (for instance an SOC that no longer
matches the pack: the BMS restores it with σ = 5 % and must converge from there).

Format (little endian): slot of 128 bytes, two slots; record = magic "KB" (u16 0x424B),
version u8 1, payload length u8, sequence u32, payload (SOC f32 0..1, capacity Ah f32,
resistance ratio f32, discharge throughput Ah f32, equivalent full cycles u32, contactor
openings under load u32, operating time s u32, fault-log count u8, reserved u8, 8 × (code u8,
operating time s u32)), CRC-32/ISO-HDLC over everything before it.
"""

from __future__ import annotations

import struct
import zlib

STORE_SIZE = 256  # Board/mps2-an386: KAIRO_RETAINED_STORE_SIZE
SLOT_SIZE = 128
MAGIC, VERSION = 0x424B, 1
FAULT_LOG_CAPACITY = 8
PAYLOAD_SIZE = 4 * 7 + 2 + FAULT_LOG_CAPACITY * 5


def encode_record(soc: float, capacity_Ah: float, resistance_ratio: float = 1.0,
                  sequence: int = 1, throughput_Ah: float = 0.0, cycles: int = 0,
                  opened_under_load: int = 0, operating_s: int = 0) -> bytes:
    body = struct.pack("<HBBIffffIIIBB", MAGIC, VERSION, PAYLOAD_SIZE, sequence, soc,
                       capacity_Ah, resistance_ratio, throughput_Ah, cycles, opened_under_load,
                       operating_s, 0, 0) + bytes(FAULT_LOG_CAPACITY * 5)
    return body + struct.pack("<I", zlib.crc32(body))


def decode_record(record: bytes) -> dict[str, float] | None:
    """The fields of one slot, or None when it holds no valid record."""
    n = 8 + PAYLOAD_SIZE
    if len(record) < n + 4:
        return None
    magic, version, length, seq, soc, cap, res = struct.unpack_from("<HBBIfff", record)
    if (magic, version, length) != (MAGIC, VERSION, PAYLOAD_SIZE):
        return None
    if struct.unpack_from("<I", record, n)[0] != zlib.crc32(record[:n]):
        return None
    return {"sequence": seq, "soc": soc, "capacity_Ah": cap, "resistance_ratio": res}


def store_image(soc: float, capacity_Ah: float, resistance_ratio: float = 1.0) -> bytes:
    """The 256-byte store with one record in slot 0 and an empty slot 1."""
    rec = encode_record(soc, capacity_Ah, resistance_ratio)
    return rec + bytes(STORE_SIZE - len(rec))


def newest_record(image: bytes) -> dict[str, float] | None:
    slots = [decode_record(image[i * SLOT_SIZE:(i + 1) * SLOT_SIZE]) for i in range(2)]
    valid = [s for s in slots if s is not None]
    if not valid:
        return None
    if len(valid) == 1:
        return valid[0]
    a, b = valid
    newer_b = ((b["sequence"] - a["sequence"]) & 0xFFFFFFFF) - (1 << 32 if (
        (b["sequence"] - a["sequence"]) & 0x80000000) else 0) > 0
    return b if newer_b else a
