// Runs before every test file: turn on relaxed SIMD as bin/minigpt does on Node 20, so the tests
// see the kernels users get by default (fma) and can pick either flavour.

import { setFlagsFromString } from "node:v8";
import { relaxedSimdSupported } from "../src/tensor/wasm-module.js";

if (!relaxedSimdSupported()) setFlagsFromString("--experimental-wasm-relaxed-simd");
