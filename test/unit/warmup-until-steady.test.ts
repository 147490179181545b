/**
 * A warm-up burst ends when the seat is steady: the last two slices agree with the two before on calls/s and on CPU per
 * call. A bridge whose children are still compiling shows it in CPU per call before calls/s; a target whose CPU is not
 * charged, or a slow one whose slices hold too few calls to say, is judged on calls/s alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSteady, type WarmupSlice } from '../../harness/runner/steady.js';

const slice = (rate: number, cpuPerCallUs?: number, calls = 1_000): WarmupSlice => ({ calls, rate, cpuPerCallUs });

test('fewer than four slices are never steady', () => {
  assert.equal(isSteady([slice(5_000, 100), slice(5_000, 100), slice(5_000, 100)]), false);
});

test('four slices that agree are steady', () => {
  assert.equal(isSteady([slice(10_000, 70), slice(10_400, 72), slice(9_900, 69), slice(10_200, 71)]), true);
});

test('a rise in calls/s beyond the tolerance is not steady', () => {
  // The bridge of the measurement in steady.ts: its children's optimized code arriving.
  assert.equal(isSteady([slice(6_300, 187), slice(6_500, 180), slice(9_800, 88), slice(11_000, 75)]), false);
});

test('calls/s flat while CPU per call moves is not steady (children compiling)', () => {
  assert.equal(isSteady([slice(3_070, 260), slice(3_100, 300), slice(3_150, 467), slice(3_100, 420)]), false);
});

test('only the last four slices count', () => {
  const rising = [slice(2_000, 700), slice(3_000, 500), slice(6_000, 200)];
  assert.equal(isSteady([...rising, slice(11_000, 70), slice(11_200, 68), slice(10_900, 70), slice(11_100, 69)]), true);
});

test('without CPU figures (a target already running), calls/s decides', () => {
  assert.equal(isSteady([slice(9_000), slice(9_100), slice(8_900), slice(9_050)]), true);
  assert.equal(isSteady([slice(5_000), slice(5_100), slice(8_900), slice(9_050)]), false);
});

test('slices of few calls are judged on calls/s alone (a process spawned per call makes their CPU noise)', () => {
  const few = (rate: number, cpu: number): WarmupSlice => slice(rate, cpu, 8);
  assert.equal(isSteady([few(15, 7_000), few(16, 12_000), few(15, 6_500), few(16, 9_800)]), true);
});
