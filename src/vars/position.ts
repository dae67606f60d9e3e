import { ExitCode, PlayError, type SourcePos } from '../errors.js';

/**
 * The position of something found at (line, column) inside a text that starts at `origin`:
 * `line` is 1-based and `column` 0-based, as Handlebars reports them. A template file starts
 * at line 1 col 1; a YAML string starts where the string was written in the YAML file.
 */
export function positionWithin(origin: SourcePos, line: number, column: number): SourcePos {
  return line <= 1
    ? { file: origin.file, line: origin.line, col: origin.col + column }
    : { file: origin.file, line: origin.line + line - 1, col: column + 1 };
}

/** The error for reading a variable that does not exist; it names the path and file:line. */
export function undefinedVariable(path: string, pos: SourcePos, exitCode: number = ExitCode.HOST_FAILED): PlayError {
  return new PlayError(`undefined variable '${path}' in ${pos.file}:${pos.line}`, pos, exitCode);
}
