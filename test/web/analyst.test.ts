// The analysis worker's transport, in Node: the page's side (Analyst) wired to the worker's side
// (JobServer) through structured clones with the buffers moved, as postMessage does. What comes
// back must be what the library computes on the page's own model: the model copied bit for bit
// (checksums), a view rebuilt from moved activations equal to a fresh forward, each job's answer
// equal to the library's, a waiting request replaced by a newer one on its channel, errors named.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { blockBudget, contrastVector, grammarProbeSets, GRAMMAR_CLASSES, MiniGPT, parseProbeData, probeProperties, featureDirection, generate, kernels, parameterChecksum, setKernels, softmaxVec, specialTokens, steeringEffect, steeringHooks, topK, tunedDecode } from "../../src/index.js";
import { Analyst, Superseded, type Port } from "../../web/src/lib/analyst.js";
import { analyse, CANONICAL_TEXT, packView, readText, unpackView } from "../../web/src/lib/compute.js";
import { LESSONS } from "../../web/src/lib/lessons.js";
import { JobServer, loadedFrom, modelMessage, type FromWorker, type ToWorker } from "../../web/src/lib/jobs.js";
import { fromCheckpointBytes, withLens, withSae } from "../../web/src/lib/models.js";

const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../checkpoints/${name}`, import.meta.url)));
const loaded = withSae(withLens(fromCheckpointBytes(file("minigpt.safetensors"), "minigpt.safetensors"), file("minigpt-tuned-lens.safetensors"), "lens"), file("minigpt-sae.safetensors"), "sae");
const ids = readText(CANONICAL_TEXT, loaded.tok).ids;

/** A worker in the same process: each message cloned with its buffers moved, answered a turn later. */
function inProcess(): { port: Port; sent: ToWorker[] } {
  const server = new JobServer(), sent: ToWorker[] = [];
  const port: Port = {
    onmessage: null,
    onerror: null,
    postMessage(m, transfer) {
      sent.push(m);
      const copy = structuredClone(m, { transfer });
      setTimeout(() => {
        const out = server.handle(copy);
        if (out !== null) port.onmessage?.({ data: structuredClone(out.reply, { transfer: out.transfer }) } as MessageEvent<FromWorker>);
      }, 0);
    },
  };
  return { port, sent };
}

describe("the analysis worker's transport", () => {
  it("copies the model bit for bit, with its tokenizer, tuned lens and SAE", () => {
    const { message, transfer } = modelMessage(loaded, 1);
    const copy = loadedFrom(structuredClone(message, { transfer }));
    expect(parameterChecksum(copy.model)).toBe(parameterChecksum(loaded.model));
    expect(copy.tok.size).toBe(loaded.tok.size);
    expect(copy.tok.token(ids[3]!)).toBe(loaded.tok.token(ids[3]!));
    const h = analyse(loaded, ids).vectors[1]![2]!;
    expect(Array.from(tunedDecode(copy.model, copy.lens!, 1, h))).toEqual(Array.from(tunedDecode(loaded.model, loaded.lens!, 1, h)));
    expect(Array.from(copy.sae!.W_enc.data)).toEqual(Array.from(loaded.sae!.W_enc.data));
    // the page's weights are copied, not moved: its model is whole after sending
    expect(parameterChecksum(loaded.model)).toBe(parameterChecksum(copy.model));
    // the worker's model holds the very arrays it was sent (moved to it: no second copy)
    const { message: sent } = modelMessage(loaded, 2);
    const byName = new Map(sent.weights);
    for (const [name, t] of loadedFrom(sent).model.namedParameters()) expect(t.data, name).toBe(byName.get(name));
  });

  it("a view rebuilt from moved activations equals a fresh forward's, and the sender's view stays whole", () => {
    const v = analyse(loaded, ids);
    const { packed, transfer } = packView(v);
    const back = unpackView(structuredClone(packed, { transfer }), loaded.model.config, loaded.tok);
    const fresh = analyse(loaded, ids);
    expect(back.vectors).toEqual(fresh.vectors);
    expect(back.patterns).toEqual(fresh.patterns);
    expect(back.norms).toEqual(fresh.norms);
    expect(back.tokens).toEqual(fresh.tokens);
    expect(back.cache.names()).toEqual(fresh.cache.names());
    for (const name of fresh.cache.names()) expect(Array.from(back.cache.get(name).data), name).toEqual(Array.from(fresh.cache.get(name).data));
    expect(v.cache.get("blocks.1.hook_resid_post").data.length).toBeGreaterThan(0); // not detached
  });

  it("through the worker: the view, the budget and the lens are the library's; light jobs of a small model stay in the page", async () => {
    const { port, sent } = inProcess();
    const remote = new Analyst(port, 0); // every job to the worker
    const v = await remote.analyse(loaded, ids);
    expect(v.vectors).toEqual(analyse(loaded, ids).vectors);
    const last = ids.length - 1;
    const floor = await remote.run("budget", loaded, "budget", v, last, 0, 3);
    const expected = topK(softmaxVec(blockBudget(loaded.model, ids, 0)[last]!), 3);
    expect(floor.map((p) => p.id)).toEqual(expected.map((e) => e.id));
    expect(floor.map((p) => p.prob)).toEqual(expected.map((e) => e.value));
    const lens = await remote.run("lens", loaded, "lens", v, true);
    const top = topK(softmaxVec(tunedDecode(loaded.model, loaded.lens!, 0, v.vectors[0]![last]!)), 1)[0]!;
    expect(lens[0]![last]!.id).toBe(top.id);
    // a lesson's question answered in the worker: the same words as answered in the page
    const direct = LESSONS[0]!.steps.flatMap((st, i) => (st.question === undefined ? [] : [[i, st.question.answer({ loaded, view: analyse(loaded, ids) })] as const]));
    for (const [i, words] of direct) expect(await remote.run("lesson", loaded, "lessonAnswer", v, LESSONS[0]!.id, i)).toEqual(words);
    expect(sent.filter((m) => m.type === "model")).toHaveLength(1); // the model went once

    const local = inProcess(), page = new Analyst(local.port); // the default: a small model's light jobs in the page
    expect((await page.analyse(loaded, ids)).vectors).toEqual(v.vectors);
    await page.run("budget", loaded, "budget", ids, last, 2);
    expect(local.sent).toEqual([]);
    const heads = await page.run("heads", loaded, "heads", null);
    expect(heads.induction).toHaveLength(loaded.model.config.n_layers);
    expect(local.sent.map((m) => m.type)).toEqual(["model", "run"]);
  });

  it("steering through the worker: the library's prediction and continuations; a feature added at a quarter of the stream's length", async () => {
    const remote = new Analyst(inProcess().port, 0);
    const towards = readText("<bos> hoy", loaded.tok).ids, away = readText("<bos> ayer", loaded.tok).ids;
    const hook = "blocks.1.hook_resid_pre" as const;
    const r = await remote.run("steer", loaded, "steer", null, ids, { kind: "contrast", towards, away, hook }, 2);
    const steering = { hook, vector: contrastVector(loaded.model, towards, away, hook), scale: 2 };
    const e = steeringEffect(loaded.model, ids, steering);
    expect(r.kl).toBe(e.kl);
    expect(r.after.map((p) => p.id)).toEqual(topK(e.after, 5).map((t) => t.id));
    expect(r.after[0]!.token).toBe("caminan");
    expect(r.steered).toEqual(generate(loaded.model, ids, { maxNew: 8, temperature: 0, stopAt: specialTokens(loaded.metadata, 64).eos, hooks: steeringHooks([steering]) }).generated);
    expect(r.plain).toEqual(generate(loaded.model, ids, { maxNew: 8, temperature: 0, stopAt: specialTokens(loaded.metadata, 64).eos }).generated);
    const f = await remote.run("steer", loaded, "steer", null, ids, { kind: "feature", latent: 3 }, 1);
    expect(f.hook).toBe(loaded.sae!.hook);
    expect(f.addedNorm).toBeCloseTo(f.activationNorm / 4, 9);
    const g = steeringEffect(loaded.model, ids, { hook: f.hook, vector: featureDirection(loaded.sae!, 3), scale: f.activationNorm / 4 });
    expect(f.kl).toBeCloseTo(g.kl, 12);
    await expect(remote.run("steer", loaded, "steer", null, ids, { kind: "contrast", towards, away, hook: "blocks.0.attn.hook_z" }, 1)).rejects.toThrow(/cannot steer at/);
  });
  it("probes through the worker: the library's held-out accuracies for the model and for the untrained control", async () => {
    const remote = new Analyst(inProcess().port, 0);
    const r = await remote.run("probes", loaded, "probes", null, 30);
    const sets = grammarProbeSets(30);
    const props = (["tense", "agreement", "lang"] as const).map((p) => ({ classes: GRAMMAR_CLASSES[p].length, ...sets.labels[p] }));
    const trained = probeProperties(loaded.model, sets.train, sets.test, props), control = probeProperties(new MiniGPT(loaded.model.config, { seed: 0 }), sets.train, sets.test, props);
    expect(r.properties.map((p) => p.property)).toEqual(["tense", "agreement", "lang"]);
    r.properties.forEach((p, i) => {
      expect(p.trained).toEqual(trained[i]!.states.map((s) => s.test));
      expect(p.control).toEqual(control[i]!.states.map((s) => s.test));
      expect(p.majority).toBe(trained[i]!.majority);
    });
    expect(r.states.map((s) => s.after)).toEqual(["embed", "attn", "mlp", "attn", "mlp"]);
  });
  it("probes on a file's labelled positions through the worker: the library's, and a bad line named", async () => {
    const remote = new Analyst(inProcess().port, 0);
    const lines = ["ayer", "hoy", "yesterday", "today", "ahora", "now"].flatMap((t) => ["ellos", "yo", "tú", "él"].map((s) => JSON.stringify({ text: `<bos> ${t} ${s}`, label: t === "ayer" || t === "yesterday" ? "past" : "present" })));
    const r = await remote.run("probes", loaded, "probesOnData", null, "t.jsonl", lines.join("\n"));
    const d = parseProbeData("t.jsonl", lines.join("\n"), (t) => loaded.tok.encode(t), 32);
    const [want] = probeProperties(loaded.model, d.train, d.test, [{ classes: 2, ...d.labels }]);
    expect(r.properties).toHaveLength(1);
    expect(r.properties[0]!.classes).toEqual(["past", "present"]);
    expect(r.properties[0]!.trained).toEqual(want!.states.map((s) => s.test));
    expect(r.sentences).toEqual({ train: d.train.length, test: d.test.length });
    await expect(remote.run("probes", loaded, "probesOnData", null, "bad.jsonl", "{ nope")).rejects.toThrow(/bad\.jsonl line 1: not JSON/);
  });
  it("a request still waiting when its channel asks again is replaced; other channels are not", async () => {
    const { port, sent } = inProcess();
    const remote = new Analyst(port, 0);
    const first = remote.run("budget", loaded, "budget", ids, 1, 0);
    const second = remote.run("budget", loaded, "budget", ids, 2, 0).catch((e: unknown) => e);
    const other = remote.run("heads", loaded, "heads", null);
    const third = remote.run("budget", loaded, "budget", ids, 3, 0);
    await expect(first).resolves.toHaveLength(8); // already sent: it runs
    expect(await second).toBeInstanceOf(Superseded);
    expect((await third).map((p) => p.id)).toEqual(topK(softmaxVec(blockBudget(loaded.model, ids, 0)[3]!), 8).map((e) => e.id));
    expect((await other).induction).toHaveLength(2);
    expect(sent.filter((m) => m.type === "run")).toHaveLength(3);
    expect(remote.busy).toBe(0);
  });

  it("a worker that fails fails its jobs with the reason, and says so once", async () => {
    let failures = 0;
    const port: Port = {
      onmessage: null,
      onerror: null,
      postMessage(m) {
        if (m.type === "run") setTimeout(() => port.onerror?.({ message: "out of memory" } as ErrorEvent), 0);
      },
    };
    const remote = new Analyst(port, 0, () => failures++);
    const running = remote.run("budget", loaded, "budget", ids, 1, 0);
    const waiting = remote.run("heads", loaded, "heads", null);
    await expect(running).rejects.toThrow(/analysis worker stopped \(out of memory\)/);
    await expect(waiting).rejects.toThrow(/out of memory/);
    expect(failures).toBe(1);
    expect(remote.busy).toBe(0);
  });

  it("a job that fails says why; a model dropped from the worker is named", async () => {
    const remote = new Analyst(inProcess().port, 0);
    await expect(remote.analyse(loaded, [0, 999])).rejects.toThrow(/999/);
    const server = new JobServer();
    const { message } = modelMessage(loaded, 7);
    server.handle(message);
    server.handle({ type: "drop", key: 7 });
    expect(server.handle({ type: "run", id: 1, key: 7, job: "heads", ids: null, causal: true, args: [] })!.reply).toEqual({ id: 1, ok: false, message: "the worker holds no model 7" });
  });

  it("pins the weights of each model it holds, and releases them when the model is dropped or replaced", () => {
    const pins: { arrays: readonly unknown[]; released: boolean }[] = [];
    const before = kernels();
    setKernels({ ...before, pin: (arrays) => {
      const p = { arrays, released: false };
      pins.push(p);
      return () => void (p.released = true);
    } });
    try {
      const server = new JobServer();
      server.handle(modelMessage(loaded, 3).message);
      expect(pins).toHaveLength(1);
      expect(pins[0]!.arrays).toHaveLength(loaded.model.parameters().length); // every weight of the worker's copy
      server.handle(modelMessage(loaded, 3).message); // the same key again: the old copy is let go
      expect(pins.map((p) => p.released)).toEqual([true, false]);
      server.handle({ type: "drop", key: 3 });
      expect(pins.map((p) => p.released)).toEqual([true, true]);
    } finally {
      setKernels(before);
    }
  });
});
