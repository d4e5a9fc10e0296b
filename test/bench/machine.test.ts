import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { amdCore, describeCpu } from "../../bench/machine.js";

describe("the benchmark's machine line", () => {
  it("names AMD's core generation from the family and model numbers (AMD's published tables)", () => {
    expect(amdCore(0x19, 0x01)).toBe("Zen 3"); // EPYC 7003 (Milan)
    expect(amdCore(0x19, 0x21)).toBe("Zen 3"); // Ryzen 5000 (Vermeer)
    expect(amdCore(0x19, 0x11)).toBe("Zen 4"); // EPYC 9004 (Genoa)
    expect(amdCore(0x19, 0x61)).toBe("Zen 4"); // Ryzen 7000 (Raphael)
    expect(amdCore(0x1a, 0x02)).toBe("Zen 5"); // EPYC 9005 (Turin)
    expect(amdCore(0x17, 0x31)).toBe("Zen 2");
    expect(amdCore(0x06, 0x55)).toBeNull(); // not an AMD family
  });

  it.skipIf(!existsSync("/proc/cpuinfo"))("says which vector instructions a native peer can use here, as /proc/cpuinfo's flags do", () => {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))![1]!.split(/\s+/);
    const cpu = describeCpu();
    expect(cpu.isa).toBe(flags.includes("avx512f") ? "AVX-512" : flags.includes("avx2") ? "AVX2" : "SSE");
    expect(cpu.text).toContain(cpu.isa);
  });
});
