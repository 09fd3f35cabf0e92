// The run card as rows: one run whole, for the monitor's `i` view and `rtk-tui show`. Header (state,
// command, directory, progress, rate), the metrics table, braille charts over the whole run side by
// side as the width allows, GPUs, processes, checkpoints, alerts and events. Pure.
import type { CardJob, MetricSummary, RunCard, SeriesPoint } from '../domain/run-card.js';
import { localStamp } from '../parse/units.js';
import { brailleChart, sparkline } from './chart.js';
import { bar, bytes, compactNumber, duration, gib, stateLabel } from './format.js';
import { RowBuilder, textRow, type Row } from './rows.js';
import type { Tok } from './theme.js';
import { fit, wrapWords } from './text.js';

export interface CardLayout {
  /** Content width and the height charts may take (rows of the screen less the fixed parts). */
  w: number;
  h: number;
  now: number;
  /** Loss charts on a log scale. */
  log: boolean;
}

const STATE_TOK: Record<string, Tok> = { pending: 'dim', running: 'ok', stalled: 'warn', finished: 'accent', failed: 'err', unknown: 'dim' };

/** Every row of the card (more than h when it is long: the caller scrolls). */
export function cardRows(card: RunCard, o: CardLayout): Row[] {
  const { w } = o;
  const run = card.run;
  const rows: Row[] = [];
  const head = new RowBuilder(w).add(' ').add(stateLabel(run), STATE_TOK[run.state]);
  const started = card.startedAt === null ? null : new Date(card.startedAt);
  if (started !== null && Number.isFinite(started.getTime())) head.add(`  started ${localStamp(started).slice(0, 16)}`, 'dim').add(` (${duration(card.elapsedSeconds ?? 0)} ago)`, 'dim');
  if (run.lastOutputSecondsAgo !== null) head.add(` · last output ${duration(run.lastOutputSecondsAgo)} ago`, 'dim');
  if (run.attachedClients > 0) head.add(` · ${run.attachedClients} attached`, 'dim');
  rows.push(head.row());
  const unknownCmd = card.job ? '(not known: scontrol gave no Command and no batch script)' : '(not known: not started by rtk-tui, and no process in its pane)';
  rows.push(labelled('cmd', card.command ?? unknownCmd, w));
  if (card.cwd) rows.push(labelled('cwd', card.cwd, w));
  if (run.log) {
    const src = card.seriesSource;
    const read = src ? ` (${src.lines.toLocaleString('en-US')} lines read${src.from > (run.logStart ?? 0) ? `, from byte ${src.from}` : ' from its start'})` : '';
    rows.push(labelled('log', `${run.log}${read}`, w));
  }
  rows.push(progressRow(card, w));
  for (const a of card.alerts) {
    rows.push(new RowBuilder(w).add(' ALERT ', 'err').add(a.message).row());
    if (a.hint) rows.push(new RowBuilder(w).add('   try: ', 'dim').add(a.hint).row());
  }
  for (const e of card.errors) rows.push(textRow(` (could not read ${e})`, w, 'warn'));
  if (card.job) rows.push(...jobRows(card.job, o));

  rows.push(section('Metrics', w));
  rows.push(...metricRows(card.metrics, w));

  const charts = chartRows(card, o, Math.max(6, o.h - rows.length - 14));
  if (charts.length > 0) {
    rows.push(section(`Charts over the whole run${o.log ? ' · loss on a log scale' : ''}`, w));
    rows.push(...charts);
  }

  const noGpus = card.job ? `not read (the job's are on its node${card.job.gpus !== null ? `: ${card.job.gpus}` : ''})` : 'none seen';
  rows.push(section(`GPUs · ${card.gpus.length === 0 ? noGpus : card.gpus.map((g) => g.index).join(',')}`, w));
  for (const g of card.gpus) {
    const util = g.utilizationPercent;
    const [full, empty] = bar(util, 10);
    rows.push(
      new RowBuilder(w)
        .add(` ${g.index} ${g.name ?? '?'} `)
        .add(full, 'bar')
        .add(empty, 'dim')
        .add(` ${util === null ? '?' : util}% · ${gib(g.memoryUsedMiB)}/${gib(g.memoryTotalMiB)} GiB `)
        .add(g.utilizationHistory.length > 1 ? `util ${sparkline(g.utilizationHistory.map(([, v]) => v), Math.min(60, Math.max(0, w - 60)), [0, 100])}` : '', 'bar')
        .row(),
    );
  }

  rows.push(section(`Processes · ${card.processes.length}`, w));
  if (card.job && !card.job.processesRead) {
    const where = card.job.nodes ?? card.job.batchHost;
    rows.push(textRow(card.job.state === 'PENDING' ? '  none yet: the job waits in the queue' : where ? `  run on ${where} (not read: scontrol listpids answers on the job's node)` : '  not read', w, 'dim'));
  }
  if (card.processes.length > 0) {
    rows.push(textRow(`  ${'pid'.padStart(8)} ${'rank'.padStart(4)} ${'cpu%'.padStart(6)} ${'rss'.padStart(8)} ${'gpu mem'.padStart(8)} ${'elapsed'.padStart(8)}  command`, w, 'dim'));
    for (const p of card.processes.slice(0, 32)) {
      rows.push(
        new RowBuilder(w)
          .add(
            `  ${String(p.pid).padStart(8)} ${(p.rank === null ? '-' : String(p.rank)).padStart(4)} ${(p.cpuPercent === null ? '?' : p.cpuPercent.toFixed(1)).padStart(6)} ${(p.rssMiB === null ? '?' : bytes(p.rssMiB * 1024 * 1024)).padStart(8)} ${(p.gpuMemoryMiB === null ? '-' : bytes(p.gpuMemoryMiB * 1024 * 1024)).padStart(8)} ${(p.elapsedSeconds === null ? '?' : duration(p.elapsedSeconds)).padStart(8)}  `,
          )
          .add(p.command)
          .row(),
      );
    }
    if (card.processes.length > 32) rows.push(textRow(`  … ${card.processes.length - 32} more`, w, 'dim'));
  }

  const ck = card.checkpoints;
  rows.push(section('Checkpoints', w));
  if (ck === null) rows.push(textRow(run.checkpoints ? '  not listed' : '  no checkpoint directory known (@rtk_checkpoints, or runs[].checkpoints in the config)', w, 'dim'));
  else {
    const parts = [`${ck.count} in ${ck.dir}`];
    if (ck.newest) parts.push(`newest ${ck.newest}${ck.sizeBytes !== null ? ` (${bytes(ck.sizeBytes)})` : ''}`);
    if (ck.cadenceSeconds !== null) parts.push(`every ${duration(ck.cadenceSeconds)}`);
    parts.push(`${bytes(ck.totalBytes)} in all`);
    if (ck.diskFreeBytes !== null) parts.push(`disk ${bytes(ck.diskFreeBytes)} free`);
    rows.push(textRow(`  ${parts.join(' · ')}`, w));
    if (ck.diskFullInSeconds !== null) rows.push(textRow(`  disk full in ~${duration(ck.diskFullInSeconds)} at this cadence`, w, 'warn'));
  }

  if (card.events.length > 0) {
    rows.push(section('Last events', w));
    for (const e of card.events.slice(-6).reverse()) {
      const t = new Date(e.time);
      rows.push(new RowBuilder(w).add(`  ${Number.isFinite(t.getTime()) ? localStamp(t).slice(5, 16) : e.time} `, 'dim').add(`${e.kind} `, 'accent').add(e.message).row());
    }
  }
  return rows;
}

/** The Job section of a Slurm job: its state and reason, where it runs, its time used of its limit, its times. */
function jobRows(j: CardJob, o: CardLayout): Row[] {
  const { w } = o;
  const rows: Row[] = [section(`Job ${j.id} · ${j.state}${j.reason ? ` (${j.reason})` : ''}`, w)];
  const where = [`partition ${j.partition ?? '?'}`, j.nodes ? `nodes ${j.nodes}` : j.state === 'PENDING' ? 'no node yet' : null, j.gpus !== null ? `${j.gpus} GPU${j.gpus === 1 ? '' : 's'}` : null];
  rows.push(textRow(`  ${where.filter((x) => x !== null).join(' · ')}`, w));
  if (j.elapsedSeconds !== null || j.timeLimitSeconds !== null) {
    const b = new RowBuilder(w).add('  time ', 'dim');
    const used = j.elapsedSeconds ?? 0;
    if (j.timeLimitSeconds !== null && j.timeLimitSeconds > 0) {
      const pct = (100 * used) / j.timeLimitSeconds;
      const [full, empty] = bar(pct, 24);
      b.add(full, pct >= 90 ? 'warn' : 'bar').add(empty, 'dim').add(` ${duration(used)} of ${duration(j.timeLimitSeconds)} (${Math.min(100, Math.round(pct))}%)`);
      if (j.state === 'RUNNING') b.add(` · ${duration(Math.max(0, j.timeLimitSeconds - used))} left`, pct >= 90 ? 'warn' : 'dim');
    } else b.add(`${duration(used)} · no time limit`);
    rows.push(b.row());
  }
  const at = (label: string, t: string | null): string | null => {
    const d = t === null ? null : new Date(t);
    return d !== null && Number.isFinite(d.getTime()) ? `${label} ${localStamp(d).slice(0, 16)}` : null;
  };
  const pending = j.state === 'PENDING';
  const ended = !pending && j.state !== 'RUNNING' && j.state !== 'COMPLETING' && j.state !== 'SUSPENDED';
  const times = [at('submitted', j.submitAt)];
  if (pending) times.push(at('expected to start', j.startAt) ?? 'start not yet estimated');
  else times.push(at('started', j.startAt), at(ended ? 'ended' : 'ends by', j.endAt));
  rows.push(textRow(`  ${times.filter((x) => x !== null).join(' · ')}`, w, 'dim'));
  if (j.submitted !== null && j.scriptLine !== null && j.scriptLine !== j.submitted) rows.push(new RowBuilder(w).add('  its script runs ', 'dim').add(j.scriptLine).row());
  if (j.wrap) rows.push(textRow('  submitted with --wrap', w, 'dim'));
  if (j.failure !== null) {
    rows.push(new RowBuilder(w).add(` ${j.failure.reason.toUpperCase()} `, 'err').add(`it ${j.failure.what}`).row());
    // the hint whole, over as many rows as it takes (it is what to do next)
    if (j.failure.hint) wrapWords(j.failure.hint, Math.max(20, w - 8)).slice(0, 6).forEach((l, i) => rows.push(new RowBuilder(w).add(i === 0 ? '   try: ' : '        ', 'dim').add(l).row()));
  }
  return rows;
}

function labelled(label: string, value: string, w: number): Row {
  return new RowBuilder(w).add(` ${label.padEnd(4)}`, 'dim').add(value).row();
}

function section(title: string, w: number): Row {
  const t = `── ${title} `;
  return textRow(t + '─'.repeat(Math.max(0, w - t.length)), w, 'border');
}

function progressRow(card: RunCard, w: number): Row {
  const p = card.run.progress;
  const b = new RowBuilder(w).add(' ');
  if (p === null) b.add('no progress in the log yet', 'dim');
  else {
    const [full, empty] = bar(p.percent, 24);
    b.add(full, 'bar').add(empty, 'dim');
    b.add(` ${p.percent === null ? '' : `${p.percent.toFixed(1)}%  `}step ${p.step ?? '?'}${p.total !== null ? `/${p.total}` : ''}`);
    if (p.etaSeconds !== null) b.add(` · ETA ${duration(p.etaSeconds)}`);
  }
  const r = card.rate;
  if (r?.itPerSec != null) b.add(` · ${compactNumber(r.itPerSec)} it/s`);
  if (r?.samplesPerSec != null) b.add(` · ${compactNumber(r.samplesPerSec)} samples/s`);
  if (r?.tokensPerSec != null) b.add(` · ${compactNumber(r.tokensPerSec)} tokens/s`);
  return b.row();
}

const TREND: Record<string, string> = { down: '↓ falling', up: '↑ rising', flat: '→ flat' };

function metricRows(ms: readonly MetricSummary[], w: number): Row[] {
  if (ms.length === 0) return [textRow('  no metrics in the log yet', w, 'dim')];
  const kw = Math.min(28, Math.max(6, ...ms.map((m) => m.key.length)));
  const rows: Row[] = [textRow(`  ${'metric'.padEnd(kw)}  ${'latest'.padStart(11)} ${'at step'.padStart(9)}  ${'best'.padStart(11)} ${'at step'.padStart(9)}  trend`, w, 'dim')];
  for (const m of ms.slice(0, 10)) {
    rows.push(
      textRow(
        `  ${fit(m.key, kw).padEnd(kw)}  ${compactNumber(m.latest).padStart(11)} ${String(m.latestStep).padStart(9)}  ${(m.best === null ? '-' : compactNumber(m.best)).padStart(11)} ${(m.bestStep === null ? '' : String(m.bestStep)).padStart(9)}  ${m.trend === null ? '' : TREND[m.trend]}`,
        w,
      ),
    );
  }
  if (ms.length > 10) rows.push(textRow(`  … ${ms.length - 10} more (rtk-tui show RUN --json has them all)`, w, 'dim'));
  return rows;
}

/** The metrics worth a chart, in this order: training loss, eval loss, learning rate, throughput, grad norm. */
export function chartedSeries(card: RunCard): { key: string; points: SeriesPoint[] }[] {
  const pick = (re: RegExp): string | undefined => card.metrics.map((m) => m.key).find((k) => re.test(k) && (card.series[k]?.length ?? 0) > 0);
  const keys = [
    pick(/^(train[_/ -]?)?loss$|^lm[ _]loss$/i) ?? pick(/loss/i),
    pick(/^(eval|val|valid|validation|test)[_/ -]?.*loss/i),
    pick(/^(lr|learning[_ ]rate)/i),
    pick(/samples?(_per_sec|\/s)|tokens?(_per_sec|\/s)|^it_per_sec$/i),
    pick(/grad[_ ]?norm/i),
  ];
  const seen = new Set<string>();
  const out: { key: string; points: SeriesPoint[] }[] = [];
  for (const k of keys) {
    if (k === undefined || seen.has(k)) continue;
    seen.add(k);
    out.push({ key: k, points: card.series[k]! });
  }
  return out;
}

/** The charts in a grid: as many side by side as the width allows (each at least 40 cells), each `room` rows at most. */
function chartRows(card: RunCard, o: CardLayout, room: number): Row[] {
  const list = chartedSeries(card);
  if (list.length === 0) return [];
  const perRow = Math.max(1, Math.min(list.length, Math.floor((o.w - 1) / 40)));
  const cw = Math.floor((o.w - 1) / perRow) - 1;
  const gridRows = Math.ceil(list.length / perRow);
  const ch = Math.max(5, Math.min(14, Math.floor(room / gridRows) - 1));
  const rows: Row[] = [];
  for (let g = 0; g < list.length; g += perRow) {
    const group = list.slice(g, g + perRow);
    const title = new RowBuilder(o.w).add(' ');
    const bodies = group.map(({ key, points }) => {
      const log = o.log && /loss|ppl|perplexity/i.test(key);
      const last = points[points.length - 1];
      title.add(fit(`${key}${log ? ' (log)' : ''}${last ? ` · ${compactNumber(last[1])} at ${last[0]}` : ''}`, cw).padEnd(cw + 1), 'title');
      return brailleChart(points, { width: cw, height: ch, log });
    });
    rows.push(title.row());
    for (let i = 0; i < ch; i++) {
      const b = new RowBuilder(o.w).add(' ');
      for (const body of bodies) b.add(`${body[i] ?? ''.padEnd(cw)} `, 'bar');
      rows.push(b.row());
    }
  }
  return rows;
}
