/**
 * The ROS 2 message definitions of every type tendon publishes (src/transport/messages.ts), taken
 * from @foxglove/rosmsg-msgs-common (ROS 2 Jazzy; identical to Humble for these types), and the
 * schema text MCAP files and the Foxglove WebSocket protocol carry for them ("ros2msg" encoding):
 * the type's .msg text, then for each dependency a line of 80 '=', a line "MSG: pkg/Type", and its
 * text. Field types are written as a ROS 2 .msg file writes them (`builtin_interfaces/Time stamp`).
 */
import type { MessageDefinition, MessageDefinitionField } from "@foxglove/message-definition";
import { ros2jazzy } from "@foxglove/rosmsg-msgs-common";
import { MESSAGE_TYPE_NAMES, type MessageTypeName } from "../transport/messages.js";

export const SCHEMA_ENCODING = "ros2msg";
export const MESSAGE_ENCODING = "cdr";
const SEPARATOR = "=".repeat(80);

/** "sensor_msgs/msg/JointState" -> "sensor_msgs/JointState" (the key in rosmsg-msgs-common, and the form .msg files use). */
export function shortTypeName(type: string): string {
  return type.replace("/msg/", "/");
}

const common = ros2jazzy as unknown as Readonly<Record<string, MessageDefinition>>;

/** The definition of a field's type as written in ROS 2 .msg text ("time" is builtin_interfaces/Time there). */
function fieldTypeText(field: MessageDefinitionField): string {
  if (field.type === "time") return "builtin_interfaces/Time";
  if (field.type === "duration") return "builtin_interfaces/Duration";
  return field.type;
}

function dependencyOf(field: MessageDefinitionField): string | undefined {
  if (field.isConstant) return undefined;
  if (field.isComplex) return field.type;
  if (field.type === "time") return "builtin_interfaces/Time";
  if (field.type === "duration") return "builtin_interfaces/Duration";
  return undefined;
}

function lookup(shortName: string): MessageDefinition {
  const def = common[shortName];
  if (!def) throw new Error(`no ROS 2 definition of '${shortName}'`);
  return def;
}

/** The root definition and every type it depends on, root first, each dependency once (in order of first use). */
export function definitionsFor(type: MessageTypeName | string): MessageDefinition[] {
  const root = lookup(shortTypeName(type));
  const out: MessageDefinition[] = [root];
  const seen = new Set<string>([root.name ?? ""]);
  for (let i = 0; i < out.length; i++) {
    for (const field of out[i].definitions) {
      const dep = dependencyOf(field);
      if (dep && !seen.has(dep)) {
        seen.add(dep);
        out.push(lookup(dep));
      }
    }
  }
  return out;
}

function messageText(def: MessageDefinition): string {
  const lines: string[] = [];
  for (const f of def.definitions) {
    if (f.isConstant) {
      lines.push(`${f.type} ${f.name}=${f.valueText ?? String(f.value)}`);
      continue;
    }
    let suffix = "";
    if (f.isArray) suffix = f.arrayLength !== undefined ? `[${f.arrayLength}]` : f.arrayUpperBound !== undefined ? `[<=${f.arrayUpperBound}]` : "[]";
    const bound = f.upperBound !== undefined ? `<=${f.upperBound}` : "";
    lines.push(`${fieldTypeText(f)}${bound}${suffix} ${f.name}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The "ros2msg" schema text of a type: its definition, then every dependency after a separator. */
export function schemaText(type: MessageTypeName | string): string {
  const [root, ...deps] = definitionsFor(type);
  let text = messageText(root);
  for (const dep of deps) text += `${SEPARATOR}\nMSG: ${dep.name}\n${messageText(dep)}`;
  return text;
}

/** Every type tendon uses and its schema text, for golden tests and for channels advertised up front. */
export function allSchemaTexts(): Record<MessageTypeName, string> {
  return Object.fromEntries(MESSAGE_TYPE_NAMES.map((t) => [t, schemaText(t)])) as Record<MessageTypeName, string>;
}
