// The commands that run until told to stop (gpus --watch, watch, log-commands -f): the process is
// held open (their sources' timers are unref'd) until one of the signals comes or stop() is called
// (the reader of stdout went away); either way the handlers are removed.
export interface Stopper {
  done: Promise<void>;
  stop(): void;
}

export function untilStopped(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Stopper {
  let stop: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => undefined, 3600_000);
    stop = () => {
      stop = () => undefined;
      clearInterval(keepAlive);
      for (const s of signals) process.off(s, onSignal);
      resolve();
    };
    const onSignal = (): void => stop();
    for (const s of signals) process.on(s, onSignal);
  });
  return { done, stop: () => stop() };
}

/** A write to a reader that went away (`| head`): the end of the output, not an error. */
export function isClosedPipe(e: NodeJS.ErrnoException): boolean {
  return e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED' || e.code === 'ERR_STREAM_WRITE_AFTER_END';
}
