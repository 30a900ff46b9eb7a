import _Volatile

// Memory-mapped registers of the MPS2 AN386 peripherals Kairo uses, named as in the Arm
// CMSDK and Cortex-M4 reference manuals. Every access goes through VolatileMappedRegister:
// one explicit load or store per call, never a C `volatile` struct (Swift ignores those).

/// A block of 32-bit registers at a fixed base address.
struct RegisterBlock {
  let base: UInt

  func register(_ offset: UInt) -> VolatileMappedRegister<UInt32> {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + offset)
  }
}

/// CMSDK APB UART (Arm DDI 0479, section 4.3).
struct CMSDKUART {
  let block: RegisterBlock
  var data: VolatileMappedRegister<UInt32> { block.register(0x000) }
  var state: VolatileMappedRegister<UInt32> { block.register(0x004) }
  var ctrl: VolatileMappedRegister<UInt32> { block.register(0x008) }
  var bauddiv: VolatileMappedRegister<UInt32> { block.register(0x010) }

  static let stateTXFull: UInt32 = 1 << 0
  static let stateRXFull: UInt32 = 1 << 1
  static let ctrlTXEnable: UInt32 = 1 << 0
  static let ctrlRXEnable: UInt32 = 1 << 1

  static let uart0 = CMSDKUART(block: RegisterBlock(base: 0x4000_4000))
}

/// CMSDK APB timer (Arm DDI 0479, section 4.4): a 32-bit down counter at the 25 MHz APB clock.
struct CMSDKTimer {
  let block: RegisterBlock
  var ctrl: VolatileMappedRegister<UInt32> { block.register(0x000) }
  var value: VolatileMappedRegister<UInt32> { block.register(0x004) }
  var reload: VolatileMappedRegister<UInt32> { block.register(0x008) }

  static let ctrlEnable: UInt32 = 1 << 0

  static let timer0 = CMSDKTimer(block: RegisterBlock(base: 0x4000_0000))
}

/// CMSDK APB watchdog (Arm DDI 0479, section 4.6; the SP805 programmer's model).
struct CMSDKWatchdog {
  let block: RegisterBlock
  var wdogload: VolatileMappedRegister<UInt32> { block.register(0x000) }
  var wdogvalue: VolatileMappedRegister<UInt32> { block.register(0x004) }
  var wdogcontrol: VolatileMappedRegister<UInt32> { block.register(0x008) }
  var wdogintclr: VolatileMappedRegister<UInt32> { block.register(0x00C) }
  var wdoglock: VolatileMappedRegister<UInt32> { block.register(0xC00) }

  static let controlINTEN: UInt32 = 1 << 0
  static let controlRESEN: UInt32 = 1 << 1
  static let unlockKey: UInt32 = 0x1ACC_E551

  static let wdog = CMSDKWatchdog(block: RegisterBlock(base: 0x4000_8000))
}

/// Cortex-M4 SysTick (Arm DDI 0403, B3.3).
struct SysTick {
  let block: RegisterBlock
  var csr: VolatileMappedRegister<UInt32> { block.register(0x0) }
  var rvr: VolatileMappedRegister<UInt32> { block.register(0x4) }
  var cvr: VolatileMappedRegister<UInt32> { block.register(0x8) }

  static let csrEnable: UInt32 = 1 << 0
  static let csrTickInt: UInt32 = 1 << 1
  static let csrClockSource: UInt32 = 1 << 2
  static let csrCountFlag: UInt32 = 1 << 16

  static let systick = SysTick(block: RegisterBlock(base: 0xE000_E010))
}

/// Cortex-M4 System Control Block registers used for faults and reset (Arm DDI 0403, B3.2).
struct SystemControlBlock {
  let block: RegisterBlock
  var aircr: VolatileMappedRegister<UInt32> { block.register(0x0C) }
  var cfsr: VolatileMappedRegister<UInt32> { block.register(0x28) }
  var hfsr: VolatileMappedRegister<UInt32> { block.register(0x2C) }
  var mmfar: VolatileMappedRegister<UInt32> { block.register(0x34) }
  var bfar: VolatileMappedRegister<UInt32> { block.register(0x38) }

  static let aircrVectKey: UInt32 = 0x05FA << 16
  static let aircrSysResetReq: UInt32 = 1 << 2

  static let scb = SystemControlBlock(block: RegisterBlock(base: 0xE000_ED00))
}

/// The board's clocks: SysTick (CLKSOURCE = 1) and the APB timers run at 25 MHz.
enum BoardClock {
  static let hz: UInt32 = 25_000_000
}
