/**
 * Confusion matrices as text, for the trainer's and `deno task predict`'s reports.
 *
 * @module
 */

/**
 * A confusion matrix as text: one row per true label, one column per predicted label.
 *
 * @example
 * ```ts
 * import { formatConfusion } from "./confusion.ts";
 * console.log(formatConfusion(["ham", "spam"], [[9, 1], [2, 8]]));
 * ```
 */
export function formatConfusion(labels: string[], counts: number[][]): string {
  const cells = [
    ["true \\ predicted", ...labels],
    ...labels.map((l, i) => [l, ...counts[i].map(String)]),
  ];
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  return cells.map((r) =>
    r.map((c, j) => j ? c.padStart(widths[j]) : c.padEnd(widths[j])).join("  ")
  )
    .join("\n");
}
