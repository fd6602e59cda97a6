// The transfers part's reading of what transfers cost A's receipts: each run with transfers is
// set against the run alone just before it, so a machine that speeds up or slows down over the
// part (a warming node, other work) does not read as a cost or as none. No timing is asserted.
import t from 'tap'
import { pairedRatio } from '../../bench/transfers/main.ts'

t.test(
  'the cost is the median of the pairs, each with transfers over the alone just before',
  async (t) => {
    // Two pairs cost 5 %, and one, run while other work took the machine, 50 %: the pairs read
    // 0.95×, where the medians of the two series (1,000 against 2,000 req/s) would read 0.5×.
    t.equal(pairedRatio([1000, 4000, 2000], [950, 3800, 1000]), 0.95)
    t.equal(pairedRatio([2000, 2000, 2000, 2000], [1700, 1800, 1920, 2000]), 0.93)
    t.equal(pairedRatio([2500], [2000]), 0.8)
  }
)
