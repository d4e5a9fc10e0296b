// The explorer's entry point: pick the WebAssembly SIMD kernels where the browser has them (the
// fma flavour where it has relaxed SIMD, as current Chromium does; helper threads where the page
// is cross-origin isolated), mount the app.

import { mount } from "svelte";
import { setKernels, wasmSimdSupported } from "minigpt";
import App from "./App.svelte";
import { pageKernels } from "./lib/threads.js";
import "./style.css";

if (wasmSimdSupported()) setKernels(pageKernels());
mount(App, { target: document.getElementById("app")! });
