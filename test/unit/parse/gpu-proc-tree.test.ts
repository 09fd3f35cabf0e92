import { describe, expect, it } from 'vitest';
import { mapPidsToRuns, parsePaneList, parseProcTable, runOfPid } from '../../../src/parse/proc-tree.js';

// shaped like `ps -eo pid=,ppid=,comm=` on a box running torchrun with 2 DDP ranks inside tmux
const PS = `    1     0 systemd
  900     1 tmux: server
 1000   900 bash
 1010  1000 torchrun
 1011  1010 python
 1012  1010 python
 1013  1011 pt_data_worker
 2000   900 bash
 3000     1 python3
`;

describe('proc tree', () => {
  const table = parseProcTable(PS);
  const panes = [
    { runId: 'a800:training', panePid: 1000 },
    { runId: 'a800:other', panePid: 2000 },
  ];
  it('reads ps output', () => {
    expect(table.get(1011)).toEqual({ ppid: 1010, comm: 'python' });
    expect(table.get(900)).toEqual({ ppid: 1, comm: 'tmux: server' });
  });
  it('maps DDP ranks under torchrun to the pane’s run, and strangers to null', () => {
    expect(Object.fromEntries(mapPidsToRuns([1011, 1012, 1013, 1000, 3000, 99999], table, panes))).toEqual({
      1011: 'a800:training',
      1012: 'a800:training',
      1013: 'a800:training',
      1000: 'a800:training',
      3000: null,
      99999: null,
    });
  });
  it('reads /proc/*/stat lines, comm with spaces and parentheses', () => {
    const t = parseProcTable('1011 (python) S 1010 1011 900 0\n1200 (a) b (c)) R 1011 1 1 0\n');
    expect(t.get(1011)).toEqual({ ppid: 1010, comm: 'python' });
    expect(t.get(1200)).toEqual({ ppid: 1011, comm: 'a) b (c)' });
  });
  it('survives cycles and garbage', () => {
    const t = parseProcTable('5 6 a\n6 5 b\nzzz\n\n-1 2 x\n');
    expect(runOfPid(5, t, [])).toBeNull();
    expect(t.size).toBe(2);
  });
  it('tmux list-panes: pid then the session name as the rest of the line', () => {
    expect(parsePaneList('1000 training\n2000 g h  i\n  junk\n3000 a;touch x\n', 'a800')).toEqual([
      { runId: 'a800:training', panePid: 1000 },
      { runId: 'a800:g h  i', panePid: 2000 },
      { runId: 'a800:a;touch x', panePid: 3000 },
    ]);
  });
});
