// The round of every live run's checkpoint directory on one host in ONE script whose cost on the host
// does not grow with the number of directories: one `find` over all of them (each directory a starting
// point), one `tr`, one `awk` that sums each directory apart (keyed by find's %H, the starting point
// the entry was found under), one `df -P -k` with every directory as an operand (one line each, in
// operand order), and the host's clock once. What is tested per directory (exists, is a directory,
// has a `latest` file) uses shell builtins only; awk reads the `latest` files itself.
// Each directory's part is handed back in the single listing's format (src/parse/checkpoints.ts), so a
// directory listed in a round reads exactly as one listed alone.
import { MARK_AGG, MARK_CUT, MARK_DF, MARK_ITER, MARK_LATEST, MARK_NODIR, MARK_NOTDIR, MARK_NOW, MARK_STAT } from '../parse/checkpoints.js';
import { remoteOperand, shq } from '../remote/quote.js';

/** Bounds, as for one listing: lines printed per directory, depth, and files read in the whole round. */
export interface RoundBounds {
  maxEntries: number;
  maxFiles: number;
  maxDepth: number;
}

// Records alternate: the starting point (%H), then `type<TAB>size<TAB>mtime<TAB>path` (newlines are \001
// in both by then). The starting points come from the environment (RTK_CK<i>, exact bytes: -v would
// read backslashes as escapes). Per directory as one listing does: a top-level entry prints as it is,
// under one only samples, and the totals at the end. No single quote in here: it travels in them.
const AWK = String.raw`function hdr(w, i) { print "@@RTKMANY " nonce " " w " " i }
function rd(name, w, i,   f, s, l) {
  if (!(("RTK_" w i) in ENVIRON) || ((i SUBSEP name) in big)) return
  f = ENVIRON["RTK_CK" i] "/" name; s = ""
  while (length(s) < 64 && (getline l < f) > 0) s = s l "\n"
  close(f); s = substr(s, 1, 64); gsub(/[^A-Za-z0-9_.=-]/, "", s)
  hdr(w, i); print s
}
BEGIN {
  FS = "\t"; di = -1; hd = "\n"; if (nul) RS = "\0"
  for (i = 0; i < nd; i++) { v = "RTK_CK" i; if (v in ENVIRON) { h = ENVIRON[v]; gsub(/\n/, "\001", h); idx[h] = i; live[i] = 1 } }
}
nul && index($0, "\n") { gsub(/\n/, "\001") }
NR > 2 * maxf { over = 1; exit }
NR % 2 == 1 {
  if ($0 != hd) { hd = $0; di = (hd in idx) ? idx[hd] : -1; if (di >= 0) { got[di] = 1; hdr("agg", di) } }
  next
}
di < 0 { next }
{
  p = $0; sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, "", p)
  if (p == "") next
  if ((p == "latest" || p == "latest_checkpointed_iteration.txt") && $1 == "f" && $2 + 0 > 65536) big[di SUBSEP p] = 1
  i = index(p, "/")
  if (i == 0) { if (++out[di] <= lim) print; else cut[di] = 1; next }
  top = substr(p, 1, i - 1); rest = substr(p, i + 1); t = di SUBSEP top
  if (!(t in n)) { if (k[di] >= lim) { cut[di] = 1; next } order[di, ++k[di]] = top; n[t] = 0; sz[t] = 0; mt[t] = 0 }
  if ($1 == "f") { n[t]++; sz[t] += $2 }
  if ($3 + 0 > mt[t]) mt[t] = $3 + 0
  base = p; sub(/.*\//, "", base)
  ext = ""; if (base ~ /\./) { ext = base; sub(/.*\./, "", ext) }
  cls = (base ~ /optim|rng_state|scheduler|scaler|training_args/) ? "s" : "w"
  key = t SUBSEP $1 SUBSEP ext SUBSEP cls
  show = 0
  if (index(rest, "/") == 0) { if (++second[t] <= 8) show = 1 }
  if (!(key in seen)) { seen[key] = 1; show = 1 }
  if (base ~ /^(latest|\.metadata)$/ || base ~ /\.(tmp|incomplete|partial|part)$/ || base ~ /^tmp[-_]/) show = 1
  if (show) { if (++out[di] <= lim) print; else cut[di] = 1 }
}
END {
  if (over && di >= 0) cut[di] = 1
  for (i = 0; i < nd; i++) {
    if (!(i in live)) continue
    if (!(i in got)) { hdr("unread", i); continue }
    hdr("agg", i)
    for (x = 1; x <= k[i]; x++) { top = order[i, x]; t = i SUBSEP top; printf "A\t%.0f\t%.3f\t%d\t%s\n", sz[t], mt[t], n[t], top }
    if (i in cut) print "${MARK_CUT}"
    rd("latest", "latest", i); rd("latest_checkpointed_iteration.txt", "iter", i)
  }
}`;

/**
 * The POSIX sh script of one round over `dirs` (distinct). Output: sections `@@RTKMANY <nonce> <what>
 * [<i>...]` (now, gone I nodir|notdir, agg I, stat I, latest I, iter I, unread I, df I J ...), read by
 * splitRound. Where find has no -printf (BSD, busybox) each directory is globbed with stat as one
 * listing does, a few processes per directory.
 */
export function roundScript(dirs: readonly string[], nonce: string, b: RoundBounds, o: { now?: number | null; gnuFind?: boolean; awkNul?: boolean } = {}): string {
  const now = o.now ?? null;
  const awkVars = `-v lim=${b.maxEntries} -v maxf=${b.maxFiles} -v nd=${dirs.length} -v nonce=${nonce}`;
  const globs = '* */* */*/* */*/*/* */*/*/*/* */.metadata */*/.metadata';
  const lines = ['LC_ALL=C; export LC_ALL', `N=${nonce}`, 'ix=', 'set --', 'echo "@@RTKMANY $N now"', now !== null && Number.isSafeInteger(now) ? `echo ${now}` : 'date +%s'];
  dirs.forEach((dir, i) => {
    lines.push(
      `d=${remoteOperand(dir)}`,
      `if [ ! -e "$d" ]; then echo "@@RTKMANY $N gone ${i} nodir"`,
      `elif [ ! -d "$d" ]; then echo "@@RTKMANY $N gone ${i} notdir"`,
      `else set -- "$@" "$d"; ix="$ix ${i}"; RTK_CK${i}=$d; export RTK_CK${i}`,
      `  if [ -f "$d/latest" ]; then RTK_latest${i}=1; export RTK_latest${i}; fi`,
      `  if [ -f "$d/latest_checkpointed_iteration.txt" ]; then RTK_iter${i}=1; export RTK_iter${i}; fi`,
      'fi',
    );
  });
  const fallback = dirs.flatMap((_, i) => [
    `  if [ -n "\${RTK_CK${i}+x}" ]; then d=$RTK_CK${i}; echo "@@RTKMANY $N stat ${i}"`,
    `    ( cd "$d" 2>/dev/null || exit 0`,
    `      if stat -c '%s' . >/dev/null 2>&1; then stat -c '%F|%s|%Y|%n' -- ${globs} 2>/dev/null`,
    `      else stat -f '%HT|%z|%m|%N' -- ${globs} 2>/dev/null; fi | head -n ${b.maxEntries} )`,
    `    if [ -n "\${RTK_latest${i}+x}" ]; then echo "@@RTKMANY $N latest ${i}"; head -c 64 "$d/latest" | tr -cd 'A-Za-z0-9_.=-'; echo; fi`,
    `    if [ -n "\${RTK_iter${i}+x}" ]; then echo "@@RTKMANY $N iter ${i}"; head -c 64 "$d/latest_checkpointed_iteration.txt" | tr -cd 'A-Za-z0-9_.=-'; echo; fi`,
    '  fi',
  ]);
  lines.push(
    'if [ $# -gt 0 ]; then',
    o.gnuFind === true ? 'if true; then' : `if find "$1" -maxdepth 0 -printf '' >/dev/null 2>&1; then`,
    `  echo ${shq(MARK_AGG)}`,
    // an awk that splits records at NUL bytes (gawk, mawk; asked once per host: awkNul) reads find itself, no tr
    o.awkNul !== undefined ? `  nul=${o.awkNul ? 1 : 0}` : `  nul=0; if printf 'a\\000b\\000' | awk 'BEGIN { RS = "\\0" } END { exit NR != 2 }' 2>/dev/null; then nul=1; fi; echo "@@RTKMANY $N awknul $nul"`,
    `  A=${shq(AWK)}`,
    `  F='%H\\0%y\\t%s\\t%T@\\t%P\\0'`,
    `  if [ $nul = 1 ]; then find -H "$@" -maxdepth ${b.maxDepth} -printf "$F" 2>/dev/null | awk -v nul=1 ${awkVars} "$A"`,
    `  else find -H "$@" -maxdepth ${b.maxDepth} -printf "$F" 2>/dev/null | tr '\\n\\000' '\\001\\n' | awk -v nul=0 ${awkVars} "$A"; fi`,
    'else',
    ...fallback,
    'fi',
    'echo "@@RTKMANY $N df$ix"',
    'df -P -k "$@" 2>/dev/null',
    'fi',
    'exit 0',
  );
  return lines.join('\n');
}

/** A listing's lines without any that reads as a mark (stat prints a newline in a name as it is). */
function unmarked(body: string): string {
  if (!body.includes('@@RTK-CKPT ')) return body;
  return body
    .split('\n')
    .filter((l) => !l.startsWith('@@RTK-CKPT ') || l === MARK_CUT)
    .join('\n');
}

/** One directory's part of a round: its text in the single listing's format, or why there is none. */
export type RoundPart = { text: string } | { unread: true };

/**
 * The round's output cut into each directory's part (index → part). A directory with no part at all
 * (the output was cut off) is missing from the map; one the round's file bound stopped before is
 * `unread`. Never throws.
 */
export function splitRound(out: string, nonce: string, count: number): Map<number, RoundPart> {
  const res = new Map<number, RoundPart>();
  const parts = `\n${out}`.split(`\n@@RTKMANY ${nonce} `).slice(1);
  let now = '';
  const gone = new Map<number, string>();
  const agg = new Map<number, string[]>();
  const stat = new Map<number, string[]>();
  const words = new Map<string, string>();
  const df = new Map<number, string>();
  const unread = new Set<number>();
  const index = (w: string | undefined): number | null => {
    const i = Number(w);
    return w !== undefined && /^\d+$/.test(w) && i < count ? i : null;
  };
  parts.forEach((part, k) => {
    const nl = part.indexOf('\n');
    const head = (nl < 0 ? part : part.slice(0, nl)).trim().split(' ');
    // the split took the newline that ended this part's last line
    const body = (nl < 0 ? '' : part.slice(nl + 1)) + (k < parts.length - 1 ? '\n' : '');
    const i = index(head[1]);
    switch (head[0]) {
      case 'now':
        now = body.split('\n')[0]?.trim() ?? '';
        break;
      case 'gone':
        if (i !== null) gone.set(i, head[2] === 'notdir' ? MARK_NOTDIR : MARK_NODIR);
        break;
      case 'agg':
      case 'stat':
        if (i !== null) {
          const m = head[0] === 'agg' ? agg : stat;
          m.set(i, [...(m.get(i) ?? []), unmarked(body)]);
        }
        break;
      case 'latest':
      case 'iter':
        if (i !== null) words.set(`${head[0]} ${i}`, body.split('\n')[0] ?? '');
        break;
      case 'unread':
        if (i !== null) unread.add(i);
        break;
      case 'df': {
        // one `NN%` line per operand, in operand order; any other count (one vanished): none known
        const ix = head.slice(1).map(index);
        const rows = body.split('\n').filter((l) => /\s\d+%(\s|$)/.test(l.trim()) && !/^Filesystem\s/.test(l));
        if (rows.length === ix.length) ix.forEach((k, r) => k !== null && df.set(k, rows[r]!));
        break;
      }
    }
  });
  for (let i = 0; i < count; i++) {
    const g = gone.get(i);
    if (g !== undefined) {
      res.set(i, { text: `${g}\n` });
      continue;
    }
    if (unread.has(i) && !agg.has(i)) {
      res.set(i, { unread: true });
      continue;
    }
    const listing = agg.has(i) ? `${MARK_AGG}\n${agg.get(i)!.join('')}` : stat.has(i) ? `${MARK_STAT}\n${stat.get(i)!.join('')}` : null;
    if (listing === null) continue;
    const latest = words.get(`latest ${i}`);
    const iter = words.get(`iter ${i}`);
    // the listing last: every mark is met before any name from the host
    res.set(i, {
      text: [
        `${MARK_NOW}\n${now}\n`,
        latest !== undefined ? `${MARK_LATEST}\n${latest}\n` : '',
        iter !== undefined ? `${MARK_ITER}\n${iter}\n` : '',
        `${MARK_DF}\n${df.get(i) ?? ''}\n`,
        listing,
      ].join(''),
    });
  }
  return res;
}
