/** The manual clock tests drive the engine with: timers fire in due order, only when advanced. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';

test('a manual clock stands still until advanced, and fires due timers in order at their due time', async () => {
  const clock = new ManualClock(1_000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 200);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(fired, []);
  assert.equal(clock.now(), 1_000);
  await clock.advance(150);
  assert.deepEqual(fired, ['a@1100']);
  assert.equal(clock.now(), 1_150);
  await clock.advance(50);
  assert.deepEqual(fired, ['a@1100', 'b@1200', 'c@1200']);
  assert.equal(clock.pending, 0);
});

test('timers set by timers fire within the same advance; cleared timers never fire', async () => {
  const clock = new ManualClock(0);
  const fired: number[] = [];
  const cancelled = clock.setTimeout(() => fired.push(-1), 10);
  clock.setTimeout(() => {
    fired.push(clock.now());
    clock.setTimeout(() => fired.push(clock.now()), 30);
  }, 20);
  clock.clearTimeout(cancelled);
  await clock.advance(100);
  assert.deepEqual(fired, [20, 50]);
  assert.equal(clock.now(), 100);
});

test('intervals repeat every period until cleared', async () => {
  const clock = new ManualClock(0);
  const fired: number[] = [];
  const interval = clock.setInterval(() => fired.push(clock.now()), 40);
  await clock.advance(130);
  assert.deepEqual(fired, [40, 80, 120]);
  clock.clearTimeout(interval);
  await clock.advance(100);
  assert.deepEqual(fired, [40, 80, 120]);
});

test('a timer set for 0 ms is already due: it fires without an advance, and the clock stays put', async () => {
  const clock = new ManualClock(5);
  let at: number | undefined;
  clock.setTimeout(() => (at = clock.now()), 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(at, 5);
  assert.equal(clock.now(), 5);
});

test('promise work a timer starts settles before the next timer fires', async () => {
  const clock = new ManualClock(0);
  const order: string[] = [];
  clock.setTimeout(() => void Promise.resolve().then(() => order.push('first, continued')), 10);
  clock.setTimeout(() => order.push('second'), 20);
  await clock.advance(20);
  assert.deepEqual(order, ['first, continued', 'second']);
});
