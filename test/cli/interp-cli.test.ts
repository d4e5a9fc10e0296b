// The analysis commands as a user runs them: JSON that satisfies each tool's invariant,
// readable tables by default, clear refusals.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, root } from "./run-cli.js";

const ck = join(root, "checkpoints/minigpt-seed0.safetensors");
const { run, json } = cli({ cwd: root, extra: ["--checkpoint", ck] });

describe("analysis commands", () => {
  it("neurons: the strongest writers of a block's MLP at a position, as JSON and as a table; an attention-only model is refused", () => {
    const r = json<{ layer: number; position: number; dFF: number; neurons: { neuron: number; activation: number; write: number; up: unknown[] }[] }>("neurons", "--layer", "0", "--position", "3", "--top", "4");
    expect([r.layer, r.position, r.dFF]).toEqual([0, 3, 256]);
    expect(r.neurons).toHaveLength(4);
    expect(r.neurons.every((n, i) => i === 0 || n.write <= r.neurons[i - 1]!.write)).toBe(true);
    expect(r.neurons[0]!.up).toHaveLength(3);
    const table = run("neurons");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/block 1's MLP at position 7 \("ellos"\)/);
    expect(table.stdout).toMatch(/\d+ of 256 neurons positive/);
    const noMlp = cli({ cwd: root }).run("neurons", "--checkpoint", join(root, "checkpoints/induction.safetensors"));
    expect(noMlp.code).toBe(2);
    expect(noMlp.stderr).toMatch(/no MLPs \(attention only\)/);
  });
  it("circuits: composition of every pair and copying per head as JSON and tables; --head's OV rows; bad heads and sources refused", () => {
    // the induction model (the shared flags name the untrained one; --checkpoint here is the last word)
    const induction = join(root, "checkpoints/induction.safetensors");
    const { run: runOn, json: jsonOn } = cli({ cwd: root, extra: ["--checkpoint", induction] });
    const c = jsonOn<{ pairs: { from: { layer: number; head: number }; to: { layer: number; head: number }; q: number; k: number; v: number }[]; baseline: number; fold: string; copying: number[][] }>("circuits");
    expect(c.pairs).toHaveLength(16);
    expect(c.fold).toBe("layernorm");
    expect(c.copying).toHaveLength(2);
    c.copying[1]!.forEach((s) => expect(s).toBeGreaterThan(0.9)); // the induction heads copy
    const table = runOn("circuits").stdout;
    const best = c.pairs.reduce((a, p) => (p.k > a.k ? p : a));
    expect(table).toContain(`strongest: ${best.from.layer}.${best.from.head} → ${best.to.layer}.${best.to.head} (${best.k.toFixed(2)}`);
    expect(table).toContain(`Random weights of these shapes score ${c.baseline.toFixed(2)}`);
    const head = jsonOn<{ copying: number; rows: { source: number; up: { id: number; value: number }[]; selfRank: number }[] }>("circuits", "--head", "1.1");
    expect(head.rows).toHaveLength(64);
    expect(head.copying).toBeCloseTo(c.copying[1]![1]!, 6);
    head.rows.forEach((r) => expect(r.selfRank === 1).toBe(r.up[0]!.id === r.source));
    const first = head.rows.filter((r) => r.selfRank === 1).length;
    expect(runOn("circuits", "--head", "1.1").stdout).toContain(`${first} of 64 source tokens raise themselves most`);
    const some = json<{ rows: { source: number }[] }>("circuits", "--head", "0.2", "--sources", "hoy,5");
    expect(some.rows.map((r) => r.source)).toEqual([json<{ ids: number[] }>("forward", "--text", "hoy").ids[0], 5]);
    for (const [args, message] of [
      [["--head", "2.0"], /this model has 2 blocks, 0 to 1/],
      [["--head", "0.4"], /blocks have 4 heads, 0 to 3/],
      [["--head", "1"], /expected block\.head/],
      [["--sources", "hoy"], /give --head L\.H too/],
      [["--head", "0.0", "--sources", "zzz"], /not in the vocabulary/],
    ] as const) {
      const r = run("circuits", ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
  it("ablate: every head and MLP taken away alone, the loss rise of each; the induction model's data; bad values refused", () => {
    const r = json<{ kind: string; clean: number; predictions: number; components: { name: string; loss: number; delta: number }[] }>("ablate", "--sequences", "8");
    expect(r.kind).toBe("mean");
    expect(r.components.map((c) => c.name)).toEqual(["0.0", "0.1", "0.2", "0.3", "1.0", "1.1", "1.2", "1.3", "mlp 0", "mlp 1"]);
    r.components.forEach((c) => expect(c.delta).toBeCloseTo(c.loss - r.clean, 10));
    const one = json<{ predictions: number }>("ablate", "--kind", "zero", "--text", "ayer ellos caminaron");
    expect(one.predictions).toBe(2);
    const induction = cli({ cwd: root, extra: ["--checkpoint", join(root, "checkpoints/induction.safetensors")] });
    const table = induction.run("ablate", "--data", "induction", "--sequences", "16");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/mean ablation of each component alone, on 16 induction sequences/);
    expect(table.stdout).toMatch(/needed most: head 0\.2/); // its strongest previous-token head
    for (const [args, message] of [
      [["--kind", "half"], /--kind half: expected mean or zero/],
      [["--data", "poems"], /--data poems: expected verb or induction/],
      [["--data", "verb", "--text", "hoy"], /not both/],
      [["--text", "hoy"], /at least two tokens/],
      [["--text", "hoy ayer", "--sequences", "4"], /an input \(--ids\/--text\) is one sequence/],
    ] as const) {
      const bad = run("ablate", ...args);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  });
  it("decompose --json: sources sum to the stream (SPEC §7)", () => {
    const d = json<{ labels: string[]; components: number[][]; sum: number[]; actual: number[]; max_error: number; additive: boolean }>("decompose", "--position", "5", "--per-head");
    expect(d.labels).toEqual(["embed", "attn 0.h0", "attn 0.h1", "attn 0.h2", "attn 0.h3", "mlp 0", "attn 1.h0", "attn 1.h1", "attn 1.h2", "attn 1.h3", "mlp 1"]);
    const sum = d.components.reduce((acc, c) => acc.map((x, i) => x + c[i]!), new Array<number>(64).fill(0));
    sum.forEach((x, i) => expect(Math.abs(x - d.actual[i]!)).toBeLessThan(1e-5));
    expect(d.additive).toBe(true);
    const table = run("decompose", "--state", "1");
    expect(table.stdout).toMatch(/after attn 0 \(state 1 of 4\)/);
    expect(table.stdout).toMatch(/✓ Pre-LN/);
  });
  it("lens: a grid by default, the top k at one position; the last row equals forward's logits", () => {
    const l = json<{ positions: { position: number; rows: { label: string; probs: number[] }[] }[] }>("lens", "--position", "7");
    const f = json<{ logits: number[][] }>("forward");
    const probs = l.positions[0]!.rows.at(-1)!.probs;
    const row = f.logits[7]!;
    const m = Math.max(...row);
    const z = row.reduce((s, x) => s + Math.exp(x - m), 0);
    row.forEach((x, i) => expect(Math.abs(Math.exp(x - m) / z - probs[i]!)).toBeLessThan(1e-6));
    expect(run("lens").stdout).toMatch(/h₀ \(embed\)[\s\S]*after mlp 1/);
  });
  it("budget: k = 0 … n_layers, the last equal to the full model", () => {
    const b = json<{ budgets: { k: number; probs: number[] }[] }>("budget");
    expect(b.budgets.map((x) => x.k)).toEqual([0, 1, 2]);
    expect(run("budget").stdout).toMatch(/0 \(bigram floor\)[\s\S]*2 \(full model\)/);
    expect(run("budget", "--k", "5").stderr).toMatch(/--k 5: this model has 2 blocks/);
  });
  it("attribute: contributions + bias = the logit difference; tokens by word", () => {
    const a = json<{ contributions: number[]; bias_term: number; total: number; actual: number }>("attribute", "--token", "caminaron", "--vs", "caminan");
    expect(Math.abs(a.contributions.reduce((s, x) => s + x, 0) + a.bias_term - a.actual)).toBeLessThan(1e-5);
    expect(run("attribute", "--token", "caminarom").stderr).toMatch(/not in the vocabulary; did you mean "caminaron"/);
    expect(run("attribute").stderr).toMatch(/--token T is required/);
  });
  it("patterns: every head, rows summing to 1; a ranking for --position/--key", () => {
    const p = json<{ heads: { pattern: number[][] }[]; ranking: { weight: number }[] }>("patterns", "--position", "7", "--key", "1");
    expect(p.heads).toHaveLength(8);
    for (const h of p.heads) for (const row of h.pattern) expect(Math.abs(row.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-6);
    expect(p.ranking).toHaveLength(8);
    expect(run("patterns", "--position", "2", "--key", "5").stderr).toMatch(/--key 5 is after --position 2/);
  });
  it("patch: a grid of fractions restored; patching the changed token's embedding restores all", () => {
    const r = json<{ restored: number[][]; columns: string[] }>("patch", "--corrupted", "<bos> hoy el perro también caminó y ellos");
    expect(r.restored).toHaveLength(2);
    expect(r.restored[0]![1]).toBeCloseTo(1, 6);
    expect(json<{ restored: number[][] }>("patch", "--heads").restored[0]).toHaveLength(4);
    expect(run("patch", "--hook", "nowhere").stderr).toMatch(/--hook nowhere: expected one of/);
  });
  it("steer: a difference of two inputs or an SAE feature, added at a hook; the prediction, a sweep and both continuations; bad directions refused", () => {
    const shipped = cli({ cwd: root, extra: ["--checkpoint", join(root, "checkpoints/minigpt.safetensors")] });
    const flags = ["--text", "<bos> ayer , ellos", "--towards", "<bos> hoy", "--away", "<bos> ayer"];
    const r = shipped.json<{ hook: string; scale: number; vector: number[]; kl: number; before: { id: number; p: number }[]; after: { id: number; p: number }[]; sweep: { scale: number; watched: number[] }[]; continuation: { unsteered: number[]; steered: number[] } }>(
      "steer", ...flags, "--scale", "2", "--sweep", "--scales", "0,2", "--watch", "caminaron,caminan", "--max-new", "3");
    expect([r.hook, r.scale, r.vector.length]).toEqual(["blocks.1.hook_resid_pre", 2, 64]);
    expect(r.kl).toBeGreaterThan(0.5);
    expect(r.before[0]!.p).toBeGreaterThanOrEqual(r.before[1]!.p);
    expect(r.sweep.map((s) => s.scale)).toEqual([0, 2]);
    expect(r.sweep[1]!.watched[1]).toBeGreaterThan(r.sweep[1]!.watched[0]!); // caminan over caminaron
    expect(r.after[0]!.p).toBeCloseTo(Math.max(r.sweep[1]!.watched[1]!, r.after[0]!.p), 9);
    expect(r.continuation.unsteered).toHaveLength(3);
    expect(r.continuation.steered).not.toEqual(r.continuation.unsteered);
    const table = shipped.run("steer", ...flags, "--sweep", "--watch", "caminan");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/steering at blocks\.1\.hook_resid_pre: \+1\.00 × the stream on "<bos> hoy" − on "<bos> ayer"/);
    expect(table.stdout).toMatch(/KL\(steered ‖ unsteered\)/);
    expect(table.stdout).toMatch(/unsteered  también/);
    const dir = mkdtempSync(join(tmpdir(), "minigpt-steer-"));
    const plotted = shipped.run("steer", ...flags, "--svg", join(dir, "sweep.svg"), "--watch", "caminaron");
    expect(plotted.stdout).toMatch(/the sweep plotted: .*sweep\.svg/);
    expect(plotted.stdout).toMatch(/^\+4\.00  caminan /m); // the default sweep: −2 to 4 times the scale, in halves
    const svg = readFileSync(join(dir, "sweep.svg"), "utf8");
    expect(svg).toMatch(/^<svg/);
    for (const t of ["caminaron", "caminan", "también"]) expect(svg).toContain(t); // asked for, and each that leads at some scale
    rmSync(dir, { recursive: true, force: true });
    const f = shipped.json<{ hook: string; scale: number; vector: number[] }>("steer", "--text", "<bos> ayer , ellos", "--feature", "3", "--sae", join(root, "checkpoints/minigpt-sae.safetensors"));
    expect(f.hook).toBe("blocks.1.hook_resid_post");
    expect(Math.hypot(...f.vector)).toBeCloseTo(1, 6);
    expect(f.scale).toBeGreaterThan(1); // a quarter of the stream's norm there
    const refuse = (args: string[], message: RegExp): void => {
      const e = shipped.run("steer", ...args);
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(message);
    };
    refuse([], /give a direction/);
    refuse(["--towards", "hoy"], /needs both --towards/);
    refuse([...flags, "--feature", "3"], /one direction: --towards\/--away or --feature, not both/);
    refuse(["--feature", "3"], /--sae FILE/);
    refuse(["--feature", "3", "--sae", join(root, "checkpoints/minigpt-sae.safetensors"), "--layer", "0"], /--layer goes with --towards/);
    refuse([...flags, "--hook", "pattern"], /--hook pattern: expected one of resid_pre/);
    refuse([...flags, "--layer", "2"], /--layer 2: this model has 2 blocks/);
    refuse([...flags, "--scale", "big"], /--scale big: expected a number/);
    refuse([...flags, "--scales", "1,2"], /--scales goes with --sweep/);
    refuse([...flags, "--svg", "/no/such/dir/sweep.svg"], /--svg \/no\/such\/dir\/sweep\.svg: the directory .* does not exist/);
    const unknown = shipped.run("steer", "--towards", "hoy", "--away", "zzz"); // bad input, as in every command: exit 1
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown word "zzz"/);
  });
  it("probe: held-out accuracy per state beside the untrained control, as JSON and a table, and plotted; bad properties refused", () => {
    const shipped = cli({ cwd: root, extra: ["--checkpoint", join(root, "checkpoints/minigpt.safetensors")] });
    const r = shipped.json<{ probes: { property: string; classes: string[]; trained: { majority: number; states: { state: string; test: number }[] }; control: { states: { test: number }[] } }[] }>("probe", "--property", "tense", "--sentences", "60");
    expect(r.probes.map((p) => p.property)).toEqual(["tense"]);
    const [p] = r.probes;
    expect(p!.classes).toEqual(["past", "present"]);
    expect(p!.trained.states.map((s) => s.state)).toEqual(["h₀ (embed)", "after attn 0", "after mlp 0", "after attn 1", "after mlp 1"]);
    expect(p!.trained.states[1]!.test).toBeGreaterThan(0.9);
    expect(p!.control.states).toHaveLength(5);
    const dir = mkdtempSync(join(tmpdir(), "minigpt-probe-"));
    const table = shipped.run("probe", "--property", "agreement", "--sentences", "40", "--svg", join(dir, "probe.svg"));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/person and number \(1sg, 2sg, 3sg, 1pl, 2pl, 3pl\)/);
    expect(table.stdout).toMatch(/^after attn 0 +\d+% +\d+% /m);
    expect(readFileSync(join(dir, "probe.svg"), "utf8")).toMatch(/^<svg[\s\S]*untrained \(control\)/);
    rmSync(dir, { recursive: true, force: true });
    for (const [args, message] of [[["--property", "mood"], /--property mood: expected one of tense, agreement, lang/], [["--sentences", "5"], /--sentences 5: expected an integer ≥ 10/]] as const) {
      const e = shipped.run("probe", ...args);
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(message);
    }
  });
  it("probe --data: your own labelled positions (any model), every fifth held out or as each line's split says; bad lines named", () => {
    const shipped = cli({ cwd: root, extra: ["--checkpoint", join(root, "checkpoints/minigpt.safetensors")] });
    const dir = mkdtempSync(join(tmpdir(), "minigpt-probe-data-"));
    // a time word and a subject, in one language: is the clause past or present?
    const es = { times: [["ayer", "past"], ["hoy", "present"], ["ahora", "present"]], subjects: ["ellos", "yo", "tú", "el perro", "él", "nosotros", "ella", "los perros"] };
    const en = { times: [["yesterday", "past"], ["today", "present"], ["now", "present"]], subjects: ["they", "I", "you", "the dog", "he", "we", "she", "the dogs"] };
    const lines = [es, en].flatMap((l) => l.times.flatMap(([t, label]) => l.subjects.map((s) => JSON.stringify({ text: `<bos> ${t} ${s}`, label }))));
    writeFileSync(join(dir, "tense.jsonl"), lines.join("\n") + "\n");
    const r = shipped.json<{ positions: string; probes: { property: string; classes: string[]; positions: { train: number; test: number }; trained: { states: { test: number }[] } }[] }>("probe", "--data", join(dir, "tense.jsonl"));
    expect(r.probes).toHaveLength(1);
    expect(r.probes[0]!.property).toBe("label");
    expect(r.probes[0]!.classes).toEqual(["past", "present"]);
    expect(r.probes[0]!.positions).toEqual({ train: 39, test: 9 }); // every fifth of 48 held out
    expect(r.probes[0]!.trained.states[1]!.test).toBe(1); // after block 0's attention: the time word read
    // an explicit split, and the position counted from the end
    writeFileSync(join(dir, "split.jsonl"), lines.map((l, i) => JSON.stringify({ ...JSON.parse(l), position: -1, split: i % 3 === 0 ? "test" : "train" })).join("\n"));
    expect(shipped.json<{ probes: { positions: { train: number; test: number } }[] }>("probe", "--data", join(dir, "split.jsonl")).probes[0]!.positions).toEqual({ train: 32, test: 16 });
    const bad = (name: string, content: string, message: RegExp, args: string[] = []): void => {
      writeFileSync(join(dir, name), content);
      const e = shipped.run("probe", "--data", join(dir, name), ...args);
      expect(e.code, e.stderr).toBe(2);
      expect(e.stderr).toMatch(message);
    };
    bad("json.jsonl", `${lines[0]}\n{ nope\n`, /json\.jsonl line 2: not JSON/);
    bad("one.jsonl", lines.slice(0, 8).join("\n"), /at least two labels; every line says "past"/);
    bad("pos.jsonl", JSON.stringify({ text: "<bos> hoy", label: "x", position: 5 }), /line 1: position 5 is not a token index of its 2 tokens/);
    bad("shape.jsonl", JSON.stringify({ words: "<bos> hoy" }), /line 1: expected \{"text": "…", "label": "…"\}/);
    bad("split2.jsonl", JSON.stringify({ text: "<bos> hoy", label: "x", split: "dev" }), /split "dev": expected "train" or "test"/);
    bad("both.jsonl", lines.join("\n"), /--property and --sentences choose the verb grammar's probes/, ["--property", "tense"]);
    rmSync(dir, { recursive: true, force: true });
  });
  it("bandwidth: 5 writers per stream dimension in each block of the locked model", () => {
    const b = json<{ blocks: { ratio: number; headOverlap: number[][] }[] }>("bandwidth");
    expect(b.blocks.map((x) => x.ratio)).toEqual([5, 5]);
    expect(run("bandwidth").stdout).toMatch(/320 dimensions write into 64: 5\.00 per stream dimension/);
  });
});
