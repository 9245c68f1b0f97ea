/**
 * Reads tendon's ROS 2 launch files without ROS: the XML subset they use (`<arg>`, `<include>`
 * with `<arg>`, `<executable cmd>`, the `$(var)` and `$(dirname)` substitutions), resolved as
 * `ros2 launch` resolves them. Anything else is an error, so that a launch file this reader does
 * not understand fails the test instead of being half-checked.
 */
import fs from "node:fs";
import path from "node:path";

interface XmlElement {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
}

const ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'" };

/** A small XML parser: elements, attributes, comments, declarations; text content is ignored. */
export function parseXml(text: string, file: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why} (at offset ${i})`);
  };
  const skipMisc = (): void => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text.startsWith("<!--", i)) {
        const end = text.indexOf("-->", i);
        if (end < 0) fail("unclosed comment");
        i = end + 3;
      } else if (text.startsWith("<?", i)) {
        const end = text.indexOf("?>", i);
        if (end < 0) fail("unclosed declaration");
        i = end + 2;
      } else if (i < text.length && text[i] !== "<") {
        // text content (none in these files but whitespace)
        const next = text.indexOf("<", i);
        if (text.slice(i, next < 0 ? undefined : next).trim() !== "") fail("unexpected text");
        i = next < 0 ? text.length : next;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (text[i] !== "<") fail("expected an element");
    i++;
    const tag = /^[A-Za-z_][\w.-]*/.exec(text.slice(i))?.[0] ?? fail("expected a tag name");
    i += tag.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      while (/\s/.test(text[i])) i++;
      if (text.startsWith("/>", i)) {
        i += 2;
        return { tag, attrs, children: [] };
      }
      if (text[i] === ">") {
        i++;
        break;
      }
      const m = /^([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"/.exec(text.slice(i)) ?? fail(`bad attribute in <${tag}>`);
      if (m[1] in attrs) fail(`attribute ${m[1]} twice in <${tag}>`);
      attrs[m[1]] = m[2].replace(/&\w+;/g, (e) => ENTITIES[e] ?? fail(`unknown entity ${e}`));
      i += m[0].length;
    }
    const children: XmlElement[] = [];
    for (;;) {
      skipMisc();
      if (text.startsWith(`</${tag}`, i)) {
        i = text.indexOf(">", i) + 1;
        return { tag, attrs, children };
      }
      if (i >= text.length) fail(`<${tag}> is not closed`);
      children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i < text.length) fail("content after the root element");
  return root;
}

export interface LaunchedProcess {
  /** The `name` attribute. */
  readonly name: string;
  readonly argv: readonly string[];
  /** The launch file that declared it. */
  readonly file: string;
}

/** Resolves a launch file with the given launch arguments, as `ros2 launch FILE a:=b` would. */
export function resolveLaunchFile(file: string, args: Readonly<Record<string, string>> = {}): LaunchedProcess[] {
  const root = parseXml(fs.readFileSync(file, "utf8"), file);
  if (root.tag !== "launch") throw new Error(`${file}: the root element is <${root.tag}>, not <launch>`);
  const vars = new Map<string, string>();
  const dirname = path.dirname(path.resolve(file));
  const subst = (value: string): string =>
    value.replace(/\$\(([^)]*)\)/g, (_m, inner: string) => {
      const [fn, ...rest] = inner.trim().split(/\s+/);
      if (fn === "dirname" && rest.length === 0) return dirname;
      if (fn === "var" && rest.length === 1) {
        const v = vars.get(rest[0]);
        if (v === undefined) throw new Error(`${file}: $(var ${rest[0]}) is not declared before its use`);
        return v;
      }
      throw new Error(`${file}: unsupported substitution $(${inner})`);
    });
  const unknownArgs = new Set(Object.keys(args));
  const out: LaunchedProcess[] = [];
  for (const el of root.children) {
    switch (el.tag) {
      case "arg": {
        const name = el.attrs.name ?? "";
        if (!name) throw new Error(`${file}: <arg> without a name`);
        unknownArgs.delete(name);
        const value = args[name] ?? (el.attrs.default !== undefined ? subst(el.attrs.default) : undefined);
        if (value === undefined) throw new Error(`${file}: launch argument '${name}' has no default and was not given`);
        vars.set(name, value);
        break;
      }
      case "include": {
        const target = subst(el.attrs.file ?? "");
        const inner: Record<string, string> = {};
        for (const a of el.children) {
          if (a.tag !== "arg" || a.attrs.name === undefined || a.attrs.value === undefined) throw new Error(`${file}: <include> takes <arg name value> only`);
          inner[a.attrs.name] = subst(a.attrs.value);
        }
        out.push(...resolveLaunchFile(target, inner));
        break;
      }
      case "executable": {
        const cmd = el.attrs.cmd;
        if (!cmd || el.children.length > 0) throw new Error(`${file}: <executable> needs cmd and no children`);
        out.push({ name: el.attrs.name ?? "", argv: subst(cmd).trim().split(/\s+/), file });
        break;
      }
      default:
        throw new Error(`${file}: <${el.tag}> is not supported by this reader`);
    }
  }
  if (unknownArgs.size > 0) throw new Error(`${file}: no launch argument named ${[...unknownArgs].join(", ")}`);
  return out;
}
