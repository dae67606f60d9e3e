// jexl 2.3 ships its lexer and parser as separate CommonJS files; we drive them directly
// so that Jinja keywords can be rewritten between tokenizing and parsing.
declare module 'jexl/dist/grammar.js' {
  export interface JexlElement {
    type: string;
    precedence?: number;
  }
  export interface JexlGrammar {
    elements: Record<string, JexlElement>;
    functions: Record<string, unknown>;
    transforms: Record<string, unknown>;
  }
  export function getGrammar(): JexlGrammar;
}

declare module 'jexl/dist/Lexer.js' {
  import type { JexlGrammar } from 'jexl/dist/grammar.js';
  export interface JexlToken {
    type: string;
    value: unknown;
    raw: string;
  }
  export default class Lexer {
    constructor(grammar: JexlGrammar);
    tokenize(text: string): JexlToken[];
  }
}

declare module 'jexl/dist/parser/Parser.js' {
  import type { JexlGrammar } from 'jexl/dist/grammar.js';
  import type { JexlToken } from 'jexl/dist/Lexer.js';
  export default class Parser {
    constructor(grammar: JexlGrammar);
    addTokens(tokens: JexlToken[]): void;
    complete(): unknown;
  }
}
