// What the benchmark ran on, precisely enough to compare runs: machines "of the same kind" here
// have been a Zen 5 and a Zen 3 EPYC and an Intel Xeon, and the peers' native kernels (AVX-512 or
// AVX2) and the caches differ between them — figures from different CPUs are not comparable.

import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface Cpu {
  /** "AMD EPYC (Zen 3, AVX2, L2 512 KiB per core)", as far as the system tells. */
  readonly text: string;
  /** The widest vector instructions a native runtime can use here: "AVX-512", "AVX2" or "SSE". */
  readonly isa: string;
}

const read = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

/** AMD's family and model numbers → the core's generation (the ones met here and their kin). */
export function amdCore(family: number, model: number): string | null {
  if (family === 0x17) return model >= 0x30 ? "Zen 2" : "Zen / Zen+";
  if (family === 0x19) return (model >= 0x10 && model < 0x20) || (model >= 0x60 && model < 0x80) || (model >= 0xa0 && model < 0xb0) ? "Zen 4" : "Zen 3";
  if (family === 0x1a) return "Zen 5";
  return null;
}

/** The first processor of /proc/cpuinfo (Linux), or only the name Node gives elsewhere. */
export function describeCpu(): Cpu {
  const name = cpus()[0]?.model.trim() ?? "unknown CPU";
  const info = read("/proc/cpuinfo")?.split("\n\n")[0];
  if (info === undefined) return { text: name, isa: "unknown" };
  const field = (key: string): string => new RegExp(`^${key}\\s*:\\s*(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";
  const flags = new Set(field("flags").split(/\s+/));
  const isa = flags.has("avx512f") ? "AVX-512" : flags.has("avx2") ? "AVX2" : "SSE";
  const core = field("vendor_id") === "AuthenticAMD" ? amdCore(Number(field("cpu family")), Number(field("model"))) : null;
  const l2 = read("/sys/devices/system/cpu/cpu0/cache/index2/size")?.trim().replace(/K$/, " KiB").replace(/M$/, " MiB");
  const parts = [core, isa, l2 === undefined ? null : `L2 ${l2} per core`].filter((p) => p !== null);
  return { text: `${name} (${parts.join(", ")})`, isa };
}

/** One line for the results: the CPU, cores, memory and Node. */
export function describeMachine(): string {
  return `${describeCpu().text}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}
