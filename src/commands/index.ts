// The command table: --help (global and per command) is generated from it, cli.ts dispatches
// through it.
import type { CommandInfo, CommandModule } from './context.js';

// Loaded on use, so `rtk-tui ls` never pays for Ink and React.
const lazy = (file: string) => (): Promise<CommandModule> =>
  import(new URL(`./${file}.js`, import.meta.url).href) as Promise<CommandModule>;

const RUN = 'RUN is HOST:SESSION (HOST: a configured host, an ssh alias or user@host[:port]), or SESSION where only one host has it, or a group of the config (its rank 0; kill: every part).';

export const COMMANDS: CommandInfo[] = [
  {
    name: 'ls',
    usage: 'ls [--json]',
    summary: 'runs on every host: state, progress, metrics, alerts, log, checkpoints',
    built: true,
    load: lazy('ls'),
    help: {
      about: ['One round trip per host, in parallel. A host that cannot be reached is reported on stderr; the others still list.'],
      flags: [['--json', 'the document of DESIGN section 2: {"hosts": [...], "runs": [...]}']],
      examples: ['rtk-tui ls', 'rtk-tui ls --host a800 --json | jq ".runs[] | select(.state == \\"failed\\")"'],
      exit: 'Exit codes: 0 listed (some hosts may have failed, on stderr); 1 every host failed; 2 usage or configuration error.',
    },
  },
  {
    name: 'gpus',
    usage: 'gpus [--json] [--watch]',
    summary: 'GPUs of every host, with processes mapped to runs',
    built: true,
    load: lazy('gpus'),
    help: {
      flags: [
        ['--json', 'the document of DESIGN section 2 (with --watch: one JSON line per refresh)'],
        ['--watch, -w', 'redraw every refresh.gpus (default 2 s) until Ctrl-C'],
      ],
      examples: ['rtk-tui gpus', 'rtk-tui gpus --watch --host a800'],
      exit: 'Exit codes: 0 every host answered (no GPU is an answer); 1 a host was unreachable or its nvidia-smi failed; 2 usage error.',
    },
  },
  {
    name: 'logs',
    usage: 'logs RUN [-n N] [-f] [--rank N | --ranks]',
    summary: "print the run's log; -f follows, surviving reconnects",
    built: true,
    load: lazy('logs'),
    help: {
      about: [
        RUN,
        'The log is @rtk_log of the session (else runs[].log of the config), else its pane. To a pipe the bytes',
        'are exact; to a terminal each line is shown as the log pane shows it (escape sequences dropped).',
      ],
      flags: [
        ['-n N, --lines N', 'the last N lines (default 100)'],
        ['-f, --follow', 'then follow the file, through dropped connections (no line lost or doubled)'],
        ['--rank N', "only rank N's lines, without their prefix (srun -l, mpirun --tag-output, torchrun --tee); N may be a host (node01) or host:rank; -n counts that rank's lines"],
        ['--ranks', 'which ranks the log holds, with their line counts (over the last 10000 lines, or -n N)'],
      ],
      examples: ['rtk-tui logs a800:training -n 50', 'rtk-tui logs cluster:4242 --rank 3 -f', 'rtk-tui logs training -f | grep loss', 'rtk-tui logs rtk-gpu:train_v1 -f   # an ssh alias, no config needed'],
    },
  },
  {
    name: 'ckpt',
    usage: 'ckpt RUN [--json]',
    summary: "the run's checkpoints",
    built: true,
    load: lazy('ckpt'),
    help: {
      about: [RUN, 'The directory is @rtk_checkpoints of the session (else runs[].checkpoints of the config).'],
      flags: [['--json', '{"run", "dir", "diskFreeBytes", "checkpoints": [...]} (DESIGN section 2)']],
      examples: ['rtk-tui ckpt a800:training', 'rtk-tui ckpt training --json'],
    },
  },
  {
    name: 'show',
    usage: 'show RUN [--json] [--log-scale] [--width N]',
    summary: 'the run card: state, command, progress, metrics and charts over the whole run, GPUs, processes, checkpoints',
    built: true,
    load: lazy('show'),
    help: {
      about: [
        RUN,
        "The metrics come from the run's whole log, read once from its first byte (streamed, downsampled to 2,000 points a metric).",
        'In the monitor: i on a run.',
      ],
      flags: [
        ['--json', '{"run", "command", "cwd", "startedAt", "series": {"loss": [[step, value], ...]}, "metrics", "gpus", "processes", "checkpoints", "alerts", "hints", "events"} (DESIGN section 2)'],
        ['--log-scale', 'loss charts on a log scale'],
        ['--width N', 'columns of the text card (default: the terminal\'s, else 120)'],
      ],
      examples: ['rtk-tui show a800:training', 'rtk-tui show training --json | jq \'.series.loss[0]\''],
      exit: 'Exit codes: 0 shown; 1 not found or the host failed; 2 usage error.',
    },
  },
  {
    name: 'attach',
    usage: 'attach RUN [--part HOST:SESSION]',
    summary: "attach to the run's tmux session (detach returns to the shell)",
    built: true,
    load: lazy('attach'),
    help: {
      about: [RUN, 'Ctrl-\\ (or tmux\'s Ctrl-b d) detaches; the run keeps going. With --readonly, a read-only client.', 'The detach key: keys: {attach.detach: "ctrl+]"} in the config.'],
      flags: [['--part HOST:SESSION', 'RUN is a group (config groups): attach to this part instead of its rank 0']],
      examples: ['rtk-tui attach a800:training', 'rtk-tui --readonly attach training', 'rtk-tui attach llama-70b --part node2:train'],
      exit: 'Exit codes: 0 detached, or the session ended by itself; 1 not found or the connection was lost; 2 usage error (no terminal).',
    },
  },
  {
    name: 'new',
    usage: 'new NAME --host H [--gpus N|LIST] [--min-free-gib M] [--log FILE] [--checkpoints DIR] [--cwd DIR] [--partition P] [--time T] -- CMD [ARG...]',
    summary: 'start a command in a new detached tmux session (on a Slurm host: submit it as a batch job)',
    built: true,
    changes: 'it starts a run',
    load: lazy('new'),
    help: {
      about: ['Everything after -- reaches the program exactly as typed; nothing of it runs through a shell on the way.'],
      flags: [
        ['--host H', 'where: a configured host, an ssh alias, user@host[:port], or local'],
        [
          '--gpus N|LIST',
          'N: pick N free GPUs (no process, no other run\'s claim, enough free memory; least busy first) or refuse, naming who holds them; LIST (0,3; one GPU: 3,): exactly those. The command gets CUDA_VISIBLE_DEVICES',
        ],
        ['--min-free-gib M', 'with --gpus N: the free memory a GPU needs (default 2)'],
        ['--log FILE', 'the log (stdout and stderr); default ~/rtk-runs/NAME.log; relative to --cwd'],
        ['--checkpoints DIR', 'where it saves checkpoints (shown by ckpt and the monitor); relative to --cwd'],
        ['--partition P, --time T', 'a Slurm host only: sbatch\'s partition and time limit (on a Slurm host --gpus is a count, --log the job\'s StdOut, %j allowed)'],
        ['--cwd DIR', 'the directory it runs in; default the home directory (local: the current one)'],
      ],
      examples: [
        'rtk-tui new train1 --host a800 --cwd ~/proj --checkpoints ckpt/run1 -- python train.py --lr 3e-4',
        'rtk-tui new ddp --host a800 --gpus 4 -- torchrun --nproc_per_node 4 train.py',
        "rtk-tui new sft --host a800 -- bash -lc 'conda activate llm && torchrun --nproc_per_node 8 train.py'",
      ],
      exit: 'Exit codes: 0 started; 1 refused (the name is taken, --readonly) or the host failed; 2 usage error.',
    },
  },
  {
    name: 'relaunch',
    usage: 'relaunch RUN [--as NAME] [--resume] [--replace] [--yes]',
    summary: 'start a run again as it was started (from its newest checkpoint with --resume)',
    built: true,
    changes: 'it starts a run',
    load: lazy('relaunch'),
    help: {
      about: [
        RUN,
        'The run must have been started by rtk-tui new (or the monitor): its exact argv, directory, log, checkpoints,',
        'environment and GPU count are kept on its session. A new session NAME-2 (or --as NAME) starts; the old one',
        'stays as it is. The same GPUs when they are free, else as many free ones.',
      ],
      flags: [
        ['--as NAME', 'the new session\'s name (default: NAME-2, NAME-3...)'],
        ['--resume', 'add the config\'s resume arguments (resume: ["--resume_from_checkpoint", "{checkpoint}"], per run, host or globally) with the newest complete checkpoint'],
        ['--replace', 'end the old session first (asks, as kill does) and start it under its own name'],
        ['--yes, -y', 'with --replace: do not ask (needed when stdin is not a terminal)'],
      ],
      examples: ['rtk-tui relaunch a800:sft', 'rtk-tui relaunch a800:sft --resume --as sft-resumed', 'rtk-tui relaunch sft --replace --yes'],
      exit: 'Exit codes: 0 started; 1 refused (still running, not started by rtk-tui, nothing to resume from) or the host failed; 2 usage error.',
    },
  },
  {
    name: 'kill',
    usage: 'kill RUN [--yes] [--dry-run] [--grace S]',
    summary: "end the run: its tmux session, its processes and what it left on the GPUs (refuses without --yes when stdin is not a terminal)",
    built: true,
    changes: 'it ends a run',
    load: lazy('kill'),
    help: {
      about: [
        RUN,
        'Asks first (a run older than an hour wants its name typed). It kills the session it showed, never one re-created under the name,',
        "then every process of its panes' trees, what is left in their sessions or process groups (workers re-parented when their parent died)",
        'and the GPU processes the process map gave the run: SIGTERM, then SIGKILL after the grace. Then it says the GPU memory freed, or who',
        'still holds it and why. A process it did not attribute to the run is never signalled.',
      ],
      flags: [
        ['--yes, -y', 'do not ask (needed without a terminal)'],
        ['--dry-run, -n', 'list what it would end (pid, why it is the run\'s, command, GPU memory) and end nothing'],
        ['--grace S', 'seconds between SIGTERM and SIGKILL (default 10)'],
      ],
      examples: ['rtk-tui kill a800:sweep-3', 'rtk-tui kill sweep-3 --dry-run', 'rtk-tui kill sweep-3 --yes --grace 30'],
      exit: 'Exit codes: 0 killed (everything ended); 1 not found, changed meanwhile, refused, the answer was no, or a process would not end; 2 usage error (no terminal and no --yes).',
    },
  },
  {
    name: 'check',
    usage: 'check --host H [--file check.yaml] [flags]',
    summary: 'pre-flight checks on a host: GPUs, disk, files, checksums, model files',
    built: true,
    load: lazy('check'),
    help: {
      about: ['Each check is one line: ✓ passed, ⚠ a warning, ✗ failed, with a fix for a warning or a failure.'],
      flags: [
        ['--host H', 'the host (repeatable: several hosts)'],
        ['--gpus N', 'at least N GPUs …'],
        ['--gpu-free-gib M', '… each with M GiB of free memory'],
        ['--disk DIR:GIB', 'DIR exists, is writable, and its filesystem has GIB free (repeatable)'],
        ['--file-match LOCAL:REMOTE', 'the remote file has the local file\'s size and checksum (repeatable)'],
        ['--hash sha256|md5', 'the checksum for --file-match (default sha256)'],
        ['--model DIR', 'config.json plus complete weights (safetensors, bin, shards + index; no LFS pointers) (repeatable)'],
        ['--run CMD', 'CMD (one argument) exits 0 under bash -lc, from the home directory (repeatable; refused with --readonly)'],
        ['--run-timeout S', 'time limit of each --run (default 120)'],
        ['--env NAME', 'the variable is set in the login environment (its value is never shown) (repeatable)'],
        ['--file check.yaml', 'the same checks from a file; flags add to its lists'],
        ['--json', '{"ok", "hosts": [{"name", "checks": [...]}]}'],
      ],
      examples: [
        'rtk-tui check --host a800 --gpus 2 --gpu-free-gib 40 --disk /data:100',
        'rtk-tui check --host a800 --file-match ./data/train.bin:/data/train.bin --model /data/llama-3-8b',
        "rtk-tui check --host a800 --run \"python -c 'import torch; assert torch.cuda.is_available()'\" --env HF_TOKEN",
      ],
      exit: 'Exit codes: 0 nothing failed (warnings allowed); 1 a check failed or the host could not be reached; 2 usage or check-file error.',
    },
  },
  {
    name: 'push',
    usage: 'push LOCAL HOST:REMOTE [--force] [--hash md5|sha256] [--limit RATE]',
    summary: 'upload with progress, resume and checksum verification',
    built: true,
    changes: 'it writes files on the host; pull is allowed',
    load: lazy('push'),
    help: {
      usage: ['push LOCAL HOST:REMOTE [--force] [--hash md5|sha256] [--limit RATE] [--retries N] [--no-verify] [--json]'],
      about: ['Files and directories. Resumes from NAME.rtk-part; the checksum is compared before the final name is given.'],
      flags: TRANSFER_FLAGS(),
      examples: ['rtk-tui push ./weights.safetensors a800:/data/models/', 'rtk-tui push ./ckpt a800:~/proj/ckpt --limit 50M'],
    },
  },
  {
    name: 'pull',
    usage: 'pull HOST:REMOTE LOCAL [--force] [--hash md5|sha256] [--limit RATE]',
    summary: 'download with progress, resume and checksum verification',
    built: true,
    load: lazy('pull'),
    help: {
      usage: ['pull HOST:REMOTE LOCAL [--force] [--hash md5|sha256] [--limit RATE] [--retries N] [--no-verify] [--json]'],
      about: ['Files and directories. Resumes from NAME.rtk-part; what is on disk is checked against the remote checksum.'],
      flags: TRANSFER_FLAGS(),
      examples: ['rtk-tui pull a800:~/proj/ckpt/checkpoint-3000 ./', 'rtk-tui pull rtk-gpu:/data/out.bin ./out.bin --hash md5'],
    },
  },
  {
    name: 'trust',
    usage: 'trust HOST',
    summary: 'show the unknown host keys on the way to HOST, ask, and write known_hosts as ssh would',
    built: true,
    load: lazy('trust'),
    help: {
      about: [
        'For each hop whose host key is not known (jump hosts first): its type and SHA256 fingerprint, then y/N.',
        'Needs a terminal. A changed key is never replaced: the error names the ssh-keygen -R to run.',
      ],
      examples: ['rtk-tui trust a800', 'rtk-tui trust me@gpu.example.org:2222'],
      exit: 'Exit codes: 0 every key on the way is known and the login works; 1 a key was refused or changed, or the login failed; 2 usage error.',
    },
  },
  {
    name: 'watch',
    usage: 'watch [--json] [--since[=DURATION]] [--exec CMD [ARG...]]',
    summary: 'events as they happen: runs failing, stalling, finishing; idle GPUs; disks filling; hosts lost',
    built: true,
    load: lazy('watch'),
    help: {
      about: [
        'Runs until Ctrl-C, through dropped connections. Each change is reported once, also across restarts:',
        'what was reported is kept in $XDG_STATE_HOME/rtk-tui/state.json (default ~/.local/state/rtk-tui/).',
        'Events: run.started run.finished run.failed run.stalled run.resumed run.nan run.checkpoint gpu.idle disk.low host.lost host.back.',
      ],
      flags: [
        ['--json', 'one JSON object per line: time, kind, run, host, state, reason, message, hint, details'],
        ['--since', 'first print the events saved earlier (--since=2h: those of the last two hours)'],
        [
          '--exec CMD [ARG...]',
          'run CMD per event, no shell: RTK_EVENT RTK_RUN RTK_HOST RTK_STATE RTK_REASON RTK_MESSAGE RTK_HINT in its environment, the JSON on stdin; an ARG that is exactly {message} {run} {kind} or {host} is replaced. Must come last.',
        ],
      ],
      examples: [
        'rtk-tui watch',
        'rtk-tui watch --json --since=12h | jq -c "select(.kind == \"run.failed\")"',
        'rtk-tui watch --exec curl -fsS -d {message} https://ntfy.sh/my-runs',
        'rtk-tui watch --exec notify-send rtk-tui {message}',
      ],
      exit: 'Exit codes: 0 stopped by Ctrl-C or a signal; 2 usage or configuration error. Host failures are events, not exits.',
    },
  },
  {
    name: 'log-commands',
    usage: 'log-commands [HOST] [-n N] [--full] [--json] [-f]',
    summary: 'the remote commands rtk-tui ran, with times, durations and exit statuses',
    built: true,
    load: lazy('log-commands'),
    help: {
      about: [
        'Every command rtk-tui runs on a host (the monitor\'s polls and streams, ls, kill, new, checks...) is recorded',
        'with its time, host, duration, exit status and the exact sh script, in commands.jsonl beside the state file',
        '($XDG_STATE_HOME/rtk-tui/, default ~/.local/state/rtk-tui/; the newest 4 MB are kept).',
      ],
      flags: [
        ['-n N', 'the last N commands (default 50)'],
        ['--full', 'each command\'s whole script under its line'],
        ['--json', 'one JSON object per line: time, host, kind, ms, exit, error, command'],
        ['-f, --follow', 'then print commands as they are recorded (a monitor running elsewhere, say)'],
      ],
      examples: ['rtk-tui log-commands', 'rtk-tui log-commands a800 --full -n 5', 'rtk-tui log-commands -f'],
    },
  },
  {
    name: 'demo',
    usage: 'demo [--keep]',
    summary: 'a simulated training run on this machine, opened in the monitor',
    built: true,
    load: lazy('demo'),
    help: {
      about: ['Needs only tmux. Its own tmux server and directory; q removes both.'],
      flags: [['--keep', 'leave the simulated runs going after q, and say how to look at them and clean up']],
      examples: ['rtk-tui demo'],
    },
  },
];

function TRANSFER_FLAGS(): [string, string][] {
  return [
    ['--force, -f', 'overwrite a different file at the destination'],
    ['--hash sha256|md5', 'the checksum compared at the end (default sha256)'],
    ['--no-verify', 'do not compare checksums'],
    ['--limit RATE', 'at most RATE bytes per second (10M, 500k)'],
    ['--retries N', 'resume this many times after a lost connection (default 3)'],
    ['--json', 'the summary as JSON'],
  ];
}

export const MONITOR: CommandInfo = {
  name: 'monitor',
  usage: '[HOST...]',
  summary: 'the monitor (TUI); hosts from the config, or these ssh aliases / user@host[:port]',
  built: true,
  load: lazy('monitor'),
  help: {
    about: [
      'Full screen: the runs of every host, the selected run\'s live log, its GPUs and checkpoints. HOST arguments',
      'are the only hosts (a configured host, an ssh alias, user@host[:port], or local); press ? for the keys.',
    ],
    examples: ['rtk-tui', 'rtk-tui a800 gpu1', 'rtk-tui me@10.0.0.5:2222 local'],
    exit: 'Exit codes: 0 quit; 2 usage or configuration error (or no terminal).',
  },
};

export function findCommand(name: string): CommandInfo | undefined {
  return COMMANDS.find((c) => c.name === name);
}

