// The explorer's build: Svelte components, the library imported by its package name (resolved to
// ../src/index.ts, the one public surface), and the shipped checkpoint bundled as an asset so the
// page works offline.

import { svelte } from "@sveltejs/vite-plugin-svelte";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The two headers that make the page cross-origin isolated; any host of dist-web/ should send them. */
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  base: "./",
  plugins: [svelte()],
  resolve: { alias: { minigpt: fileURLToPath(new URL("../src/index.ts", import.meta.url)) } },
  build: { outDir: "../dist-web", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2000 },
  worker: { format: "es" },
  // Cross-origin isolation, so the page may share WebAssembly memory with its helper threads.
  server: { host: "127.0.0.1", port: 5173, fs: { allow: [".."] }, headers: ISOLATION },
  preview: { host: "127.0.0.1", port: 4173, headers: ISOLATION },
  assetsInclude: ["**/*.safetensors"],
});
