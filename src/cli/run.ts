// Entry point for ./bin/minigpt.

import { main } from "./main.js";

// A closed pipe (`minigpt trace | head`) is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
