"""DC link: the inverter's capacitor, the three high-voltage contactors and the precharge path.

    pack (+) --[positive main]---------+---- link (+) --- C_link --- bleed R --- inverter
             --[precharge relay]-[R_pre]-+
    pack (-) --[negative main]-------------- link (-)

The pack is seen as its Thevenin equivalent (EMF and series resistance, refreshed by the pack
model every millisecond). With a closed path, the link node is a linear RC circuit driven by a
constant load current over one step, so it is solved exactly (the main path with the pack's
~0.1 Ω gives a 0.1 ms time constant, stiff for explicit integration at 50 µs).

Contactors close and open after a mechanical delay; the auxiliary-contact feedback follows the
real contact. A welded contactor, once closed, stays closed whatever the command; a stuck-open
one never closes. The link voltage cannot go below zero (the inverter's diodes clamp it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CONTACTOR_NAMES = ("negative_main", "positive_main", "precharge")


@dataclass
class DcLinkParams:
    capacitance_F: float = 1.0e-3
    precharge_resistance_ohm: float = 50.0
    # Both main contactors, fuse and busbars in the closed main path.
    main_path_resistance_ohm: float = 1.0e-3
    # Passive discharge resistor across the capacitor.
    bleed_resistance_ohm: float = 50.0e3
    contactor_close_time_s: float = 0.020
    contactor_open_time_s: float = 0.010

    def validate(self) -> None:
        for name in ("capacitance_F", "precharge_resistance_ohm", "main_path_resistance_ohm",
                     "bleed_resistance_ohm"):
            if getattr(self, name) <= 0.0:
                raise ValueError(f"{name} must be > 0")
        for name in ("contactor_close_time_s", "contactor_open_time_s"):
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0")


class Contactor:
    __slots__ = ("name", "commanded", "closed", "welded", "stuck_open", "_timer_s",
                 "_close_s", "_open_s")

    def __init__(self, name: str, close_time_s: float, open_time_s: float) -> None:
        self.name = name
        self.commanded = False
        self.closed = False
        self.welded = False
        self.stuck_open = False
        self._timer_s = 0.0
        self._close_s = close_time_s
        self._open_s = open_time_s

    @property
    def feedback(self) -> bool:
        return self.closed

    def step(self, dt_s: float) -> None:
        target = self.commanded
        if self.welded and self.closed:
            target = True
        if self.stuck_open:
            target = False
        if target == self.closed:
            self._timer_s = 0.0
            return
        self._timer_s += dt_s
        if self._timer_s >= (self._close_s if target else self._open_s) - 1e-12:
            self.closed = target
            self._timer_s = 0.0


class DcLink:
    """State v_link_V. After `step`: battery_current_A (pack side, positive = discharge),
    precharge_current_A, main_current_A (averages over the step), pack_terminal_V."""

    __slots__ = ("p", "v_link_V", "negative_main", "positive_main", "precharge",
                 "battery_current_A", "precharge_current_A", "main_current_A", "pack_terminal_V")

    def __init__(self, params: DcLinkParams | None = None, v_link_V: float = 0.0) -> None:
        self.p = params or DcLinkParams()
        self.p.validate()
        self.v_link_V = float(v_link_V)
        cl, op = self.p.contactor_close_time_s, self.p.contactor_open_time_s
        self.negative_main = Contactor("negative_main", cl, op)
        self.positive_main = Contactor("positive_main", cl, op)
        self.precharge = Contactor("precharge", cl, op)
        self.battery_current_A = 0.0
        self.precharge_current_A = 0.0
        self.main_current_A = 0.0
        self.pack_terminal_V = 0.0

    def contactor(self, name: str) -> Contactor:
        if name not in CONTACTOR_NAMES:
            raise ValueError(f"unknown contactor {name!r}; expected one of {CONTACTOR_NAMES}")
        return getattr(self, name)

    def command(self, negative_main: bool, positive_main: bool, precharge: bool) -> None:
        self.negative_main.commanded = bool(negative_main)
        self.positive_main.commanded = bool(positive_main)
        self.precharge.commanded = bool(precharge)

    def feedback(self) -> tuple[bool, bool, bool]:
        return self.negative_main.closed, self.positive_main.closed, self.precharge.closed

    def step(self, pack_emf_V: float, pack_resistance_ohm: float, load_current_A: float,
             dt_s: float) -> None:
        self.negative_main.step(dt_s)
        self.positive_main.step(dt_s)
        self.precharge.step(dt_s)
        p = self.p
        g_main = 1.0 / p.main_path_resistance_ohm if self.positive_main.closed else 0.0
        g_pre = 1.0 / p.precharge_resistance_ohm if self.precharge.closed else 0.0
        g_path = g_main + g_pre
        c = p.capacitance_F
        g_bleed = 1.0 / p.bleed_resistance_ohm
        v0 = self.v_link_V
        if self.negative_main.closed and g_path > 0.0:
            g = 1.0 / (pack_resistance_ohm + 1.0 / g_path)
            g_all = g + g_bleed
            v_inf = (g * pack_emf_V - load_current_A) / g_all
            tau = c / g_all
            x = dt_s / tau
            decay = math.exp(-x)
            v1 = v_inf + (v0 - v_inf) * decay
            # Mean of the exponential over the step (for the charge that crossed the path).
            v_avg = v_inf + (v0 - v_inf) * ((1.0 - decay) / x if x > 1e-9 else 1.0)
            i_bat = g * (pack_emf_V - v_avg)
            self.main_current_A = i_bat * g_main / g_path
            self.precharge_current_A = i_bat * g_pre / g_path
        else:
            v1 = v0 - dt_s * (load_current_A + v0 * g_bleed) / c
            i_bat = 0.0
            self.main_current_A = self.precharge_current_A = 0.0
        self.v_link_V = v1 if v1 > 0.0 else 0.0
        self.battery_current_A = i_bat
        self.pack_terminal_V = pack_emf_V - pack_resistance_ohm * i_bat
