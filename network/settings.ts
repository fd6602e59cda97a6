// What the node's configuration reads of the network, loadable before the network itself: the
// membership timings and their defaults. The runtime otherwise uses network/ through
// network/index.ts, which loads all of it (some 40 modules); the node imports that once its
// database worker is forked (runtime/node.ts), so the worker does not wait for it.
export { DEFAULT_TIMING, type Timing } from './membership/timing.ts'
