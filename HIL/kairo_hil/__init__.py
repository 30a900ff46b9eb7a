"""Kairo hardware-in-the-loop rig: plant models, vehicle controller, scenarios and reports.

The lock-step link to the firmware (QEMU, co-simulation frames, CAN routing, the command line)
builds on these modules; everything here runs without firmware.
"""

from .plant import Plant, PlantParams
from .scenario import Scenario, ScenarioError, load_scenario
from .vehicle_controller import VcuCommand, VcuState, VehicleController

__all__ = ["Plant", "PlantParams", "Scenario", "ScenarioError", "load_scenario",
           "VcuCommand", "VcuState", "VehicleController"]
