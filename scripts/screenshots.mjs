// npm run screenshots: run the explorer's end-to-end tests (they write every screenshot to
// dist-web-screenshots/ as they go), then copy the images the README shows into docs/screenshots/.
// One command, so the README's pictures are always of the page as it is.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";

const run = spawnSync("npx", ["vitest", "run", "test/web/explorer.test.ts"], { stdio: "inherit" });
if (run.status !== 0) process.exit(run.status ?? 1);
const from = new URL("../dist-web-screenshots/", import.meta.url), to = new URL("../docs/screenshots/", import.meta.url);
mkdirSync(to, { recursive: true });
const shots = readdirSync(from).filter((f) => f.endsWith(".png"));
for (const f of shots) copyFileSync(new URL(f, from), new URL(f, to));
console.log(`copied ${shots.length} screenshots to docs/screenshots/: ${shots.join(", ")}`);
