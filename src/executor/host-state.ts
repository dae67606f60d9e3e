import type { Handler, Vars } from '../playbook/types.js';

/** What the run knows about one host, kept across tasks and plays. */
export class HostState {
  /** Gathered facts (`ansible_facts`). */
  facts: Vars = {};
  /** Registered results and set_fact values: the highest level below extra vars. */
  readonly hostFacts: Vars = {};
  /** Handlers notified by a change and not yet run. */
  readonly notified = new Set<Handler>();
  /** Failed in this play (dropped from it); reset only for hosts a rescue recovers. */
  failed = false;
  /** Could not be reached: out of the run from then on. */
  unreachable = false;
  /** `meta: end_host` ended this host's play. */
  ended = false;

  constructor(readonly name: string) {}

  get active(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}
