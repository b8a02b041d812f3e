// The check of a fault's `when:` (issue 13, "Scenario checks"): a condition whose partition, actor
// or event no trace record of the scenario can have would never fire, and the run would pass with
// the fault "never fired". Which actors a partition has and which events each records come from
// the code (src/partition/trace-actors.ts); the condition matches records exactly (run/faults.ts).
//
// Choice: an actor's instance part (`virthba:2:0`, `block-workload:disk0`, `ip-stack:eth0`) is
// not checked: it is made from run-time data in several shapes (bus and device, a disk's name, an
// interface's order). Its partition and module are, and whether it has an instance at all.

import { closestName, didYouMean } from '../base/did-you-mean.js';
import { moduleHome, type TracedModule, tracedModules } from '../partition/trace-actors.js';
import type { BadReference } from './references.js';
import type { Scenario, ScenarioFault } from './schema.js';

type When = NonNullable<ScenarioFault['when']>;

/** Known names listed in a message at most. */
const LIST_MAX = 12;

/** Adds an error for the part of fault `index`'s `when:` that no trace record can match. */
export function checkTrigger(scenario: Scenario, index: number, errors: BadReference[]): void {
  const when = scenario.faults[index]?.when;
  if (when === undefined) return;
  const path = (key: keyof When) => ['faults', index, 'when', key];
  const names = scenario.partitions.map((p) => p.name);
  if (when.partition !== undefined && !names.includes(when.partition)) {
    const message = `no partition named "${when.partition}"${didYouMean(when.partition, names)} (have ${names.join(', ')})`;
    errors.push({ path: path('partition'), message });
    return;
  }
  let scope: { who: string; modules: readonly TracedModule[] };
  if (when.actor !== undefined) {
    const actor = resolveActor(scenario, when.actor, when.partition);
    if (typeof actor === 'string') {
      errors.push({ path: path('actor'), message: actor });
      return;
    }
    scope = { who: `${when.actor} never records`, modules: [actor] };
  } else {
    const owners = when.partition === undefined ? names : [when.partition];
    const who = when.partition === undefined ? 'this scenario' : when.partition;
    scope = {
      who: `no actor of ${who} records`,
      modules: owners.flatMap((n) => tracedModules(scenario, n)),
    };
  }
  const events = [...new Set(scope.modules.flatMap((m) => m.events))];
  if (events.includes(when.event)) return;
  const known = events.length <= LIST_MAX ? ` (it records ${events.join(', ')})` : '';
  const hint = didYouMean(when.event, events);
  const message = `${scope.who} the event "${when.event}"${hint || known}`;
  errors.push({ path: path('event'), message });
}

// The module an actor id names, or why none of the scenario can have that id.
function resolveActor(
  scenario: Scenario,
  actor: string,
  partition: string | undefined,
): TracedModule | string {
  const slash = actor.indexOf('/');
  if (slash < 0) return `expected an actor "<partition>/<module>", e.g. "${actor}/lifecycle"`;
  const owner = actor.slice(0, slash);
  const [module = '', ...instance] = actor.slice(slash + 1).split(':');
  const names = scenario.partitions.map((p) => p.name);
  if (!names.includes(owner)) {
    const close = closestName(owner, names);
    const hint = close === undefined ? '' : ` (did you mean "${close}${actor.slice(slash)}"?)`;
    return `no partition named "${owner}"${hint} (have ${names.join(', ')})`;
  }
  if (partition !== undefined && partition !== owner)
    return `${actor} is an actor of ${owner}, not of partition ${partition}: no record matches both`;
  const modules = tracedModules(scenario, owner);
  const found = modules.find((m) => m.module === module);
  if (found === undefined) {
    const kind = scenario.partitions.findLast((p) => p.name === owner)?.kind;
    const home = moduleHome(module);
    if (home !== undefined) return `${owner} (${kind}) has no ${module} actor: it runs in ${home}`;
    const closeName = closestName(
      module,
      modules.map((m) => m.module),
    );
    const close = modules.find((m) => m.module === closeName);
    const hint =
      close === undefined
        ? ''
        : ` (did you mean "${owner}/${close.module}${close.instanced ? instanceText(instance) : ''}"?)`;
    const have = modules.map((m) => m.module).join(', ');
    return `${owner} (${kind}) has no actor of module "${module}"${hint} (have ${have})`;
  }
  if (found.instanced && instance.length === 0)
    return `a ${module} actor's id ends in its instance: "${actor}:<instance>" (its bus and device, disk or interface, as the trace shows)`;
  if (!found.instanced && instance.length > 0)
    return `${owner}/${module} has one actor, without an instance "${instanceText(instance)}"`;
  return found;
}

function instanceText(instance: readonly string[]): string {
  return instance.length === 0 ? '' : `:${instance.join(':')}`;
}
