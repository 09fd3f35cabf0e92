// The long ps form the GPU poll reads for the zoomed view: owner, CPU %, RSS, age and command line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapPidsToRuns, parseProcDetails } from '../../../src/parse/proc-tree.js';

// shaped like `LC_ALL=C ps -eo pid=,ppid=,user=,pcpu=,rss=,etimes=,args=` (procps-ng 4.0) on a box
// running torchrun with 2 ranks inside tmux
const PS = `    1     0 root      0.0 13960 864000 /sbin/init splash
  900     1 alice     0.0  4200  90000 tmux new-session -d -s training
 1000   900 alice     0.0  5100  89000 -bash
 1010  1000 alice     0.3 412000  3725 /usr/bin/python3 /usr/local/bin/torchrun --nproc_per_node 2 train.py --cfg big run.yaml
 1011  1010 alice   101.5 12582912 3720 /usr/bin/python3 -u train.py --local_rank=0
 1012  1010 longuse+  99.0 12000000 3720 python3 -u train.py --local_rank=1
    2     0 root      0.0     0 864000 [kthreadd]
`;

describe('parseProcDetails', () => {
  const t = parseProcDetails(PS);
  it('reads each field, the command line whole with its blanks, and argv[0]’s name', () => {
    expect(t.get(1011)).toEqual({ ppid: 1010, comm: 'python3', user: 'alice', cpuPercent: 101.5, rssKiB: 12582912, elapsedSeconds: 3720, args: '/usr/bin/python3 -u train.py --local_rank=0' });
    expect(t.get(1010)?.args).toBe('/usr/bin/python3 /usr/local/bin/torchrun --nproc_per_node 2 train.py --cfg big run.yaml');
    expect(t.get(1012)?.user).toBe('longuse+');
    expect(t.get(2)?.comm).toBe('[kthreadd]');
  });
  it('maps ranks to runs like the short form', () => {
    expect(Object.fromEntries(mapPidsToRuns([1011, 1012, 1], t, [{ runId: 'a800:training', panePid: 1000 }]))).toEqual({ 1011: 'a800:training', 1012: 'a800:training', 1: null });
  });
  it('skips what does not fit, keeps hostile command lines as data, cut to 4 KiB', () => {
    const u = parseProcDetails(`garbage\n 5 1 u 1,5 10 10 comma-cpu\n 6 1 u 0.0 10 10\n 7 1 u 0.0 10 10 -rf --x=$(id) \x1b[2J\r\n 8 1 u 0.0 10 10 ${'a'.repeat(10_000)}\n`);
    expect(u.has(5)).toBe(false);
    expect(u.get(6)?.args).toBe('');
    expect(u.get(7)?.args).toBe('-rf --x=$(id) \x1b[2J');
    expect(u.get(8)?.args).toHaveLength(4096);
  });
  it('never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(parseProcDetails(s)).toBeInstanceOf(Map);
      }),
    );
  });
});
