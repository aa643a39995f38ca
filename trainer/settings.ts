/**
 * A training config's settings as data: every leaf as a dotted name (what the report lists and
 * `--resume` compares), and a JSON patch (a `--config` file, flags) merged in with each key and
 * type checked against the config it changes.
 *
 * @module
 */
import type { TrainConfig } from "./config.ts";

type Json = Record<string, unknown>;

/**
 * Every leaf setting of a nested config as `[dotted name, value]`, in key order; a nested empty
 * object is one leaf. The report lists these; `--resume` compares them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settingEntries } from "./settings.ts";
 * assert.deepEqual(settingEntries({ seed: 42, classify: { lr: 0.01 }, extra: {} }), [
 *   ["seed", 42], ["classify.lr", 0.01], ["extra", {}],
 * ]);
 * ```
 */
export function settingEntries(value: unknown, prefix = ""): [string, unknown][] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [[prefix, value]];
  const entries = Object.entries(value);
  if (entries.length === 0) return prefix ? [[prefix, {}]] : [];
  return entries.flatMap(([k, v]) => settingEntries(v, prefix ? `${prefix}.${k}` : k));
}

/** Deep-merges `patch` into `base`, refusing keys the config does not have. */
export function mergeConfig(base: TrainConfig, patch: Json, where: string): TrainConfig {
  const out = structuredClone(base) as unknown as Json;
  const walk = (target: Json, p: Json, path: string) => {
    for (const [k, v] of Object.entries(p)) {
      if (!(k in target)) {
        throw new Error(
          `Cannot read ${where}: unknown setting "${path}${k}"; valid ones are ${
            Object.keys(target).join(", ")
          }`,
        );
      }
      const cur = target[k];
      if (cur && typeof cur === "object" && !Array.isArray(cur)) {
        if (!v || typeof v !== "object" || Array.isArray(v)) {
          throw new Error(`Cannot read ${where}: "${path}${k}" must be an object`);
        }
        walk(cur as Json, v as Json, `${path}${k}.`);
      } else {
        if (typeof cur !== typeof v || Array.isArray(cur) !== Array.isArray(v)) {
          throw new Error(
            `Cannot read ${where}: "${path}${k}" must be a ${
              Array.isArray(cur) ? "list" : typeof cur
            }, got ${JSON.stringify(v)}`,
          );
        }
        // Sizes, rates, budgets and fractions alike: none is meaningful below zero.
        if (typeof v === "number" && !(v >= 0 && v < Infinity)) {
          throw new Error(`Cannot read ${where}: "${path}${k}" must be a number ≥ 0, got ${v}`);
        }
        target[k] = v;
      }
    }
  };
  walk(out, patch, "");
  return out as unknown as TrainConfig;
}
