"""Shared helpers for the QEMU integration tests: run a firmware image and collect what it
printed and how it exited. Every run gets its own QEMU process with no network ports, so the
tests are safe to run in parallel."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "build" / "firmware"
BOARD = "mps2-an386"


@dataclass
class Run:
    exit_code: int
    console: str  # UART0
    semihosting: str  # the semihosting console (QEMU's stderr)


def run_image(name: str, *arguments: str, timeout: float = 60, icount: int = 4) -> Run:
    elf = FIRMWARE / f"{name}.elf"
    if not elf.exists():
        pytest.fail(f"{elf} is missing: run `make firmware` first")
    semihosting_args = ",".join(f"arg={a}" for a in (name, *arguments))
    command = [
        "qemu-system-arm", "-machine", BOARD, "-display", "none", "-monitor", "none",
        "-serial", "stdio", "-icount", f"shift={icount},sleep=off",
        "-semihosting-config", f"enable=on,target=native,{semihosting_args}",
        "-kernel", str(elf),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode(errors="replace")
        pytest.fail(f"{name} did not exit within {timeout} s; console so far:\n{output}")
    return Run(done.returncode, done.stdout.decode(errors="replace"),
               done.stderr.decode(errors="replace"))


def symbol_at(elf: Path, address: int) -> str:
    """The function containing `address`, demangled."""
    out = subprocess.run(["arm-none-eabi-addr2line", "-f", "-e", str(elf), hex(address)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return subprocess.run(["swift", "demangle", "--simplified", out[0]],
                          capture_output=True, text=True, check=True).stdout.strip()


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a closed-loop run of minutes (still in make test)")
