// Topic patterns in SQL (stock.*, transfer.>): a pattern is kept as a GLOB, its count of dots and
// whether it ends in `>`, and matched as the triggers of the migrations that made topics and
// federations match (each migration keeps its own copy: a migration stands alone).

/** The count of dots in a SQL text expression. */
export const DOTS = (name: string) => `(length(${name}) - length(replace(${name}, '.', '')))`

/** The words of the name `topic` as a JSON array's text. */
const WORDS = (topic: string) => `('[' || replace(json_quote(${topic}), '.', '","') || ']')`

/**
 * For an open pattern with a `*` before its `>` (`*.eu.>`): each word before the `>` compared with
 * the name's word at the same place, since the GLOB's `*` could take several words there. The
 * name's words are read as a JSON array made from the name quoted by SQLite (json_quote escapes
 * whatever a transfer id holds, quotes and control characters included; a dot is never escaped).
 */
const IN_PLACE = (topic: string) => `(instr(substr(s.glob, 1, length(s.glob) - 1), '*') = 0
    OR NOT EXISTS (SELECT 1 FROM json_each('["' || replace(s.glob, '.', '","') || '"]') p
      WHERE p.key < s.dots AND p.value <> '*'
        AND p.value IS NOT json_extract(${WORDS(topic)}, '$[' || p.key || ']')))`

/**
 * Whether the topic `topic` (a SQL expression) matches the compiled pattern of the row `s`: as
 * the triggers match (migrations/20270112100000_topic_patterns_word_by_word.ts).
 */
export const MATCHES = (topic: string) =>
  `${topic} GLOB s.glob AND (${DOTS(topic)} = s.dots OR (s.open AND ${DOTS(topic)} > s.dots AND ${IN_PLACE(topic)}))`

/** A pattern's GLOB, its count of dots and whether it ends in `>` (see the migration). */
export function compiled(pattern: string) {
  const tokens = pattern.split('.')
  const open = tokens[tokens.length - 1] === '>'
  const glob = tokens.map((t) => (t === '*' || t === '>' ? '*' : t)).join('.')
  return { glob, dots: tokens.length - 1, open }
}
