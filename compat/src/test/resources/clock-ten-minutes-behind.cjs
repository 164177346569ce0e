// Loaded with `node --require` (NODE_OPTIONS) by the compat suite's ExpiredIteratorException test:
// the Freshet it starts reads the time ten minutes early, so an iterator it issues is already ten
// minutes old when a Freshet on the true clock, over the same data directory, is asked to read it.
// Freshet's clock is Date.now (src/core/clock.ts), taken when its modules load, after this.
const trueNow = Date.now;
Date.now = () => trueNow() - 10 * 60 * 1000;
