// Build step: compile the WebAssembly kernels from their text source (src/tensor/wasm/kernels.wat)
// with wabt from the npm registry, and emit them as a TypeScript module holding the bytes
// (base64), so Node and the browser load them with no file access or fetch. Four builds of the
// one source: with its own memory or importing a shared memory (for worker threads), each in two
// flavours — strict (f32x4.mul then f32x4.add, the same bits on every machine) and fma, where
// every `a·b + c` written in the source becomes one `f32x4.relaxed_madd` (relaxed SIMD: fused on
// hardware with FMA, so ~1.65× the multiply-adds per cycle, and one rounding instead of two).

import binaryen from "binaryen";
import { readFileSync, writeFileSync } from "node:fs";
import wabtInit from "wabt";

const wabt = await wabtInit();
const dir = new URL("../src/tensor/wasm/", import.meta.url);
const source = readFileSync(new URL("kernels.wat", dir), "utf8");
const OWN = `(memory (export "memory") 1)`;
if (!source.includes(OWN)) throw new Error(`kernels.wat: expected the memory declaration ${OWN}`);
const SHARED = `(import "env" "memory" (memory 1 65536 shared))`;

// Then inline the small vector-math helpers ($exp4 into $erf4 into $gelu4 into the GELU loop,
// …) with Binaryen's inlining pass alone: Node 20's V8 does not inline WebAssembly calls, and a
// call per four lanes spills every live vector. Nothing else is rewritten (no float folding or
// reordering: the same operations in the same order, so the same bits). The matrix tiles stay
// functions: inlined into gemm, V8 would have to keep gemm's locals live around their loops.
function compile(text) {
  const module = wabt.parseWat("kernels.wat", text, { simd: true, threads: true, relaxed_simd: true });
  const { buffer } = module.toBinary({ log: false, write_debug_names: true }); // names: for the no-inline pattern, and profiles
  module.destroy();
  const opt = binaryen.readBinary(new Uint8Array(buffer));
  opt.setFeatures(binaryen.Features.All); // what the input uses is all it can emit: inlining adds no new instructions
  binaryen.setAlwaysInlineMaxSize(400);
  binaryen.setFlexibleInlineMaxSize(400);
  binaryen.setPassArgument("no-inline", "tile*");
  binaryen.setDebugInfo(true); // keep the function names: profiles then name the kernels
  opt.runPasses(["no-inline", "inlining"]);
  if (!opt.validate()) throw new Error("kernels.wat: Binaryen's inlined module does not validate");
  const bytes = opt.emitBinary();
  opt.dispose();
  return Buffer.from(bytes);
}

// ---------- the fma flavour: a rewrite of the folded S-expressions ----------

/** The source as a tree: an atom is a string, a list an array; comments dropped. */
function parse(text) {
  const stack = [[]];
  const re = /\s+|;;[^\n]*|\(;[\s\S]*?;\)|"(?:[^"\\]|\\.)*"|\(|\)|[^\s()";]+/gy;
  let at = 0;
  for (let m; (m = re.exec(text)) !== null; at = re.lastIndex) {
    const t = m[0];
    if (t === "(") stack.push([]);
    else if (t === ")") { const list = stack.pop(); stack.at(-1).push(list); }
    else if (!/^\s|^;;|^\(;/.test(t)) stack.at(-1).push(t);
  }
  if (stack.length !== 1 || at !== text.length) throw new Error(`kernels.wat: unbalanced parentheses or an unreadable token at character ${at}`);
  return stack[0];
}

const print = (node) => (Array.isArray(node) ? `(${node.map(print).join(" ")})` : node);
const isMul = (node) => Array.isArray(node) && node[0] === "f32x4.mul" && node.length === 3;

/** `(f32x4.add c (f32x4.mul a b))`, either order → `(f32x4.relaxed_madd a b c)`; `(f32x4.sub c (f32x4.mul a b))` → `relaxed_nmadd`. */
function fuse(node, count) {
  if (!Array.isArray(node)) return node;
  const n = node.map((child) => fuse(child, count));
  if (n.length === 3 && n[0] === "f32x4.add" && (isMul(n[2]) || isMul(n[1]))) {
    const [mul, c] = isMul(n[2]) ? [n[2], n[1]] : [n[1], n[2]];
    count.n++;
    return ["f32x4.relaxed_madd", mul[1], mul[2], c];
  }
  if (n.length === 3 && n[0] === "f32x4.sub" && isMul(n[2])) {
    count.n++;
    return ["f32x4.relaxed_nmadd", n[2][1], n[2][2], n[1]];
  }
  return n;
}

function fmaFlavour(text) {
  const count = { n: 0 };
  const fused = parse(text).map((node) => print(fuse(node, count))).join("\n");
  return { text: fused, count: count.n };
}

const fma = fmaFlavour(source);
if (!fma.text.includes(OWN)) throw new Error(`kernels.wat: the fma rewrite lost the memory declaration ${OWN}`);
const builds = {
  KERNELS_WASM_BASE64: ["The strict kernels (mul, then add) with their own memory.", compile(source)],
  KERNELS_SHARED_WASM_BASE64: ["The strict kernels importing a shared memory (env.memory), for worker threads.", compile(source.replace(OWN, SHARED))],
  KERNELS_FMA_WASM_BASE64: [`The fma kernels (${fma.count} multiply-adds fused with relaxed_madd) with their own memory.`, compile(fma.text)],
  KERNELS_FMA_SHARED_WASM_BASE64: ["The fma kernels importing a shared memory.", compile(fma.text.replace(OWN, SHARED))],
};
writeFileSync(
  new URL("kernels-binary.ts", dir),
  `// Generated by scripts/build-wasm.mjs from kernels.wat — do not edit; run \`npm run build\`.\n` +
    Object.entries(builds).map(([name, [doc, bytes]]) => `/** ${doc} */\nexport const ${name} = "${bytes.toString("base64")}";\n`).join(""),
);
console.log(`built src/tensor/wasm/kernels-binary.ts (${builds.KERNELS_WASM_BASE64[1].length} bytes of WebAssembly, strict and fma (${fma.count} fused), own and shared memory)`);
