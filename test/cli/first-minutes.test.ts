// The first ten minutes on the command line: what a new user hit, each checked so it cannot return.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, root } from "./run-cli.js";

const { run } = cli();

describe("the command line's first ten minutes", () => {
  it("generate checks every flag and the prompt before the first byte of output", () => {
    const long = Array.from({ length: 41 }, () => "1").join(",");
    for (const args of [["--top-p", "2"], ["--temperature=-1"], ["--max-new=-3"], ["--ids", long], ["--top-k", "1.5"], ["--engine", "gpu"]]) {
      const r = run("generate", ...args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr).not.toBe("");
    }
    expect(run("generate", "--ids", long).stderr).toMatch(/41 tokens but context_len is 32/);
  });
  it("negative numbers reach the command and get its own range message", () => {
    const t = run("generate", "--temperature", "-1");
    expect(t.stderr).toMatch(/temperature -1 must be a number ≥ 0/);
    expect(t.stderr).not.toMatch(/ambiguous/);
    expect(run("forward", "--ids", "-1").stderr).toMatch(/token id -1 at position 0 is outside the vocabulary/);
    expect(run("generate", "--max-new", "-3").stderr).toMatch(/--max-new -3: expected an integer ≥ 0/);
  });
  it("writing into a directory that does not exist says so (no raw ENOENT, no temp-file name)", () => {
    for (const args of [["export-onnx", "--out", "/missing/dir/m.onnx"], ["init", "--out", "/missing/dir/m.safetensors"]]) {
      const r = run(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot write \/missing\/dir\/m\.\w+: the directory \/missing\/dir does not exist/);
      expect(r.stderr).not.toMatch(/ENOENT|tmp-/);
    }
  });
  it("one tokenisation rule: forward and generate read --text the same way, and --help says how", () => {
    const f = JSON.parse(run("forward", "--text", "Ayer el perro", "--json").stdout) as { ids: number[] };
    const g = JSON.parse(run("generate", "--text", "Ayer el perro", "--max-new", "0", "--json").stdout) as { prompt: number[] };
    expect(f.ids).toEqual([20, 26, 28]);
    expect(g.prompt).toEqual(f.ids);
    for (const cmd of ["forward", "generate", "lens"]) expect(run(cmd, "--help").stdout).toMatch(/--text is encoded exactly as written, nothing added.*case is ignored.*<bos> is a word you write/);
  });
  it("suggestions for an unknown word are words, never special tokens", () => {
    const r = run("attribute", "--token", "caminó", "--vs", "nada");
    expect(r.stderr).toMatch(/"nada" is not in the vocabulary; did you mean/);
    expect(r.stderr).not.toMatch(/<pad>|<bos>|<eos>|<unused/);
  });
  it("the README and --help point only inside the repository, to docs/MODEL.md", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readme).not.toMatch(/\.\.\/shared|SPEC\.md|SPEC §/);
    expect(existsSync(join(root, "docs/MODEL.md"))).toBe(true);
    const help = run("--help").stdout + COMMANDS.map((c) => run(c, "--help").stdout).join("\n");
    expect(help).not.toMatch(/SPEC|\.\.\/shared/);
    expect(run("inventory", "--help").stdout).toMatch(/docs\/MODEL\.md/);
  });
  it("npm ci installs with no unknown-config warning: onnxruntime-node's download step is denied through allowScripts", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.["onnxruntime-node"]).toBe(false);
    const npmrc = join(root, ".npmrc");
    if (existsSync(npmrc)) expect(readFileSync(npmrc, "utf8")).not.toMatch(/onnxruntime-node-install/);
  });
});

const COMMANDS = ["trace", "inventory", "init", "forward", "generate", "decompose", "lens", "budget", "attribute", "patterns", "patch", "bandwidth", "heads", "circuits", "ablate", "neurons", "steer", "probe", "sae", "lab", "causality", "export-onnx", "import", "export-hf", "train", "vocab"];
