// The same Mini-GPT written in TensorFlow.js ops, loaded with our weights: the peer for the
// forward and training-step benchmarks (TF.js CPU and WASM backends).

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import type { MiniGPT } from "../src/model/minigpt.js";

export interface TfPeer {
  forward(ids: number[][]): tf.Tensor; // [B, T, V]
  /** Training needs the embedding as oneHot · W_E (no gather gradient on the WASM backend); the locked config only. */
  trainStep(ids: number[][], targets: Int32Array): void;
  /** Free the weights (a GPT-2-sized peer holds half a gigabyte). */
  dispose(): void;
}

export async function useTfBackend(name: "cpu" | "wasm"): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

export function tfPeer(model: MiniGPT): TfPeer {
  const c = model.config;
  // The locked configuration's options, and GPT-2's (learned positions, attention biases, tanh GELU).
  if (!(c.positional === "rope" || c.positional === "learned") || c.norm !== "pre" || !c.mlp_bias || !c.tied_embeddings) {
    throw new Error("the TF.js peer implements Pre-LN, tied models with RoPE or learned positions only");
  }
  const d = c.d_model, H = c.n_heads, dh = d / H;
  const v = new Map([...model.stateDict()].map(([name, t]) => [name, tf.variable(tf.tensor(Array.from(t.data), [...t.shape]), true)]));
  const p = (name: string): tf.Variable => v.get(name)!;
  const T = c.context_len, half = dh / 2;
  const cosT = new Float32Array(T * dh), sinT = new Float32Array(T * dh);
  for (let pos = 0; pos < T; pos++) for (let i = 0; i < half; i++) {
    const a = pos * Math.pow(c.rope_base, (-2 * i) / dh);
    cosT[pos * dh + i] = cosT[pos * dh + i + half] = Math.cos(a);
    sinT[pos * dh + i] = sinT[pos * dh + i + half] = Math.sin(a);
  }
  const cosAll = tf.tensor2d(cosT, [T, dh]), sinAll = tf.tensor2d(sinT, [T, dh]);
  const maskAll = tf.tensor2d(Float32Array.from({ length: T * T }, (_, k) => (k % T > Math.floor(k / T) ? -1e9 : 0)), [T, T]);

  const ln = (x: tf.Tensor, prefix: string): tf.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, c.ln_eps))), p(`${prefix}.w`)), p(`${prefix}.b`));
  };
  const rope = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor => {
    const [x1, x2] = tf.split(x, 2, -1) as [tf.Tensor, tf.Tensor];
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
  };
  const gelu = (x: tf.Tensor): tf.Tensor =>
    c.activation === "gelu"
      ? tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1))
      : tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
  // W_Q/K/V [H, d, dh] as one [d, H·dh] matrix: made once for inference, in the graph for training
  const flatHeads = (W: tf.Tensor): tf.Tensor => tf.reshape(tf.transpose(W, [1, 0, 2]), [d, H * dh]);
  const inferenceHeads = new Map([...v].filter(([name]) => /attn\.W_[QKV]$/.test(name)).map(([name, W]) => [name, flatHeads(W)]));
  const heads = (name: string, training: boolean): tf.Tensor => (training ? flatHeads(p(name)) : inferenceHeads.get(name)!);
  const unembed = tf.transpose(p("embed.W_E"));
  const forward = (ids: number[][], training = false): tf.Tensor => {
    const B = ids.length, L = ids[0]!.length;
    const mask = tf.slice(maskAll, [0, 0], [L, L]);
    // Training looks up embeddings as oneHot · W_E: TF.js's WASM backend has no gradient kernel for gather.
    const flatIds = tf.tensor1d(ids.flat(), "int32");
    let h = tf.reshape(training ? tf.matMul(tf.oneHot(flatIds, c.vocab_size), p("embed.W_E")) : tf.gather(p("embed.W_E"), flatIds), [B, L, d]);
    if (c.positional === "learned") h = tf.add(h, tf.slice(p("pos_embed.W_pos"), [0, 0], [L, d]));
    const [cos, sin] = c.positional === "rope" ? [tf.slice(cosAll, [0, 0], [L, dh]), tf.slice(sinAll, [0, 0], [L, dh])] : [null, null];
    for (let l = 0; l < c.n_layers; l++) {
      const x = tf.reshape(ln(h, `blocks.${l}.ln1`), [B * L, d]);
      const proj = (W: "Q" | "K" | "V"): tf.Tensor => {
        // one [B·L, d] · [d, H·dh] product, then heads to the front: [B, H, L, dh]
        const y = tf.transpose(tf.reshape(tf.matMul(x, heads(`blocks.${l}.attn.W_${W}`, training)), [B, L, H, dh]), [0, 2, 1, 3]);
        const withBias = c.attn_bias ? tf.add(y, tf.reshape(p(`blocks.${l}.attn.b_${W}`), [1, H, 1, dh])) : y;
        return cos !== null && sin !== null && W !== "V" ? rope(withBias, cos, sin) : withBias;
      };
      const q = proj("Q"), k = proj("K"), vv = proj("V");
      const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)), mask);
      const z = tf.matMul(tf.softmax(scores), vv); // [B, H, L, dh]
      const flat = tf.reshape(tf.transpose(z, [0, 2, 1, 3]), [B * L, H * dh]);
      const o = tf.matMul(flat, tf.reshape(p(`blocks.${l}.attn.W_O`), [H * dh, d]));
      h = tf.add(h, tf.reshape(c.attn_bias ? tf.add(o, p(`blocks.${l}.attn.b_O`)) : o, [B, L, d]));
      const x2 = tf.reshape(ln(h, `blocks.${l}.ln2`), [B * L, d]);
      const pre = tf.add(tf.matMul(x2, p(`blocks.${l}.mlp.W_in`)), p(`blocks.${l}.mlp.b_in`));
      const act = gelu(pre);
      h = tf.add(h, tf.reshape(tf.add(tf.matMul(act, p(`blocks.${l}.mlp.W_out`)), p(`blocks.${l}.mlp.b_out`)), [B, L, d]));
    }
    const out = tf.reshape(ln(h, "ln_final"), [B * L, d]);
    // inference multiplies by W_Eᵀ stored once (as the ONNX export does; TF.js's WASM backend
    // is 8× slower on a transposed right operand); training by W_E itself, so its gradient flows
    const logits = training ? tf.matMul(out, p("embed.W_E"), false, true) : tf.matMul(out, unembed);
    return tf.reshape(logits, [B, L, c.vocab_size]);
  };
  const optimizer = tf.train.adam(1e-3, 0.9, 0.95, 1e-8);
  return {
    forward: (ids) => tf.tidy(() => forward(ids)),
    dispose: () => {
      for (const x of [...v.values(), ...inferenceHeads.values(), unembed, cosAll, sinAll, maskAll]) x.dispose();
      optimizer.dispose();
    },
    trainStep: (ids, targets) => {
      tf.tidy(() => {
        const B = ids.length, L = ids[0]!.length;
        optimizer.minimize(() => {
          const logits = tf.reshape(forward(ids, true), [B * L, c.vocab_size]);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, "int32"), c.vocab_size), logits) as tf.Scalar;
        });
      });
    },
  };
}
