/** One line of the benchmark table: a figure, and the target it is checked against when it has one. */
export interface Row {
  readonly group: string;
  readonly metric: string;
  readonly value: string;
  readonly target?: string;
  readonly ok?: boolean;
}

/** Prints rows as an aligned table (for a benchmark run alone). */
export function printRows(rows: readonly Row[]): void {
  const header: Row = { group: "group", metric: "metric", value: "value", target: "target" };
  const all = [header, ...rows];
  const width = (k: keyof Row): number => Math.max(...all.map((r) => String(r[k] ?? "").length));
  const [wg, wm, wv, wt] = [width("group"), width("metric"), width("value"), width("target")];
  const line = (r: Row, mark: string): string =>
    `${r.group.padEnd(wg)}  ${r.metric.padEnd(wm)}  ${r.value.padEnd(wv)}  ${(r.target ?? "").padEnd(wt)}  ${mark}`.trimEnd();
  console.log(line(header, ""));
  console.log("-".repeat(wg + wm + wv + wt + 12));
  for (const r of rows) console.log(line(r, r.ok === undefined ? "" : r.ok ? "ok" : "MISSED"));
}
