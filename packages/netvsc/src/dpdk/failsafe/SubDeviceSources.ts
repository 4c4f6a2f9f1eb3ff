import { BypassError } from '@bypass/core';

/**
 * Runs the command of a fail-safe `exec(<command>)` sub-device and returns its standard output
 * (DPDK runs it with `popen`), or null when it could not be run. Tests and simulations inject
 * a table of canned outputs; nothing here starts a real shell.
 *
 * @example
 * ```ts
 * const runner: CommandRunner = { run: (cmd) => (cmd === 'find-vf' ? '0002:00:02.0\n' : null) };
 * ```
 */
export interface CommandRunner {
  run(command: string): string | null;
}

/**
 * Non-blocking reads from the file descriptors a fail-safe `fd(<n>)` sub-device names: returns
 * every byte written since the last read (possibly '') or null for an unknown descriptor.
 *
 * @example
 * ```ts
 * const fds: FdReader = pipes; // a PipeTable
 * fds.read(3); // '0002:00:02.0\n'
 * ```
 */
export interface FdReader {
  read(fd: number): string | null;
}

/**
 * An in-memory pipe: what {@link Pipe.write} puts in, {@link Pipe.read} takes out (all of it).
 * Its capacity is bounded like a kernel pipe's (64 KiB): a write that does not fit is refused
 * (returns 0), as a non-blocking `write` would fail with EAGAIN.
 *
 * @example
 * ```ts
 * const p = new Pipe();
 * p.write('0002:00:02.0\n');
 * p.read(); // '0002:00:02.0\n'
 * p.read(); // ''
 * ```
 */
export class Pipe {
  /** Bytes a pipe holds (Linux's default pipe size). */
  static readonly CAPACITY = 65536;
  private data = '';
  private closed = false;

  /** Appends `text`; returns how many characters were written (0 when full or closed). */
  write(text: string): number {
    if (this.closed || this.data.length + text.length > Pipe.CAPACITY) return 0;
    this.data += text;
    return text.length;
  }

  /** Takes everything pending. */
  read(): string {
    const d = this.data;
    this.data = '';
    return d;
  }

  /** Characters pending. */
  get pending(): number {
    return this.data.length;
  }

  /** Closes the pipe: later writes are refused, pending data is discarded. */
  close(): void {
    this.closed = true;
    this.data = '';
  }
}

/**
 * A process's table of pipe descriptors (numbers from 3 upwards, never reused), readable by
 * number: the {@link FdReader} fail-safe `fd(<n>)` sub-devices read from.
 *
 * @example
 * ```ts
 * const pipes = new PipeTable();
 * const { fd, pipe } = pipes.open();
 * pipe.write('0002:00:02.0\n');
 * pipes.read(fd); // '0002:00:02.0\n'
 * ```
 */
export class PipeTable implements FdReader {
  private readonly pipes = new Map<number, Pipe>();
  private next = 3;

  /** Creates a pipe and returns its descriptor. */
  open(): { fd: number; pipe: Pipe } {
    const fd = this.next++;
    const pipe = new Pipe();
    this.pipes.set(fd, pipe);
    return { fd, pipe };
  }

  /** The pipe behind `fd`, or undefined. */
  get(fd: number): Pipe | undefined {
    return this.pipes.get(fd);
  }

  read(fd: number): string | null {
    const p = this.pipes.get(fd);
    return p === undefined ? null : p.read();
  }

  /**
   * Closes `fd`.
   *
   * @throws `BypassError` `ERR_NOT_FOUND` for an unknown descriptor.
   */
  close(fd: number): void {
    const p = this.pipes.get(fd);
    if (p === undefined) throw new BypassError('ERR_NOT_FOUND', `no pipe with descriptor ${fd}`);
    p.close();
    this.pipes.delete(fd);
  }
}
