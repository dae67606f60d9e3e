/**
 * Executor semantics through the real binary, on four hosts that use the local connection:
 * blocks, rescue and always, loops, precedence, handlers, fail percentage, run_once, free strategy.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRecap, REPO_ROOT, runPlay } from '../helpers/play.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/executor');
const INVENTORY = join(FIXTURES, 'inventory.ini');
const play = (name: string, ...args: string[]) => runPlay([join(FIXTURES, name), '-i', INVENTORY, ...args]);
const counts = (ok: number, changed: number, skipped: number, failed = 0, rescued = 0, ignored = 0) => ({
  ok, changed, unreachable: 0, failed, skipped, rescued, ignored,
});

const executor = suite('executor semantics');

executor('block / rescue / always: a rescued host goes on, a failed rescue fails the host', async () => {
  const r = await play('blocks.yml');
  assert.is(r.code, 2, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  assert.equal(recap.h1, counts(4, 3, 2));
  assert.equal(recap.h4, counts(4, 3, 2));
  assert.equal(recap.h2, counts(4, 2, 1, 0, 1));
  assert.equal(recap.h3, counts(3, 3, 1, 1, 1));
});

executor('loops, per-item conditions, a deferred loop error, precedence of set_fact and -e', async () => {
  const r = await play('loops.yml', '-e', 'shadowed=extra');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(parseRecap(r.stdout).h1, counts(4, 1, 1));
  assert.match(r.stdout, 'changed: [h1] => (item=1)');
  assert.match(r.stdout, 'skipping: [h1] => (item=2)');
});

executor('handlers: the last definition of a name runs, topics reach every listener, failed hosts are skipped', async () => {
  const r = await play('handlers.yml', '-v');
  assert.is(r.code, 2, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  assert.equal(recap.h1, counts(2, 2, 2));
  assert.equal(recap.h2, counts(1, 1, 0, 1));
  assert.equal(recap.h3, counts(4, 1, 1));
  assert.equal(recap.h4, counts(1, 0, 2));
  assert.match(r.stdout, 'last definition wins');
  assert.not.match(r.stdout, 'first definition');
  assert.is(r.stdout.split('RUNNING HANDLER [restart things]').length, 2, 'one banner');
});

executor('--force-handlers runs the handler on a host that failed after notifying it', async () => {
  const r = await play('handlers.yml', '--force-handlers');
  assert.equal(parseRecap(r.stdout).h2, counts(2, 2, 0, 1));
});

executor('max_fail_percentage is per batch: exceeding it stops the play before the next batch', async () => {
  const r = await play('fatal.yml');
  assert.is(r.code, 2, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  assert.equal(recap.h1, counts(0, 0, 0, 1));
  assert.equal(recap.h2, counts(0, 0, 1));
  assert.is(recap.h3, undefined, 'the second batch never ran');
});

executor('run_once registers its one result on every host; strategy free runs every host through', async () => {
  const r = await play('runonce.yml');
  assert.is(r.code, 0, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  assert.equal(recap.h1, counts(4, 3, 0));
  for (const host of ['h2', 'h3', 'h4']) assert.equal(recap[host], counts(2, 1, 1));
});

executor.run();
