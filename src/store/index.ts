// The monitor's store: plain TypeScript, no React.
//
//   const store = createStore({ hosts: ['a800', 'gpu1'], scrollback: cfg.scrollback, readonly,
//                               keymap /* buildKeymap(cfg.keys) */, size: { cols, rows } });
//
// Sources feed it events (cheap, any rate; the store coalesces and publishes to React at <= 20 Hz):
//   store.dispatch({ type: 'hosts', names })                       configured order of the hosts
//   store.dispatch({ type: 'host', state: HostConnState })         connection state; a host that drops
//                                                                  keeps its runs/GPUs on screen, stale
//   store.dispatch({ type: 'runs', host, runs: Run[] })            a poll's runs (selection kept by id)
//   store.dispatch({ type: 'gpus', report: GpuHostReport })        also feeds the utilisation sparkline
//   store.dispatch({ type: 'log', runId, chunk: LogChunk })        lines / partial (\r bar) / marker
//   store.dispatch({ type: 'log.text', runId, text })              raw stream text, split by the buffer
//   store.dispatch({ type: 'log.reset', runId })                   forget a run's buffered lines
//   store.dispatch({ type: 'checkpoints', listing })               CheckpointListing of a run
//   store.dispatch({ type: 'tick' })                               the clock moved (stale ages, messages)
//   store.dispatch({ type: 'resize', cols, rows })                 renderMonitor does this itself
//   store.dispatch({ type: 'message', text, level })               one line in the status bar
//   store.dispatch({ type: 'select', runId })                      select it now, or once a snapshot has it
//   store.command('run.attach')                                    what a key does (ids: src/keys)
//
// Effects run outside React; subscribe once:
//   store.onEffect((e) => { switch (e.type) {
//     case 'log.select': follow e.runId's log (e.log: the @rtk_log path or null), stop the previous one
//     case 'run.attach' | 'run.peek' | 'run.kill': e.runId, e.host, e.session (kill: already confirmed)
//     case 'run.new': the new-run form was submitted: start e.name on e.host running e.cmd (argv), with
//                     e.cwd, e.log, e.checkpoints (null: newRun's default); then dispatch 'select' and refresh
//     case 'ckpt.pull': e.runId, e.host, e.dir, e.checkpoint
//     case 'app.refresh': poll everything now
//     case 'app.quit': stop the sources; renderMonitor unmounts the UI by itself
//   }});
// 'log.select' fires as soon as the first runs snapshot selects a run, and on every change after.
//
// Reading: store.getState() (latest), store.getSnapshot() (published), store.log(runId) (LogBuffer),
// the selectors below. Tests: createStore({ now, timers }) fakes the clock; store.flush() publishes.
export { createStore, type Store } from './create-store.js';
export { LogBuffer, BlockPool, DEFAULT_SCROLLBACK, DEFAULT_MAX_LINE } from './log-buffer.js';
export { reduce, activeScopes, type ReduceContext, type Reduced } from './reduce.js';
export { computeLayout, layoutOf, paneRect, type Layout, type Rect } from './layout.js';
export * from './selectors.js';
export * from './state.js';
export { checkNewRunForm, newRunErrors, type NewRunErrors } from './new-run-form.js';
export { sanitizeLogLine, stripAnsi } from '../parse/terminal.js';
