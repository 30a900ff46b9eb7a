// swift-tools-version: 6.2
// Host build of Kairo's portable floors (logic and ECU wiring) and their tests. The firmware
// build compiles the same Sources/ folders for Cortex-M with the Makefile.
import PackageDescription

/// Floor-1 and floor-2 modules, in dependency order: (name, dependencies).
let modules: [(name: String, dependencies: [String])] = [
  ("Platform", []),
  ("ControlMath", []),
  ("BatteryManagement", ["Platform", "ControlMath"]),
  ("Scheduling", ["Platform"]),
  ("InverterApp", ["Platform", "Scheduling"]),
  ("BatteryApp", ["Platform", "Scheduling"]),
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
