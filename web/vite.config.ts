// The explorer's build: Svelte components, the library imported from ../src, and the shipped
// checkpoint bundled as an asset so the page works offline.

import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  base: "./",
  plugins: [svelte()],
  build: { outDir: "../dist-web", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2000 },
  worker: { format: "es" },
  server: { host: "127.0.0.1", port: 5173, fs: { allow: [".."] } },
  preview: { host: "127.0.0.1", port: 4173 },
  assetsInclude: ["**/*.safetensors"],
});
