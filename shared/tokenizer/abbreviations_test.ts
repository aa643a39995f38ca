import { equal } from "node:assert/strict";
import { isAbbreviation } from "./abbreviations.ts";

Deno.test("isAbbreviation: titles in any case, ambiguous words only capitalised", () => {
  for (const w of ["Mr.", "mr.", "MRS.", "Dr.", "etc.", "vs.", "approx.", "No.", "Jan."]) {
    equal(isAbbreviation(w), true, w);
  }
  for (const w of ["no.", "mar.", "end.", "Mr", "the."]) equal(isAbbreviation(w), false, w);
});
