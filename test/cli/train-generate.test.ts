// minigpt train and generate as a user runs them: progress, resume after Ctrl-C
// bit-identical to an uninterrupted run, clear refusals, and generation from a checkpoint.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "minigpt-train-"));
const bin = join(root, "bin/minigpt");
writeFileSync(join(tmp, "tiny.yaml"), "d_model: 16\nn_heads: 2\nn_layers: 1\nd_ff: 32\n");
const flags = ["--config", "tiny.yaml", "--steps", "300", "--batch-size", "4", "--eval-every", "100", "--eval-sequences", "16", "--checkpoint-every", "20", "--log-every", "10", "--warmup-steps", "5"];

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: tmp });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const withoutTiming = (path: string): unknown[] =>
  readFileSync(path, "utf8").trim().split("\n").map((l) => {
    const { tokens_per_s: _a, elapsed_s: _b, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });

describe("minigpt train", () => {
  it("an uninterrupted run: progress, metrics log, loss curve, export", () => {
    const r = run("train", "--run", "straight", ...flags, "--export", "straight.safetensors");
    expect(r.stderr).toMatch(/300\/300 .*100%.*loss \d\.\d{3}.*it\/s.*tok\/s.*ETA/);
    expect(r.stderr).toMatch(/step 300: val loss \d+\.\d+ +agreement/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(tmp, "straight/loss.svg"), "utf8")).toMatch(/^<svg/);
    expect(withoutTiming(join(tmp, "straight/metrics.jsonl"))).toHaveLength(30 + 3);
    expect(existsSync(join(tmp, "straight.safetensors"))).toBe(true);
  });

  it("Ctrl-C saves and exits 130; the same command resumes and ends bit-identical", async () => {
    const child = spawn(process.execPath, [bin, "train", "--run", "interrupted", ...flags, "--export", "interrupted.safetensors"], { cwd: tmp });
    let err = "", out = "";
    child.stdout.on("data", (d) => (out += d));
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (d) => {
        err += d;
        if (/(^|\n)\s*1\d\d\/300 /.test(err) && !child.killed) child.kill("SIGINT");
      });
      child.on("exit", () => resolve());
    });
    expect(child.exitCode).toBe(130);
    expect(out).toMatch(/interrupted at step \d+; checkpoint saved/);
    const again = run("train", "--run", "interrupted", ...flags, "--export", "interrupted.safetensors");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resuming interrupted at step \d+ of 300/);
    expect(readFileSync(join(tmp, "interrupted.safetensors")).equals(readFileSync(join(tmp, "straight.safetensors")))).toBe(true);
    expect(readFileSync(join(tmp, "interrupted/checkpoint.safetensors")).equals(readFileSync(join(tmp, "straight/checkpoint.safetensors")))).toBe(true);
    expect(withoutTiming(join(tmp, "interrupted/metrics.jsonl"))).toEqual(withoutTiming(join(tmp, "straight/metrics.jsonl")));
  });

  it("after kill -9 the same command resumes from the last checkpoint and ends bit-identical", async () => {
    const child = spawn(process.execPath, [bin, "train", "--run", "killed", ...flags, "--export", "killed.safetensors"], { cwd: tmp });
    let err = "";
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (d) => {
        err += d;
        if (/(^|\n)\s*1\d\d\/300 /.test(err) && !child.killed) child.kill("SIGKILL");
      });
      child.on("exit", () => resolve());
    });
    expect(child.signalCode).toBe("SIGKILL");
    expect(existsSync(join(tmp, "killed.safetensors"))).toBe(false);
    const again = run("train", "--run", "killed", ...flags, "--export", "killed.safetensors");
    expect(again.code).toBe(0);
    expect(readFileSync(join(tmp, "killed.safetensors")).equals(readFileSync(join(tmp, "straight.safetensors")))).toBe(true);
    expect(withoutTiming(join(tmp, "killed/metrics.jsonl"))).toEqual(withoutTiming(join(tmp, "straight/metrics.jsonl")));
  });

  it("resuming with different settings is refused, naming them", () => {
    const r = run("train", "--run", "straight", ...flags.slice(0, 2), "--steps", "500");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds a run/);
  });

  it("records its arithmetic; resuming with other kernels is refused unless asked, and strict runs repeat bit for bit", () => {
    const short = [...flags.slice(0, 2), "--steps", "20", "--batch-size", "4", "--eval-every", "10", "--eval-sequences", "8", "--checkpoint-every", "10", "--log-every", "10"];
    const strictA = run("train", "--run", "strict-a", ...short, "--kernels", "wasm-strict", "--export", "strict-a.safetensors");
    const strictB = run("train", "--run", "strict-b", ...short, "--kernels", "wasm-strict", "--export", "strict-b.safetensors");
    const fma = run("train", "--run", "fma", ...short, "--export", "fma.safetensors");
    expect([strictA.code, strictB.code, fma.code]).toEqual([0, 0, 0]);
    const file = (name: string): Buffer => readFileSync(join(tmp, name));
    const kernelsOf = (name: string): unknown => (JSON.parse(file(name).subarray(8, 8 + Number(file(name).readBigUInt64LE(0))).toString()) as { __metadata__: Record<string, string> }).__metadata__["kernels"];
    expect([kernelsOf("strict-a.safetensors"), kernelsOf("fma.safetensors"), kernelsOf("fma/checkpoint.safetensors")]).toEqual(["wasm-strict", "wasm-fma", "wasm-fma"]);
    expect(file("strict-a.safetensors").equals(file("strict-b.safetensors"))).toBe(true);
    expect(file("strict-a.safetensors").equals(file("fma.safetensors"))).toBe(false);
    const refused = run("train", "--run", "strict-a");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/trained with the wasm-strict kernels and would resume with wasm-fma.*pass --kernels wasm-strict/);
    expect(run("train", "--run", "strict-a", "--kernels", "wasm-strict").stdout).toMatch(/resuming strict-a at step 20 of 20/);
  });

  it("bad training values are refused before anything runs", () => {
    expect(run("train", "--run", "bad", "--lr=-3").stderr).toMatch(/lr = -3 is not allowed; expected a positive number/);
    expect(run("train", "--run", "bad", "--steps", "many").stderr).toMatch(/--steps many: expected a number/);
  });
});

describe("minigpt train --data: a text of one's own", () => {
  const story = "the cat sat on the mat.\nthe dog ran to the cat.\n".repeat(40);
  writeFileSync(join(tmp, "story.txt"), story);
  writeFileSync(join(tmp, "other.txt"), story.replace(/cat/g, "cow"));
  const text = ["--steps", "60", "--batch-size", "8", "--eval-every", "30", "--eval-sequences", "8", "--checkpoint-every", "30", "--log-every", "10", "--lr", "0.01"];
  it("trains a character-level model: the characters are its vocabulary, the validation loss falls, the export carries them as its tokenizer and generates text", () => {
    const r = run("train", "--data", "story.txt", "--run", "story", ...text, "--export", "story.safetensors");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training story on story.txt \(1920 characters, 15 distinct: vocab_size 15\)/);
    const losses = [...r.stderr.matchAll(/step (\d+): val loss (\d+\.\d+) nats\/char/g)].map((m) => Number(m[2]));
    expect(losses).toHaveLength(2);
    expect(losses[1]!).toBeLessThan(Math.log(15) - 0.5);
    expect(r.stdout).toMatch(/a sample \(temperature 1, seed 0\): "[a-z .\\n]+"/);
    expect(readFileSync(join(tmp, "story/loss.svg"), "utf8")).toMatch(/^<svg/);
    const g = JSON.parse(run("generate", "--checkpoint", "story.safetensors", "--text", "the c", "--max-new", "12", "--seed", "1", "--json").stdout) as { text: string; prompt: number[]; stop: string };
    expect(g.prompt).toHaveLength(5); // one id a character
    expect(g.text.startsWith("the c")).toBe(true);
    expect(g.text).toHaveLength(17);
    expect(g.stop).toBe("max_new"); // no end token: a character is not <eos>
    const plain = run("generate", "--checkpoint", "story.safetensors", "--text", "the c", "--max-new", "12", "--seed", "1");
    expect(plain.stdout.startsWith(g.text + "\n(12 new tokens; reached --max-new)")).toBe(true); // written as text, not as tokens with spaces between
    expect(run("generate", "--checkpoint", "story.safetensors").stderr).toMatch(/names no beginning-of-sequence token to start from: give a prompt with --text or --ids/);
    expect(run("generate", "--checkpoint", "story.safetensors", "--text", "the cow").stderr).toMatch(/"w" \(piece 7 of 7\) is not in this tokenizer's vocabulary/);
  });
  it("Ctrl-C and the same command: the text run resumes and ends bit-identical to the uninterrupted one", async () => {
    const child = spawn(process.execPath, [bin, "train", "--data", "story.txt", "--run", "story-int", ...text, "--checkpoint-every", "10", "--export", "story-int.safetensors"], { cwd: tmp });
    let err = "";
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (d) => {
        err += d;
        if (/(^|\n)\s*2\d\/60 /.test(err) && !child.killed) child.kill("SIGINT");
      });
      child.on("exit", () => resolve());
    });
    expect(child.exitCode).toBe(130);
    const again = run("train", "--data", "story.txt", "--run", "story-int", ...text, "--checkpoint-every", "10", "--export", "story-int.safetensors");
    expect(again.stdout).toMatch(/resuming story-int at step \d+ of 60/);
    const straight = run("train", "--data", "story.txt", "--run", "story-straight", ...text, "--checkpoint-every", "10", "--export", "story-straight.safetensors");
    expect(straight.code).toBe(0);
    expect(readFileSync(join(tmp, "story-int.safetensors")).equals(readFileSync(join(tmp, "story-straight.safetensors")))).toBe(true);
    expect(withoutTiming(join(tmp, "story-int/metrics.jsonl"))).toEqual(withoutTiming(join(tmp, "story-straight/metrics.jsonl")));
  });
  it("resumes only with its text: without --data, or with another file, it is refused; with it, it continues", () => {
    expect(run("train", "--run", "story").stderr).toMatch(/holds a run on story.txt: resume it with --data and that file/);
    expect(run("train", "--run", "story", "--data", "other.txt").stderr).toMatch(/other.txt is not the text story was trained on \(story.txt, hash [0-9a-f]{8}; this one [0-9a-f]{8}\)/);
    expect(run("train", "--run", "story", "--data", "story.txt").stdout).toMatch(/resuming story at step 60 of 60/);
  });
  it("refuses a missing file, --data with another task, and a text with more characters than --config's vocab_size", () => {
    expect(run("train", "--data", "nowhere.txt", "--run", "x").stderr).toMatch(/--data nowhere.txt: no such file/);
    writeFileSync(join(tmp, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
    expect(run("train", "--data", "latin1.txt", "--run", "x").stderr).toMatch(/--data latin1.txt: not UTF-8 text/);
    expect(run("train", "--task", "induction", "--data", "story.txt", "--run", "x").stderr).toMatch(/--data is the text task's/);
    expect(run("train", "--task", "text", "--run", "x").stderr).toMatch(/--task text needs --data FILE.txt/);
    writeFileSync(join(tmp, "v8.yaml"), "d_model: 16\nn_heads: 2\nn_layers: 1\nd_ff: 32\nvocab_size: 8\n");
    expect(run("train", "--data", "story.txt", "--config", "v8.yaml", "--run", "x").stderr).toMatch(/story.txt has 15 distinct characters but the model's vocab_size is 8: raise vocab_size in --config to at least 15/);
  });
});

describe("minigpt generate", () => {
  it("samples from a checkpoint, seeded, with and without the cache", () => {
    const ck = join(tmp, "straight.safetensors");
    if (!existsSync(ck)) run("train", "--run", "straight", ...flags, "--export", "straight.safetensors");
    const a = JSON.parse(run("generate", "--checkpoint", ck, "--text", "<bos> ayer ellos", "--max-new", "6", "--seed", "3", "--json").stdout) as { ids: number[]; prompt: number[]; stop: string };
    const b = JSON.parse(run("generate", "--checkpoint", ck, "--text", "<bos> ayer ellos", "--max-new", "6", "--seed", "3", "--no-cache", "--json").stdout) as { ids: number[] };
    expect(a.prompt).toEqual([1, 20, 16]); // as written: <bos> is a word of the text
    expect(a.ids).toEqual(b.ids);
    expect(["stop_token", "max_new"]).toContain(a.stop);
    // the compiled session (default) and the tensor forward, on 1 or 2 threads, sample the same tokens
    for (const extra of [["--engine", "tensor"], ["--engine", "tensor", "--kernels", "js"], ["--threads", "1"], ["--threads", "2", "--engine", "tensor"]]) {
      const c = JSON.parse(run("generate", "--checkpoint", ck, "--text", "<bos> ayer ellos", "--max-new", "6", "--seed", "3", "--json", ...extra).stdout) as { ids: number[] };
      expect(c.ids, extra.join(" ")).toEqual(a.ids);
    }
    const text = run("generate", "--checkpoint", ck, "--text", "<bos> hoy yo", "--temperature", "0", "--max-new", "3");
    expect(text.stdout).toMatch(/^<bos> hoy yo \S+/);
    expect(text.stdout).toMatch(/new tokens; (stopped at <eos>|reached --max-new)/);
  });
  it("refuses a prompt over the context and bad sampling values", () => {
    expect(run("generate", "--ids", Array.from({ length: 33 }, () => "1").join(",")).stderr).toMatch(/prompt has 33 tokens but context_len is 32/);
    expect(run("generate", "--top-p", "2").stderr).toMatch(/top-p 2 must be in \(0, 1\]/);
    expect(run("generate", "--engine", "gpu").stderr).toMatch(/--engine gpu: expected session or tensor/);
    expect(run("generate", "--threads", "0").stderr).toMatch(/--threads 0: expected a whole number from 1 to 64/);
  });
});
