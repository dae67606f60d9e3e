import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { shellQuote } from './shell.js';
import type { ExecResult } from './types.js';

/** The loop's first line: a server that runs something else for our command never says it. */
const SHELL_READY = 'play-shell-ready';

/** Runs the request's command text `$c` in the current (sub)shell, with none of the loop's state. */
const RUN_COMMAND = 'set --; unset h b n m k l nl r; eval "unset c; $c"';

/**
 * The persistent remote shell: one session channel runs this loop, and every command of the run is
 * one request on its stdin and one framed reply on its stdout and stderr. A command then costs one
 * round trip and one fork on the host (a subshell), instead of a channel open, an exec request and a
 * fresh login shell per command.
 *
 * A request is a header line `BOUNDARY LINES BYTES TEXT`, the command line (shell text) as LINES
 * lines or, when TEXT is not 0, as TEXT bytes, then BYTES bytes for the command's stdin (small text
 * stdin is a here-document inside the text instead, with BYTES 0: see `encodeRequest`). The header
 * and short command text are read with `read -r`, which takes one byte per read(2) and so never reads
 * past its line; long command text (the facts script, an awk program) and the stdin bytes are read by
 * `head -c`, which reads no more than asked, in one read. The command is `eval`ed in a subshell: its process,
 * variables, working directory, `exit`, traps and options are its own, without the exec of a new
 * `sh` (which cost more than the rest of a trivial command on the host); the loop's variables are
 * unset there first and the positional parameters emptied. `$$` and `$PPID` are the loop's, as in
 * any subshell; shell text from users runs in its own `sh -c` anyway (the shell module's, sudo's).
 * Its stdin is /dev/null or exactly its BYTES, drained after it exits so that unread bytes cannot
 * be taken for the next request. Then the loop writes
 * `BOUNDARY RC` on stdout and `BOUNDARY` on stderr. The boundary is random per command and lives only
 * in the loop's memory, so a command cannot print it by accident or design.
 *
 * The loop starts by printing SHELL_READY, so that a server which does not run the loop (a
 * ForceCommand, an appliance answering every exec its own way) is told apart from a loop that died:
 * the caller then falls back to one channel per command. The loop is one line, so any login shell
 * can run it through `exec /bin/sh -c '…'`.
 */
const SHELL_LOOP =
  `printf '%s\\n' ${SHELL_READY}; ` +
  `nl=$(printf '\\nx'); nl=\${nl%x}; ` +
  `while IFS= read -r h; do set -f; set -- $h; set +f; b=$1; n=$2; m=$3; k=$4; c=; ` +
  `[ "$k" -gt 0 ] && c=$(head -c "$k")$nl; ` +
  `while [ "$n" -gt 0 ]; do IFS= read -r l; c=$c$l$nl; n=$((n - 1)); done; ` +
  `if [ "$m" -eq 0 ]; then ( ${RUN_COMMAND} ) </dev/null; r=$?; ` +
  `else head -c "$m" | { ( ${RUN_COMMAND} ); r=$?; cat >/dev/null; exit $r; }; r=$?; fi; ` +
  `printf '%s %d\\n' "$b" "$r"; printf '%s\\n' "$b" >&2; ` +
  'done';

/** The command a session channel runs to become a persistent shell. */
export const SHELL_BOOTSTRAP = `exec /bin/sh -c ${shellQuote(SHELL_LOOP)}`;

/** Random bytes drawn in batches: one `randomBytes` call per command cost more than the rest of the framing. */
const BOUNDARY_BYTES = 16;
const BOUNDARIES_PER_DRAW = 256;
let randomPool = Buffer.alloc(0);
let randomPoolOffset = 0;

export function newBoundary(): string {
  if (randomPoolOffset === randomPool.length) {
    randomPool = randomBytes(BOUNDARY_BYTES * BOUNDARIES_PER_DRAW);
    randomPoolOffset = 0;
  }
  const bytes = randomPool.subarray(randomPoolOffset, randomPoolOffset + BOUNDARY_BYTES);
  randomPoolOffset += BOUNDARY_BYTES;
  return `play-${bytes.toString('hex')}`;
}

/**
 * Command text up to this size is read by the loop's `read` builtin, one byte per read(2): ~2 µs a
 * byte on the host, so beyond ~0.5 KiB one `head -c` (a fork and an exec) costs less.
 */
const TEXT_READ_BY_LINES_MAX = 512;

/** Stdin up to this size, in lines of text, travels as a here-document in the command text instead (see `encodeRequest`). */
const HEREDOC_STDIN_MAX = 1024;

/** Whether `stdin` can be a here-document ending in `delimiter`: text lines, none of them the delimiter. */
function fitsHereDocument(stdin: Buffer, delimiter: string): boolean {
  if (stdin.length === 0 || stdin.length > HEREDOC_STDIN_MAX || stdin[stdin.length - 1] !== 0x0a || stdin.includes(0)) {
    return false;
  }
  return !`\n${stdin.toString('latin1')}`.includes(`\n${delimiter}\n`);
}

/**
 * One request for the loop: header, command text, stdin bytes. Small text stdin (the usual
 * `stdin:` of a command task) goes inside the command text as a quoted here-document of the whole
 * command line, `{ LINE\n} <<'BOUNDARY'`: the shell then gives it to the command with no `head`
 * and no `cat` started on the host. The bytes stay as they are (quoted delimiter: no expansion).
 */
export function encodeRequest(boundary: string, line: string, stdin: Buffer): Buffer {
  // `{ }` around nothing is a syntax error: an empty line keeps its stdin as raw bytes.
  const inText = line.trim() !== '' && fitsHereDocument(stdin, boundary);
  const text = inText
    ? Buffer.concat([Buffer.from(`{ ${line}\n} <<'${boundary}'\n`, 'utf8'), stdin, Buffer.from(boundary, 'utf8')])
    : Buffer.from(line, 'utf8');
  const stdinBytes = inText ? 0 : stdin.length;
  const header =
    // TEXT counts the newline after the text, so that `head` leaves the stream at the stdin bytes.
    text.length > TEXT_READ_BY_LINES_MAX ? `${boundary} 0 ${stdinBytes} ${text.length + 1}` : `${boundary} ${countLines(text)} ${stdinBytes} 0`;
  return Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), text, Buffer.from('\n'), inText ? Buffer.alloc(0) : stdin]);
}

/** The lines of `text` once a final newline is added. */
function countLines(text: Buffer): number {
  let lines = 1;
  for (let at = text.indexOf(0x0a); at >= 0; at = text.indexOf(0x0a, at + 1)) lines++;
  return lines;
}

/**
 * Collects one stream's bytes up to the boundary and the end of the line after it. The body is
 * everything before the boundary (binary, any size, with or without a trailing newline); the trailer
 * is the text between the boundary and that newline (the exit code on stdout).
 */
export class FrameReader {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private boundaryAt = -1;
  done?: { body: Buffer; trailer: string };

  constructor(private readonly boundary: Buffer) {}

  /** Takes a chunk; returns true once the frame is complete (then `done` is set). */
  push(chunk: Buffer): boolean {
    if (this.done) return true;
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.boundaryAt < 0) {
      // Only the new chunk and the bytes just before it can hold a boundary not seen yet.
      const windowStart = Math.max(0, this.length - chunk.length - (this.boundary.length - 1));
      const found = this.bytesFrom(windowStart).indexOf(this.boundary);
      if (found < 0) return false;
      this.boundaryAt = windowStart + found;
    }
    const rest = this.bytesFrom(this.boundaryAt + this.boundary.length);
    const newline = rest.indexOf(0x0a);
    if (newline < 0) return false;
    this.done = {
      body: this.joined(0).subarray(0, this.boundaryAt),
      trailer: rest.subarray(0, newline).toString('utf8'),
    };
    return true;
  }

  /** The bytes from `offset` to the end, joining only the chunks they span. */
  private bytesFrom(offset: number): Buffer {
    let start = this.length;
    let i = this.chunks.length;
    while (i > 0 && start > offset) start -= this.chunks[--i]!.length;
    return this.joined(i).subarray(offset - start);
  }

  /** The chunks from index `first` on as one buffer, copied only when there are several (most replies are one chunk). */
  private joined(first: number): Buffer {
    return first === this.chunks.length - 1 ? this.chunks[first]! : Buffer.concat(this.chunks.slice(first));
  }
}

/** Why a shell can take no more commands. */
export class ShellClosedError extends Error {}

/** The channel closed without the loop's greeting: the server does not run our loop for us. */
export class NoShellError extends Error {}

/**
 * One persistent shell on one session channel, running one command at a time.
 * Its owner queues commands and keeps idle shells for reuse.
 */
export class RemoteShell {
  private current?: {
    out: FrameReader;
    err: FrameReader;
    resolve: (result: ExecResult) => void;
    reject: (err: Error) => void;
  };
  closed = false;
  /** Stdout bytes before the greeting was complete; undefined once it was seen. */
  private greeting: Buffer | undefined = Buffer.alloc(0);
  private readonly expectedGreeting = Buffer.from(`${SHELL_READY}\n`, 'utf8');

  constructor(private readonly channel: ClientChannel) {
    channel.on('data', (d: Buffer) => this.take('out', this.afterGreeting(d)));
    channel.stderr.on('data', (d: Buffer) => this.take('err', d));
    // The loop may be gone (killed, or its host going down): the close below says so.
    channel.on('error', () => {});
    channel.on('close', () => {
      this.closed = true;
      const running = this.current;
      this.current = undefined;
      running?.reject(
        this.greeting
          ? new NoShellError('the server did not start the remote shell')
          : new ShellClosedError('the remote shell exited while running a command'),
      );
    });
  }

  /** Strips the greeting from the first stdout bytes; a different start means no loop runs there. */
  private afterGreeting(data: Buffer): Buffer {
    if (!this.greeting) return data;
    const seen = Buffer.concat([this.greeting, data]);
    const expected = this.expectedGreeting;
    if (!seen.subarray(0, expected.length).equals(expected.subarray(0, Math.min(seen.length, expected.length)))) {
      this.channel.close();
      return Buffer.alloc(0);
    }
    if (seen.length < expected.length) {
      this.greeting = seen;
      return Buffer.alloc(0);
    }
    this.greeting = undefined;
    return seen.subarray(expected.length);
  }

  run(line: string, stdin: Buffer): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new ShellClosedError('the remote shell has exited'));
    if (this.current) throw new Error('RemoteShell.run: one command at a time');
    const boundary = newBoundary();
    const marker = Buffer.from(boundary, 'utf8');
    return new Promise((resolve, reject) => {
      this.current = { out: new FrameReader(marker), err: new FrameReader(marker), resolve, reject };
      this.channel.write(encodeRequest(boundary, line, stdin));
    });
  }

  close(): void {
    this.channel.close();
  }

  private take(stream: 'out' | 'err', data: Buffer): void {
    const running = this.current;
    // Output after a reply (from a command's background process) belongs to no request.
    if (!running || data.length === 0) return;
    running[stream].push(data);
    const out = running.out.done;
    const err = running.err.done;
    if (!out || !err) return;
    this.current = undefined;
    const rc = Number(out.trailer.trim());
    running.resolve({
      rc: Number.isInteger(rc) ? rc : 255,
      stdout: out.body.toString('utf8'),
      stderr: err.body.toString('utf8'),
    });
  }
}
