// The library core runs in the browser: nothing outside src/cli may import Node's modules.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("portability", () => {
  const root = new URL("../src/", import.meta.url).pathname;
  const core = files(root).filter((f) => !f.includes("/cli/"));
  it("finds the core files", () => expect(core.length).toBeGreaterThan(15));
  for (const f of core) {
    it(`${f.slice(root.length)} imports no Node module and touches no process`, () => {
      const text = readFileSync(f, "utf8");
      expect(text).not.toMatch(/from\s+["'](node:|fs|path|url|os|child_process|worker_threads)["']/);
      expect(text).not.toMatch(/\bprocess\.|\bBuffer\./);
    });
  }
  it("every source file opens with a line on its purpose", () => {
    for (const f of files(root)) expect(readFileSync(f, "utf8").split("\n")[0], f).toMatch(/^(\/\/|\/\*\*)/);
  });
});
