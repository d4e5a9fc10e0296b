// minigpt steer: add a direction to the residual stream — the difference of the stream on two
// inputs, or an SAE latent's decoder row — and show what it does to the next-token prediction and
// to a continuation (interp/steering.ts).

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { generate } from "../model/generate.js";
import { blockHook, type BlockHookName } from "../model/hooks.js";
import { loadSae } from "../interp/sae.js";
import { contrastVector, featureSteering, steeringEffect, steeringHooks, steeringSweep, type Steering } from "../interp/steering.js";
import { specialTokens } from "../train/hf-tokenizer.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { displayPath, openCheckpoint, parseInteger, parseNumber, printJson, readBytes, readTokens, table, UsageError, writeFileAtomic } from "./common.js";
import { renderSvg, steeringSweepSpec } from "./plot.js";
import { percent, readToken, signed, signedBar, tokenNamer } from "./inspect.js";

const HOOKS = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out"] as const;

export const steerCommand: Command = {
  name: "steer",
  summary: "activation steering: add a direction to the stream (the difference of two inputs, or an SAE feature) and see the prediction and a continuation change",
  usage:
    "minigpt steer [--checkpoint FILE] [--ids … | --text \"…\"] (--towards \"…\" --away \"…\" | --feature I --sae FILE)\n" +
    "              [--layer L] [--hook resid_pre|resid_mid|resid_post|attn_out|mlp_out] [--at last|mean] [--scale S]\n" +
    "              [--sweep [--scales a,b,…] [--watch tok,…]] [--svg FILE] [--max-new N] [--temperature T] [--seed S] [--json]\n" +
    "  the direction: the stream on --towards minus on --away (at their last positions, or --at mean: averaged over them), at\n" +
    "  block --layer's hook point (default: resid_pre of the middle block); or an SAE latent's decoder row at the SAE's hook,\n" +
    "  scaled to length 1. It is added, times --scale, at every position of the input (default scale: 1 for a difference;\n" +
    "  a quarter of the stream's mean norm there for a feature). --sweep: the prediction as the scale runs over --scales\n" +
    "  (default −2 to 4 times the scale, in halves); --svg FILE plots it: the --watch tokens and each that leads at some scale.\n" +
    "  The continuations, unsteered and steered, are greedy unless --temperature (the same --seed for both).",
  flags: {
    checkpoint: { type: "string" }, ids: { type: "string" }, text: { type: "string" }, towards: { type: "string" }, away: { type: "string" },
    feature: { type: "string" }, sae: { type: "string" }, layer: { type: "string" }, hook: { type: "string" }, at: { type: "string" },
    scale: { type: "string" }, sweep: { type: "boolean" }, scales: { type: "string" }, watch: { type: "string" }, svg: { type: "string" },
    "max-new": { type: "string" }, temperature: { type: "string" }, seed: { type: "string" },
  },
  async run(values) {
    const { model, path, tok, metadata } = openCheckpoint(str(values, "checkpoint"));
    model.pinWeights(); // only read: kept packed for the command
    const c = model.config;
    const name = tokenNamer(tok);
    const ids = readTokens(tok, str(values, "ids"), str(values, "text"));
    if (ids.length > c.context_len) throw new UsageError(`the input has ${ids.length} tokens; this model's context is ${c.context_len}`);
    const towards = str(values, "towards"), away = str(values, "away"), feature = str(values, "feature");
    const contrast = towards !== undefined || away !== undefined;
    if (contrast && feature !== undefined) throw new UsageError("give one direction: --towards/--away or --feature, not both");
    if (!contrast && feature === undefined) throw new UsageError("give a direction: --towards \"…\" with --away \"…\", or --feature I with --sae FILE");
    const at = str(values, "at") ?? "last";
    if (at !== "last" && at !== "mean") throw new UsageError(`--at ${at}: expected last or mean`);

    let steering: Steering, what: string;
    let scale = parseNumber(str(values, "scale"), "--scale");
    if (contrast) {
      if (towards === undefined || away === undefined) throw new UsageError("a difference needs both --towards \"…\" and --away \"…\"");
      if (str(values, "sae") !== undefined) throw new UsageError("--sae goes with --feature, not with --towards/--away");
      const layer = parseInteger(str(values, "layer"), "--layer") ?? Math.floor(c.n_layers / 2);
      if (layer >= c.n_layers) throw new UsageError(`--layer ${layer}: this model has ${c.n_layers} blocks, 0 to ${c.n_layers - 1}`);
      const h = str(values, "hook") ?? "resid_pre";
      if (!(HOOKS as readonly string[]).includes(h)) throw new UsageError(`--hook ${h}: expected one of ${HOOKS.join(", ")}`);
      const hook = blockHook(layer, `hook_${h}` as BlockHookName);
      const plus = tok.encode(towards), minus = tok.encode(away);
      if (plus.length === 0 || minus.length === 0) throw new UsageError("--towards and --away must each encode to at least one token");
      for (const [flag, t] of [["--towards", plus], ["--away", minus]] as const) {
        if (t.length > c.context_len) throw new UsageError(`${flag} has ${t.length} tokens; this model's context is ${c.context_len}`);
      }
      let vector: Float64Array;
      try {
        vector = contrastVector(model, plus, minus, hook, at);
      } catch (err) {
        throw new UsageError((err as Error).message); // a hook this block shape does not have (resid_mid of a parallel block, …)
      }
      steering = { hook, vector, scale: scale ?? 1 };
      what = `the stream on "${plus.map(name).join(" ")}" − on "${minus.map(name).join(" ")}" (${at === "last" ? "last positions" : "means over positions"})`;
    } else {
      const file = str(values, "sae");
      if (file === undefined) throw new UsageError("--feature needs the SAE it belongs to: --sae FILE");
      for (const flag of ["layer", "hook", "at"]) if (str(values, flag) !== undefined) throw new UsageError(`--${flag} goes with --towards/--away; a feature is added at its SAE's hook point`);
      const sae = loadSae(readBytes(file, "SAE"), model, file);
      const latent = parseInteger(feature, "--feature")!;
      if (latent >= sae.m) throw new UsageError(`--feature ${latent}: this SAE has latents 0 to ${sae.m - 1}`);
      steering = featureSteering(model, sae, latent, ids, scale);
      what = `feature #${latent}'s decoder row (length 1)`;
    }

    const effect = steeringEffect(model, ids, steering);
    const svg = str(values, "svg");
    if (svg !== undefined && !existsSync(dirname(resolve(svg)))) throw new UsageError(`--svg ${svg}: the directory ${displayPath(dirname(resolve(svg)))} does not exist`);
    const sweeping = Boolean(values["sweep"]) || svg !== undefined;
    if (!sweeping) for (const flag of ["scales", "watch"]) if (str(values, flag) !== undefined) throw new UsageError(`--${flag} goes with --sweep (or --svg)`);
    // the sweep's scales: −2 to 4 times the scale, in halves
    const scales = str(values, "scales")?.split(",").map((s) => parseNumber(s.trim(), "--scales")!) ?? Array.from({ length: 13 }, (_, i) => (i / 2 - 2) * steering.scale);
    let watch = str(values, "watch")?.split(",").map((w) => readToken(tok, w.trim(), "--watch", c.vocab_size)) ?? [];
    let sweep = sweeping ? steeringSweep(model, ids, steering.hook, steering.vector, scales, watch) : null;
    if (svg !== undefined && sweep !== null) {
      // the plot follows the tokens asked for and every token that leads at some scale
      watch = [...new Set([...watch, ...sweep.map((s) => s.top)])];
      sweep = steeringSweep(model, ids, steering.hook, steering.vector, scales, watch);
      const points = sweep.flatMap((s) => s.watched.map((p, i) => ({ scale: s.scale, token: name(watch[i]!), p })));
      writeFileAtomic(svg, await renderSvg(steeringSweepSpec(points, `minigpt steer · ${steering.hook}`, [what, `next token after "${ids.map(name).join(" ").slice(-60)}"`])));
    }

    const maxNew = parseInteger(str(values, "max-new"), "--max-new") ?? 8;
    const temperature = parseNumber(str(values, "temperature"), "--temperature") ?? 0;
    const seed = parseInteger(str(values, "seed"), "--seed") ?? 0;
    const { eos } = specialTokens(metadata, c.vocab_size);
    const room = Math.min(maxNew, c.context_len - ids.length);
    const continuation = (hooks: Steering[]): number[] =>
      generate(model, ids, { maxNew: room, temperature, seed, stopAt: eos, ...(hooks.length === 0 ? {} : { hooks: steeringHooks(hooks) }) }).generated;
    const plain = continuation([]), steered = continuation([steering]);

    const top = (p: Float64Array): { id: number; p: number }[] => [...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, 5).map((id) => ({ id, p: p[id]! }));
    if (values["json"]) {
      printJson({
        checkpoint: path, ids, hook: steering.hook, scale: steering.scale, direction: what, vector: [...steering.vector],
        added_norm: effect.addedNorm, activation_norm: effect.activationNorm, kl: effect.kl,
        before: top(effect.before), after: top(effect.after), raised: effect.raised, lowered: effect.lowered,
        sweep, continuation: { unsteered: plain, steered },
      });
      return;
    }
    const words = usesVerbGrammar(tok, c.vocab_size);
    const written = (gen: number[]): string => (words ? gen.map(name).join(" ") : JSON.stringify(tok.decode(gen)));
    const b = top(effect.before), a = top(effect.after);
    const shifts = [...effect.raised, ...effect.lowered];
    const most = Math.max(1e-9, ...shifts.map((s) => Math.abs(s.delta)));
    const lines = [
      `${path}  ·  steering at ${steering.hook}: ${signed(steering.scale, 2)} × ${what}`,
      `added at every position: a vector of norm ${effect.addedNorm.toFixed(2)}; the activation there averages ${effect.activationNorm.toFixed(2)} over the input's positions`,
      "",
      `next token after: ${ids.map(name).join(" ")}`,
      table(["", "unsteered", "", "steered", ""], b.map((x, i) => [String(i + 1), name(x.id), percent(x.p), name(a[i]!.id), percent(a[i]!.p)]), [0, 2, 4]),
      `KL(steered ‖ unsteered) ${effect.kl.toFixed(3)} nats`,
      "",
      table(["token", "Δ log p", ""], shifts.map((s) => [name(s.id), signed(s.delta, 2), signedBar(s.delta, most, 10)]), [1]),
    ];
    if (svg !== undefined) lines.push("", `the sweep plotted: ${displayPath(resolve(svg))}`);
    if (sweep !== null) {
      lines.push("", table(["scale", "top token", "p", ...watch.map(name)], sweep.map((s) => [signed(s.scale, 2), name(s.top), percent(s.p), ...s.watched.map((p) => percent(p))]), [0, 2, ...watch.map((_, i) => 3 + i)]));
    }
    const how = temperature === 0 ? "greedy" : `temperature ${temperature}, seed ${seed}`;
    lines.push("", `continuation (${how}, up to ${room} tokens):`, `  unsteered  ${written(plain)}`, `  steered    ${written(steered)}`);
    process.stdout.write(lines.join("\n") + "\n");
  },
};
