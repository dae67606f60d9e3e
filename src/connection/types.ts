/** How a command is lifted to another user: sudo, as Ansible's `become`. */
export interface BecomeSpec {
  /** Run as this user (default root). */
  user: string;
  /** Only 'sudo' is supported. */
  method: 'sudo';
  /** Fed to `sudo -S` on stdin, never in argv; absent means `sudo -n`. */
  password?: string;
}

export interface ExecOptions {
  /** Bytes fed to the command's stdin (after the become password, if any). */
  stdin?: string | Buffer;
  become?: BecomeSpec;
  /** Working directory (the command is prefixed with a quoted `cd`). */
  cwd?: string;
  /** Extra environment, exported before the command. */
  env?: Record<string, string>;
}

export interface ExecResult {
  rc: number;
  stdout: string;
  stderr: string;
}

/** Options of an atomic file write on the target. */
export interface PutOptions {
  /** Octal string such as '0644'. */
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep the replaced file as DEST.TIMESTAMP.bak-like backup; the path is returned. */
  backup?: boolean;
  /** A command run on the temp file before it replaces `path`; `%s` stands for the temp file's path. */
  validate?: string;
  become?: BecomeSpec;
}

export interface PutResult {
  backupFile?: string;
}

/** Thrown when a host cannot be reached or the connection drops unexpectedly. */
export class UnreachableError extends Error {
  constructor(message: string, readonly host: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/**
 * One open connection to one host, reused by every task of the run.
 * `exec` takes a POSIX shell command line; callers quote every variable part with `shellQuote`.
 */
export interface Connection {
  readonly host: string;
  /** 'ssh' or 'local'. */
  readonly transport: string;
  connect(): Promise<void>;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Write `content` to `path` atomically: a temp file in the same directory, then rename. */
  put(path: string, content: Buffer, options?: PutOptions): Promise<PutResult>;
  /** Close and open again (after a reboot); retries until `deadline` (epoch ms). */
  reconnect(deadline: number): Promise<void>;
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /**
   * Wait until the server has closed its side too (the default). False at the end of a run: the
   * disconnect and the FIN go out, and nothing waits the round trip for the server's answer, as
   * OpenSSH's client does not.
   */
  awaitServer?: boolean;
}
