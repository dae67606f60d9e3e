/** Exit codes, as ansible-playbook uses them. */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  HOST_FAILED: 2,
  UNREACHABLE: 4,
  PARSE_ERROR: 4,
  BAD_OPTIONS: 5,
  INTERRUPTED: 99,
} as const;

/** Where something was written by the user: a file, 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  if (!pos) return '';
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/**
 * An error in the user's input (inventory, playbook, template, expression, options).
 * It carries the place it was found and the exit code the CLI should end with.
 */
export class PlayError extends Error {
  constructor(
    message: string,
    readonly pos?: SourcePos,
    readonly exitCode: number = ExitCode.PARSE_ERROR,
  ) {
    super(message);
    this.name = 'PlayError';
  }

  /** "file:line:col: message", the way every load-time error is shown. */
  describe(): string {
    return this.pos ? `${formatPos(this.pos)}: ${this.message}` : this.message;
  }
}

/** A bad command-line flag or value (exit code 5). */
export class OptionsError extends PlayError {
  constructor(message: string) {
    super(message, undefined, ExitCode.BAD_OPTIONS);
    this.name = 'OptionsError';
  }
}
