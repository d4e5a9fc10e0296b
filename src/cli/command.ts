// The shape of a command: its flags (node:util parseArgs options), its usage, its run.

export type Flag = { type: "string"; short?: string } | { type: "boolean"; short?: string };

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, Flag>>;
  run(values: Readonly<Record<string, string | boolean | undefined>>): void | Promise<void>;
}

export function str(values: Readonly<Record<string, string | boolean | undefined>>, key: string): string | undefined {
  const v = values[key];
  return typeof v === "string" ? v : undefined;
}
