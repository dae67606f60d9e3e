import { shellQuote } from '../connection/shell.js';

/**
 * The `command` module's `expand_argument_vars` (on by default in Ansible): in each word, `$NAME` and
 * `${NAME}` become the target's environment value (left as written when unset, like Python's
 * os.path.expandvars), then a leading `~` or `~user` becomes that home directory (os.path.expanduser).
 * Nothing else is expanded: the values are read into helper variables by a preamble and used quoted,
 * so a value holding spaces, `*` or `$(...)` reaches the program as plain text.
 */
export interface ExpandedLine {
  /** Assignments to run before the command. */
  preamble: string[];
  /** The command's words as shell text, each one word whatever the values hold. */
  words: string[];
}

const VAR_REF = /\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/g;

export function expandWords(argv: string[]): ExpandedLine {
  const preamble: string[] = [];
  const words = argv.map((word) => {
    let text = '';
    let last = 0;
    let rest = word;
    const tilde = /^~([A-Za-z_][A-Za-z0-9_.-]*)?(?=\/|$)/.exec(word);
    if (tilde) {
      // An unquoted tilde-prefix (the user name is checked above) is expanded by the shell itself.
      text = tilde[1] ? `~${tilde[1]}` : '"$HOME"';
      rest = word.slice(tilde[0].length);
    }
    for (const m of rest.matchAll(VAR_REF)) {
      const name = m[1] ?? m[2]!;
      const helper = `_play_v${preamble.length}`;
      preamble.push(`if [ "\${${name}+set}" = set ]; then ${helper}=$${name}; else ${helper}=${shellQuote(m[0])}; fi`);
      text += quoteIfAny(rest.slice(last, m.index)) + `"$${helper}"`;
      last = m.index! + m[0].length;
    }
    text += quoteIfAny(rest.slice(last));
    return text === '' ? "''" : text;
  });
  return { preamble, words };
}

function quoteIfAny(literal: string): string {
  return literal === '' ? '' : shellQuote(literal);
}
