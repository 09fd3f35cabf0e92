// What kill ends: the panes' trees, orphans still in their sessions or groups, the run's GPU
// processes; never init, the tmux server, the listing's own shell, or another session's processes.
import { describe, expect, it } from 'vitest';
import { parsePs, runProcesses } from '../../../src/parse/run-processes.js';
import { buildSignals, killSummary, type Victim } from '../../../src/sources/kill-run.js';

// pid ppid pgid sid etimes stat args
const PS = `
    1     0     1     1  9000 Ss   /sbin/init
  500     1   500   500  8000 Ss   tmux new-session -d -s train
  600   500   600   600  7000 Ss   sh -c rtk wrapper
  601   600   600   600  7000 S    tee -ai /home/u/train.log
  602   600   602   600  7000 Sl   python train.py
  603   602   602   600  6999 Sl   python train.py (worker 0)
  610     1   602   600  6990 Sl   python train.py (worker 1, parent gone)
  611     1   611   611  6990 Sl   python -m daemonised_by_setsid
  700   500   700   700  7000 Ss   sh -c other run
  701   700   700   700  7000 S    python other.py
  900   899   900   899     1 S    sh -c listing
  901   900   900   899     0 R    ps -A -o pid=,ppid=,pgid=,sid=,etimes=,stat=,args=
`;

describe('runProcesses', () => {
  it('takes the tree, the orphans of its session and group, and its GPU processes; nothing else', () => {
    const ps = parsePs(PS);
    expect(ps).toHaveLength(12);
    expect(ps[3]).toEqual({ pid: 601, ppid: 600, pgid: 600, sid: 600, etimes: 7000, stat: 'S', command: 'tee -ai /home/u/train.log' });
    const r = runProcesses(ps, [600], [611], [900, 901]);
    expect([...r.why]).toEqual([
      [600, 'tree'],
      [601, 'tree'],
      [602, 'tree'],
      [603, 'tree'],
      [610, 'session'],
      [611, 'gpu'],
    ]);
    // never init or the tmux server, even if asked through the GPU map
    expect([...runProcesses(ps, [600], [1, 500]).why.keys()]).not.toContain(500);
    expect([...runProcesses(ps, [600], [1, 500]).why.keys()]).not.toContain(1);
    expect(runProcesses(ps, [4242], []).procs).toEqual([]);
  });

  it('signals only listed pids with the same start, and words the result', () => {
    const v = (pid: number, why: string, gpu: [number, number][] = []): Victim => ({ pid, ppid: 1, pgid: 1, sid: 1, etimes: 5, stat: 'S', command: `python ${pid}`, why, start: 1764842400, gpu });
    const script = buildSignals([v(602, 'tree'), v(610, 'session')], 3);
    expect(script).toContain("V='602:1764842400 610:1764842400'");
    expect(script).toContain('sig TERM');
    expect(script).toContain('while [ $i -lt 3 ] && alive');
    const lines = killSummary('a:t', {
      ended: [v(602, 'tree', [[0, 40960]]), v(610, 'session', [[1, 20480]])],
      left: [{ victim: v(611, 'gpu', [[1, 1024]]), why: 'in an uninterruptible call' }],
      gpuBefore: new Map([[0, 40960], [1, 21504]]),
      gpuAfter: new Map([[1, 1024]]),
    });
    expect(lines).toEqual([
      'killed a:t',
      "  ended 2 processes (1 outside its panes' tree: re-parented workers in its session or group, or its GPU processes)",
      '  GPU memory freed: 60.0 GiB (GPU 0, 1)',
      '  still there: pid 611 (python 611) with 1.0 GiB on GPU 1: in an uninterruptible call',
    ]);
  });
});
