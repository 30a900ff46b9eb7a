"""The simulated vehicle CAN bus: frames between the ECUs, the vehicle controller model and
outside tools, delivered at control-period boundaries so that runs are deterministic.

A frame sent in period k reaches every other node at the start of its next period. The bus
is shown to real tools two ways: python-can's in-process `virtual` interface (a channel name)
and an SLCAN-over-TCP endpoint that python-can's `slcan` interface can open as
`socket://127.0.0.1:PORT`. Every frame is written to a CAN log through `can.Logger`."""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import can

from .cosim import CanFrame


@dataclass
class BusStats:
    delivered: int = 0
    from_tools: int = 0
    malformed_from_tools: int = 0
    queue_overflows: int = 0


class VehicleBus:
    """Routes frames between named nodes. Each node has a receive queue; `send` queues a frame
    for every other node and for the outside tools."""

    QUEUE_LIMIT = 4096

    def __init__(self, nodes: tuple[str, ...], log_path: Path | None = None,
                 virtual_channel: str | None = None):
        self.queues: dict[str, deque[CanFrame]] = {name: deque() for name in nodes}
        self.stats = BusStats()
        self.time_s = 0.0
        self._logger = can.Logger(str(log_path)) if log_path else None
        self._virtual = (can.Bus(interface="virtual", channel=virtual_channel,
                                 receive_own_messages=False)
                         if virtual_channel else None)
        self._slcan: SlcanServer | None = None
        self._tool_inbox: deque[CanFrame] = deque()

    def attach_slcan(self, port: int, host: str = "127.0.0.1") -> "SlcanServer":
        self._slcan = SlcanServer(host, port, self._tool_inbox)
        return self._slcan

    def send(self, sender: str, frame: CanFrame) -> None:
        for name, queue in self.queues.items():
            if name != sender:
                if len(queue) >= self.QUEUE_LIMIT:
                    self.stats.queue_overflows += 1
                    continue
                queue.append(frame)
        self.stats.delivered += 1
        self._publish(frame, sender)

    def take(self, node: str, limit: int) -> list[CanFrame]:
        queue = self.queues[node]
        out = []
        while queue and len(out) < limit:
            out.append(queue.popleft())
        return out

    def poll_tools(self) -> None:
        """Brings frames from outside tools onto the bus (at a period boundary)."""
        if self._virtual is not None:
            while (msg := self._virtual.recv(timeout=0)) is not None:
                self._tool_inbox.append(CanFrame(msg.arbitration_id, bytes(msg.data),
                                                 msg.is_extended_id))
        while self._tool_inbox:
            frame = self._tool_inbox.popleft()
            self.stats.from_tools += 1
            for queue in self.queues.values():
                queue.append(frame)
            self._publish(frame, "tool", to_tools=False)
        if self._slcan is not None:
            self.stats.malformed_from_tools = self._slcan.malformed

    def _publish(self, frame: CanFrame, sender: str, to_tools: bool = True) -> None:
        message = can.Message(timestamp=self.time_s, arbitration_id=frame.id,
                              is_extended_id=frame.extended, data=frame.data,
                              channel=sender)
        if self._logger is not None:
            self._logger.on_message_received(message)
        if to_tools:
            if self._virtual is not None:
                self._virtual.send(message)
            if self._slcan is not None:
                self._slcan.broadcast(frame)

    def close(self) -> None:
        if self._logger is not None:
            self._logger.stop()
            self._logger = None
        if self._virtual is not None:
            self._virtual.shutdown()
            self._virtual = None
        if self._slcan is not None:
            self._slcan.close()
            self._slcan = None


def slcan_encode(frame: CanFrame) -> bytes:
    if frame.extended:
        head = f"T{frame.id:08X}{len(frame.data)}"
    else:
        head = f"t{frame.id:03X}{len(frame.data)}"
    return (head + frame.data.hex().upper() + "\r").encode()


def slcan_decode(line: str) -> CanFrame | None:
    """A `t`/`T` data frame from an SLCAN line, or None when the line is not one. Raises
    ValueError naming the problem for a malformed frame."""
    if not line or line[0] not in "tT":
        return None
    extended = line[0] == "T"
    id_len = 8 if extended else 3
    if len(line) < 1 + id_len + 1:
        raise ValueError(f"SLCAN frame {line!r} too short")
    can_id = int(line[1:1 + id_len], 16)
    length = int(line[1 + id_len], 16)
    data_hex = line[2 + id_len:]
    if length > 8 or len(data_hex) != 2 * length:
        raise ValueError(f"SLCAN frame {line!r}: length {length} does not match its data")
    if can_id > (0x1FFF_FFFF if extended else 0x7FF):
        raise ValueError(f"SLCAN frame {line!r}: identifier out of range")
    return CanFrame(can_id, bytes.fromhex(data_hex), extended)


class SlcanServer:
    """Lawicel SLCAN over TCP for python-can's `slcan` interface: answers commands with CR,
    forwards `t`/`T` frames onto the bus and sends every bus frame to each client. Malformed
    lines are answered with BEL and counted."""

    def __init__(self, host: str, port: int, inbox: deque[CanFrame]):
        self._inbox = inbox
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self.malformed = 0
        self._listener = socket.create_server((host, port), reuse_port=False)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._accept, name="slcan-accept", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._clients.append(client)
            threading.Thread(target=self._serve, args=(client,), name="slcan-client",
                             daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        buffer = b""
        try:
            while not self._closing:
                chunk = client.recv(4096)
                if not chunk:
                    break
                buffer += chunk
                while b"\r" in buffer:
                    raw, buffer = buffer.split(b"\r", 1)
                    self._answer(client, raw.decode(errors="replace").strip())
        except OSError:
            pass
        finally:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
            client.close()

    def _answer(self, client: socket.socket, line: str) -> None:
        try:
            frame = slcan_decode(line)
        except ValueError:
            self.malformed += 1
            client.sendall(b"\a")
            return
        if frame is not None:
            self._inbox.append(frame)
            client.sendall(b"z\r" if not frame.extended else b"Z\r")
        else:
            client.sendall(b"\r")  # O, C, S6, V, F ...: acknowledged

    def broadcast(self, frame: CanFrame) -> None:
        data = slcan_encode(frame)
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        self._closing = True
        self._listener.close()
        with self._lock:
            for client in self._clients:
                try:
                    client.close()
                except OSError:
                    pass
            self._clients.clear()
        self._thread.join(timeout=1.0)
