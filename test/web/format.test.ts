// How the views print a signed figure: a sign always (a true minus), none where it rounds to zero.

import { describe, expect, it } from "vitest";
import { signed } from "../../web/src/lib/compute.js";

describe("signed", () => {
  it("prints + and − (U+2212) with the given digits, and no sign on what rounds to zero", () => {
    expect([signed(0.5234, 2), signed(-0.5234, 2), signed(3, 3), signed(-1e-4, 3), signed(4e-4, 3), signed(0, 2), signed(-0.0006, 3)]).toEqual(["+0.52", "−0.52", "+3.000", "0.000", "0.000", "0.00", "−0.001"]);
  });
});
