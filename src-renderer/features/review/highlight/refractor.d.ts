// refractor 3 (the major react-diff-view's tokenize supports) ships no types; this is the part we use.
declare module 'refractor/core.js' {
  export interface RefractorGrammar {
    (refractor: unknown): void;
    displayName: string;
    aliases: string[];
  }
  export interface Refractor {
    /** Highlights `value` with a registered grammar into hast nodes; throws for an unknown language. */
    highlight(value: string, language: string): unknown[];
    register(grammar: RefractorGrammar): void;
    registered(language: string): boolean;
  }
  const refractor: Refractor;
  export default refractor;
}

declare module 'refractor/lang/*.js' {
  import type { RefractorGrammar } from 'refractor/core.js';
  const grammar: RefractorGrammar;
  export default grammar;
}
