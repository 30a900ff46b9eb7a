"""One ECU image on its own QEMU, linked to the rig by two FIFOs that the firmware reads and
writes with semihosting (docs/cosim-protocol.md). The vCPU blocks inside each semihosting call,
so the ECU's virtual time stands still while the rig steps the plant: with -icount the run is
deterministic. Nothing here waits without a time limit, and everything it creates (QEMU, FIFOs,
temporary directory) is removed on close, on error and on Ctrl-C."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from . import cosim

BOARD = "mps2-an386"


class LinkError(RuntimeError):
    """The link to an ECU failed; the message names the ECU and the cause, with the tail of
    its console."""


class EcuLink:
    def __init__(self, name: str, elf: Path, console_log: Path, *, icount_shift: int = 0,
                 timeout_s: float = 20.0, extra_args: tuple[str, ...] = ()):
        if not elf.exists():
            raise LinkError(f"{name}: firmware image {elf} does not exist (run `make firmware`)")
        self.name = name
        self.elf = elf
        self.console_log = console_log
        self.icount_shift = icount_shift
        self.timeout_s = timeout_s
        self.extra_args = extra_args
        self._dir: Path | None = None
        self._qemu: subprocess.Popen | None = None
        self._to_ecu: int | None = None
        self._from_ecu: int | None = None
        self._pending = b""

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "EcuLink":
        self._dir = Path(tempfile.mkdtemp(prefix=f"kairo-{self.name}-"))
        prefix = self._dir / self.name
        os.mkfifo(f"{prefix}.in")
        os.mkfifo(f"{prefix}.out")
        args = ",".join(f"arg={a}" for a in (self.name, f"cosim={prefix}", *self.extra_args))
        command = ["qemu-system-arm", "-machine", BOARD, "-display", "none", "-monitor", "none",
                   "-serial", "stdio",
                   *(["-icount", f"shift={self.icount_shift},sleep=off"]
                     if self.icount_shift is not None else []),
                   "-semihosting-config", f"enable=on,target=native,{args}",
                   "-kernel", str(self.elf)]
        self.console_log.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.console_log, "wb")
        # Own process group: Ctrl-C in the terminal reaches the rig, which then stops QEMU.
        self._qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._to_ecu = self._open_writer(f"{prefix}.in")
        os.set_blocking(self._to_ecu, True)
        self._from_ecu = os.open(f"{prefix}.out", os.O_RDONLY | os.O_NONBLOCK)
        return self

    def _open_writer(self, path: str) -> int:
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: the firmware has not opened its end yet
                self._check_alive("opening the link")
                if time.monotonic() > deadline:
                    raise self._error(f"did not open the link within {self.timeout_s} s")
                time.sleep(0.002)

    def close(self) -> int:
        """Closes the link (the firmware sees end of stream and exits) and returns QEMU's exit
        code; kills QEMU if it does not exit in time."""
        code = -1
        if self._to_ecu is not None:
            os.close(self._to_ecu)
            self._to_ecu = None
        if self._qemu is not None:
            try:
                code = self._qemu.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
                code = -signal.SIGKILL
            self._qemu = None
        self._cleanup()
        return code

    def kill(self) -> None:
        if self._qemu is not None and self._qemu.poll() is None:
            os.killpg(self._qemu.pid, signal.SIGKILL)
            self._qemu.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        for fd_name in ("_to_ecu", "_from_ecu"):
            fd = getattr(self, fd_name)
            if fd is not None:
                os.close(fd)
                setattr(self, fd_name, None)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> "EcuLink":
        return self.start()

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.kill()

    # -- exchange ---------------------------------------------------------------------------

    def send(self, frame: bytes) -> None:
        try:
            os.write(self._to_ecu, frame)
        except BrokenPipeError:
            raise self._error("closed its end of the link") from None

    def receive(self) -> bytes:
        header = self._read(cosim.HEADER_SIZE)
        try:
            rest = cosim.frame_length(header)
        except cosim.FrameError as error:
            raise self._error(str(error)) from None
        return header + self._read(rest)

    def exchange(self, frame: bytes) -> bytes:
        self.send(frame)
        return self.receive()

    def _read(self, count: int) -> bytes:
        while len(self._pending) < count:
            ready, _, _ = select.select([self._from_ecu], [], [], self.timeout_s)
            if not ready:
                self._check_alive("waiting for a frame")
                raise self._error(f"sent no frame within {self.timeout_s} s")
            chunk = os.read(self._from_ecu, 65536)
            if not chunk:
                self._check_alive("waiting for a frame")
                # Writer not connected yet, or gone: wait briefly and look again.
                time.sleep(0.001)
                continue
            self._pending += chunk
        data, self._pending = self._pending[:count], self._pending[count:]
        return data

    # -- diagnostics ------------------------------------------------------------------------

    def _check_alive(self, doing: str) -> None:
        if self._qemu is not None and self._qemu.poll() is not None:
            raise self._error(f"QEMU exited with code {self._qemu.returncode} while {doing}")

    def console_tail(self, lines: int = 15) -> str:
        try:
            text = self.console_log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _error(self, what: str) -> LinkError:
        return LinkError(f"{self.name}: {what}\n--- {self.name} console (last lines) ---\n"
                         f"{self.console_tail()}")
