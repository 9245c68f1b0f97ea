/**
 * "Did you mean ...?" for names a person typed: a parameter, a preset, a node, a model.
 */

/**
 * The known name closest to a likely typo, or undefined when none is close: the same name up to
 * case, `_`, `-` and spaces, or at most one edit per three letters (insert, delete, substitute,
 * swap two neighbours).
 */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  const squash = (s: string): string => s.toLowerCase().replace(/[_\-\s]/g, "");
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (squash(candidate) === squash(name)) return candidate;
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** " (did you mean 'x'?)" when there is a close name, "" otherwise; `quote` wraps the name. */
export function didYouMean(name: string, known: readonly string[], quote: (s: string) => string = (s) => `'${s}'`): string {
  const hint = suggestName(name, known);
  return hint ? ` (did you mean ${quote(hint)}?)` : "";
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
