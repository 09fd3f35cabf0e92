// A fake terminal for rendering the monitor in a bench: stdout records nothing, stdin never types.
import { EventEmitter } from 'node:events';

export class FakeOut extends EventEmitter {
  isTTY = false;
  columns = 120;
  rows = 40;
  onWrite = null;
  write(s) {
    this.onWrite?.(s);
    return true;
  }
}

export class FakeIn extends EventEmitter {
  isTTY = true;
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}
