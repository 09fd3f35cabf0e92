// Checkpoints pane: the selected run's checkpoints, newest first; the title says how many, their total
// size and the disk space left.
import type { Checkpoint } from '../../domain/types.js';
import { projectDisk } from '../../events/disk.js';
import { checkpointsOf, progressOf, selectedRun, sortedCheckpoints } from '../../store/selectors.js';
import { age, bytes } from '../format.js';
import { RowBuilder, type Row } from '../rows.js';
import { notice, padRows, windowStart, type PaneCtx, type PaneOut } from './pane.js';

export function checkpointsPane(c: PaneCtx): PaneOut {
  const run = selectedRun(c.s);
  const listing = checkpointsOf(c.s);
  if (run === null) return { title: 'Checkpoints', rows: notice(c, 'no run selected') };
  if (listing === null) {
    const msg = run.checkpoints === null ? 'no checkpoint directory known for this run' : `listing ${run.checkpoints}…`;
    return { title: 'Checkpoints', rows: notice(c, msg) };
  }
  const list = sortedCheckpoints(listing);
  const total = list.reduce((n, x) => n + x.sizeBytes, 0);
  let title = `Checkpoints · ${list.length} · ${bytes(total)}`;
  // a live run whose checkpoints to come will not fit: when the disk fills at this cadence comes
  // before the free space (a narrow title keeps the warning)
  const p = run.state === 'running' || run.state === 'stalled' ? projectDisk(listing, progressOf(c.s, run)) : null;
  if (p !== null && p.low) title += `${p.fullInSeconds !== null ? ` · disk full in ~${age(p.fullInSeconds * 1000)}` : ' · disk too small for the rest'} (${bytes(listing.diskFreeBytes)} free)`;
  else if (listing.diskFreeBytes !== null) title += ` · disk ${bytes(listing.diskFreeBytes)} free`;
  if (list.length === 0) return { title, rows: notice(c, `none yet in ${listing.dir}`) };
  let sel = list.findIndex((x) => x.name === c.s.selectedCkpt);
  if (sel < 0) sel = 0;
  const nameW = Math.min(Math.max(...list.map((x) => x.name.length)), Math.max(8, c.w - 32));
  const start = windowStart(sel, list.length, c.h);
  const rows: Row[] = [];
  for (let i = start; i < Math.min(list.length, start + c.h); i++) {
    const k = list[i] as Checkpoint;
    const selected = i === sel;
    const when = k.modifiedAt === null ? '?' : `${age(c.s.now - (Date.parse(k.modifiedAt) || c.s.now))} ago`;
    rows.push(
      new RowBuilder(c.w)
        .add(selected ? '› ' : '  ', selected ? 'sel' : undefined)
        .add(k.name.padEnd(nameW), selected ? 'sel' : undefined)
        .add(`  ${bytes(k.sizeBytes).padStart(9)}  ${when.padStart(7)}   `)
        // the size still grows and a pull now would be half a checkpoint: said in words, not colour alone
        .add(k.writing === true ? 'writing… ' : '', 'warn')
        .add(k.formats.join(','), 'dim')
        .row(),
    );
  }
  return { title, rows: padRows(rows, c) };
}
