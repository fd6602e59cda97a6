// How old something is, in the page's language ("3 min ago", "hace 3 min"): the browser's own
// Intl.RelativeTimeFormat, so no words of ours to keep in two languages.

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', Infinity],
]

/** `ms` ago, in the largest unit that keeps it a whole number above zero. */
export function ago(ms: number, locale: string): string {
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' })
  let value = Math.max(0, Math.round(ms / 1000))
  for (const [unit, next] of STEPS) {
    if (value < next) return format.format(-value, unit)
    value = Math.floor(value / next)
  }
  return format.format(-value, 'day')
}

/** How long ago an ISO time was, by this browser's clock; null stays null. */
export function agoSince(iso: string | null, locale: string, now = Date.now()): string | null {
  return iso === null ? null : ago(now - Date.parse(iso), locale)
}
