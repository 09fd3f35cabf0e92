// A fake terminal for mounting the monitor in tests (renderMonitor, or Ink's render with debug frames).
import { EventEmitter } from 'node:events';

/** A terminal's output side: everything written is kept (data), and the last non-empty write (last). */
export class FakeOut extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 30;
  data = '';
  last = '';
  constructor(size?: { columns: number; rows: number }) {
    super();
    if (size) Object.assign(this, size);
  }
  write(s: string) {
    this.data += s;
    if (s !== '') this.last = s;
    return true;
  }
}

/** A terminal's input side: write() types; the raw-mode switches are recorded. */
export class FakeIn extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  private buf: string | null = null;
  write(s: string) {
    this.buf = s;
    this.emit('readable');
    this.emit('data', s);
  }
  read() {
    const b = this.buf;
    this.buf = null;
    return b;
  }
  setRawMode(on: boolean) {
    this.raw.push(on);
  }
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}
