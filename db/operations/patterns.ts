// Topic patterns in SQL (stock.*, transfer.>): a pattern is kept as a GLOB, its count of dots and
// whether it ends in `>`, and matched as the triggers of the migrations that made topics and
// federations match (each migration keeps its own copy: a migration stands alone).

/** The count of dots in a SQL text expression. */
export const DOTS = (name: string) => `(length(${name}) - length(replace(${name}, '.', '')))`

/** Whether the topic `topic` (a SQL expression) matches the compiled pattern of the row `s`. */
export const MATCHES = (topic: string) =>
  `${topic} GLOB s.glob AND (${DOTS(topic)} = s.dots OR (s.open AND ${DOTS(topic)} > s.dots))`

/** A pattern's GLOB, its count of dots and whether it ends in `>` (see the migration). */
export function compiled(pattern: string) {
  const tokens = pattern.split('.')
  const open = tokens[tokens.length - 1] === '>'
  const glob = tokens.map((t) => (t === '*' || t === '>' ? '*' : t)).join('.')
  return { glob, dots: tokens.length - 1, open }
}
