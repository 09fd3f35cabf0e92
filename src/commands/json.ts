// JSON for stdout. JSON.stringify escapes C0 controls but writes DEL, the C1 controls (U+0080-U+009F,
// which some terminals obey: U+009B is CSI) and the line separators U+2028/9 as they are: a session
// or process name could then still drive a terminal that shows `--json` output. Escaped here, the
// JSON is the same value for every parser.

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;

export function toJson(value: unknown, indent?: number): string {
  const s = JSON.stringify(value, null, indent);
  return s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
