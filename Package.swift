// swift-tools-version: 6.2
// Host build of Kairo's portable floors (logic and ECU wiring) and their tests. The firmware
// build compiles the same Sources/ folders for Cortex-M with the Makefile.
import PackageDescription

/// Floor-1 and floor-2 modules, in dependency order: (name, dependencies).
let modules: [(name: String, dependencies: [String])] = [
  ("Platform", []),
  ("ControlMath", []),
  ("MotorControl", ["Platform", "ControlMath"]),
  ("BatteryManagement", ["Platform", "ControlMath"]),
  ("Scheduling", ["Platform"]),
  ("CoSimulation", ["Platform", "ControlMath"]),
  ("VehicleNetwork", ["Platform", "ControlMath"]),
  ("InverterApp", ["Platform", "Scheduling", "ControlMath", "MotorControl", "VehicleNetwork"]),
  ("BatteryApp", ["Platform", "ControlMath", "Scheduling", "BatteryManagement", "VehicleNetwork"]),
]

let package = Package(
  name: "Kairo",
  products: modules.map { .library(name: $0.name, targets: [$0.name]) },
  targets: modules.map { module in
    .target(
      name: module.name,
      dependencies: module.dependencies.map { .target(name: $0) },
      swiftSettings: [.enableExperimentalFeature("Extern")]
    )
  }
    + modules.map { module in
      .testTarget(name: "\(module.name)Tests", dependencies: [.target(name: module.name)])
    }
)

// Host-only cross-check tool (not firmware, hence not in `modules`): decodes and re-encodes
// the cantools-generated vectors of Tests/Integration/test_dbc_codec.py with the firmware
// codec.
package.targets.append(
  .executableTarget(
    name: "CANVectorCheck",
    dependencies: [.target(name: "VehicleNetwork"), .target(name: "Platform")],
    // ControlMath's Float.squareRoot() calls sqrtf; test bundles get libm through XCTest, a
    // plain executable must ask for it.
    linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))])
)
