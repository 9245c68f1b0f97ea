/** Command-line flags of the experiment scripts: `--name VALUE`, a bad number exits with code 2. */
export function experimentFlags(args: readonly string[]): { num: (name: string, def: number) => number; text: (name: string, def: string) => string; has: (name: string) => boolean } {
  return {
    num(name, def) {
      const i = args.indexOf(name);
      if (i < 0) return def;
      const v = Number(args[i + 1]);
      if (!Number.isFinite(v)) {
        process.stderr.write(`experiment: ${name} needs a number, got '${args[i + 1]}'\n`);
        process.exit(2);
      }
      return v;
    },
    text(name, def) {
      const i = args.indexOf(name);
      return i >= 0 ? String(args[i + 1]) : def;
    },
    has: (name) => args.includes(name),
  };
}
