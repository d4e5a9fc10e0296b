// minigpt neurons: an MLP's neurons at one position — the strongest writers into the stream, how
// strongly each fired, and the tokens its row of W_out pushes up and down directly (interp/neurons.ts).

import { blocksWithMlp, neuronsAt } from "../interp/neurons.js";
import { str, type Command } from "./command.js";
import { parseInteger, printJson, table, UsageError } from "./common.js";
import { INPUT_FLAGS, inspect, signed, signedBar } from "./inspect.js";

export const neuronsCommand: Command = {
  name: "neurons",
  summary: "an MLP's neurons at a position: the strongest writers into the stream, their activations, the tokens each pushes",
  usage:
    "minigpt neurons [--checkpoint FILE] [--ids … | --text \"…\"] [--position P] [--layer L] [--top K] [--json]\n" +
    "  defaults: the last position, the last block with an MLP, the top 10 by ‖activation · W_out[n]‖",
  flags: { ...INPUT_FLAGS, layer: { type: "string" }, top: { type: "string" } },
  run(values) {
    const { model, ids, cache, position, name, path } = inspect(values);
    const c = model.config;
    const withMlp = blocksWithMlp(model);
    if (withMlp.length === 0) throw new UsageError("this model has no MLPs (attention only): it has no neurons");
    const layer = parseInteger(str(values, "layer"), "--layer") ?? withMlp.at(-1)!;
    if (layer >= c.n_layers) throw new UsageError(`--layer ${layer}: this model has ${c.n_layers} blocks, 0 to ${c.n_layers - 1}`);
    const top = parseInteger(str(values, "top"), "--top", 1) ?? 10;
    const r = neuronsAt(model, cache, layer, position, { top });
    if (values["json"]) {
      printJson({ checkpoint: path, ids, ...r });
      return;
    }
    const most = Math.max(...r.neurons.map((n) => Math.abs(n.activation)), 1e-9);
    const tokens = (xs: readonly { id: number; value: number }[]): string => xs.map((x) => `${name(x.id)} ${signed(x.value, 2)}`).join("  ");
    process.stdout.write([
      `${path}  ·  block ${layer}'s MLP at position ${position} ("${name(ids[position]!)}") of: ${ids.map(name).join(" ")}`,
      `${r.positive} of ${r.dFF} neurons positive; the ${r.neurons.length} that wrote the most into the stream:`,
      "",
      table(
        ["neuron", "activation", "", "‖write‖", "pushes up", "pushes down"],
        r.neurons.map((n) => [String(n.neuron), signed(n.activation), signedBar(n.activation, most, 8), n.write.toFixed(3), tokens(n.up), tokens(n.down)]),
        [0, 1, 3],
      ),
      "",
      "write: activation · W_out[neuron], the neuron's additive share of the MLP's output (the rest: the other neurons and b_out).",
      "pushes: W_out[neuron]·W_U per token, before the final norm — the direction, not the prediction.",
    ].join("\n") + "\n");
  },
};
