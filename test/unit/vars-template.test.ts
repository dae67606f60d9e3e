import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { playErrorFrom } from '../helpers/files.js';
import type { SourcePos } from '../../src/errors.js';
import { checkTemplate, hasTemplate, renderTemplate, templateValue } from '../../src/vars/index.js';

const FILE: SourcePos = { file: 'templates/vfio.conf.hbs', line: 1, col: 1 };
const YAML: SourcePos = { file: 'roles/gpu-vfio/tasks/main.yml', line: 14, col: 12 };

const vars = {
  gpu_ids: ['10de:1eb8', '10de:10f8'],
  count: 3,
  empty: [],
  flag: false,
  node: { name: 'n1', nic: { name: 'eth0' } },
  gpus: [
    { id: '10de:1eb8', addr: '0000:01:00.0' },
    { id: '10de:10f8', addr: '0000:01:00.1' },
  ],
  groups: { all: ['n1', 'n2'], gpu_nodes: ['n1'], 'gpu-nodes': ['n2'] },
  hostvars: { node1: { ansible_host: '10.0.0.11' } },
  markup: '<a href="x">&</a>',
};

const failure = playErrorFrom;

test('renders variables, lists joined, nothing HTML-escaped', () => {
  assert.is(renderTemplate('options vfio-pci ids={{join gpu_ids ","}}\n', vars, FILE), 'options vfio-pci ids=10de:1eb8,10de:10f8\n');
  assert.is(renderTemplate('{{markup}} {{{markup}}}', vars, FILE), '<a href="x">&</a> <a href="x">&</a>');
  assert.is(renderTemplate('{{node.nic.name}}', vars, FILE), 'eth0');
  // Numbers side by side are text, not a sum.
  assert.is(renderTemplate('{{count}}{{count}}', vars, FILE), '33');
  assert.is(renderTemplate('{{{count}}}{{count}}', vars, FILE), '33');
});

test('an undefined variable in a template file names the variable, the file and the line', () => {
  const error = failure(() => renderTemplate('# vfio\nblacklist nouveau\noptions vfio-pci ids={{join gpu_ids_missing ","}}\n', vars, FILE));
  assert.is(error.message, "undefined variable 'gpu_ids_missing' in templates/vfio.conf.hbs:3");
  assert.equal([error.pos?.file, error.pos?.line], ['templates/vfio.conf.hbs', 3]);
});

test('every part of a path is checked, and the message gives the whole path', () => {
  assert.is(failure(() => renderTemplate('{{node.nope.name}}', vars, FILE)).message, "undefined variable 'node.nope.name' in templates/vfio.conf.hbs:1");
  assert.is(failure(() => renderTemplate('{{hostvars.node9.ansible_host}}', vars, FILE)).message, "undefined variable 'hostvars.node9.ansible_host' in templates/vfio.conf.hbs:1");
  assert.is(failure(() => renderTemplate('x\n\n{{#if missing}}y{{/if}}', vars, FILE)).pos?.line, 3);
  assert.is(failure(() => renderTemplate('{{eq missing 1}}', vars, FILE)).message, "undefined variable 'missing' in templates/vfio.conf.hbs:1");
  assert.is(failure(() => renderTemplate('{{#each gpus}}{{id}}{{nope}}{{/each}}', vars, FILE)).message, "undefined variable 'nope' in templates/vfio.conf.hbs:1");
  assert.is(failure(() => renderTemplate('{{#each gpus as |g|}}{{g.slot}}{{/each}}', vars, FILE)).message, "undefined variable 'g.slot' in templates/vfio.conf.hbs:1");
});

test('an undefined variable in a YAML string is reported at the line of that string', () => {
  const first = failure(() => templateValue('{{ gpu_ids_missing }}', vars, YAML));
  assert.is(first.message, "undefined variable 'gpu_ids_missing' in roles/gpu-vfio/tasks/main.yml:14");
  assert.is(first.pos?.line, 14);
  // A block scalar: the second line of the string is the next line of the file.
  const second = failure(() => templateValue('line one\nids={{ nothing_here }}', vars, YAML));
  assert.is(second.pos?.line, 15);
});

test('default works when its value is undefined, even a nested path', () => {
  assert.is(renderTemplate("{{default missing 'fallback'}}", vars, FILE), 'fallback');
  assert.is(renderTemplate("{{default node.nope.name 'n/a'}}", vars, FILE), 'n/a');
  assert.is(renderTemplate("{{default node.name 'n/a'}}", vars, FILE), 'n1');
  assert.is(renderTemplate("{{default flag 'on' true}}", vars, FILE), 'on');
  assert.is(renderTemplate("{{#if (defined missing)}}yes{{else}}no{{/if}}", vars, FILE), 'no');
  // Only the value is lenient: an undefined fallback is still an error.
  assert.is(failure(() => renderTemplate('{{default missing other_missing}}', vars, FILE)).message, "undefined variable 'other_missing' in templates/vfio.conf.hbs:1");
});

test('comparison and logic helpers, usable as subexpressions', () => {
  const t = (text: string) => renderTemplate(text, vars, FILE);
  assert.is(t('{{#if (and count (not empty))}}a{{else}}b{{/if}}'), 'a');
  assert.is(t('{{#if (or flag empty)}}a{{else}}b{{/if}}'), 'b');
  assert.is(t('{{eq count 3}} {{ne count 3}} {{lt count 4}} {{gt count 4}} {{lte count 3}} {{gte count 4}}'), 'true false true false true false');
  assert.is(t("{{#if (eq node.name 'n1')}}first{{/if}}"), 'first');
  assert.is(t("{{includes gpu_ids '10de:10f8'}} {{includes node.name 'n'}} {{includes gpu_ids 'x'}}"), 'true true false');
  assert.is(failure(() => t("{{lt count 'a'}}")).message, "helper 'lt': '<' cannot compare int with string in templates/vfio.conf.hbs:1");
});

test('text helpers: join, json, indent, upper, lower', () => {
  const t = (text: string) => renderTemplate(text, vars, FILE);
  assert.is(t('{{join gpu_ids}}'), '10de:1eb810de:10f8');
  assert.is(t('{{json node}}'), '{"name":"n1","nic":{"name":"eth0"}}');
  assert.is(t('{{json empty 2}}'), '[]');
  assert.is(renderTemplate('{{indent text 2}}', { text: 'a:\nb: 1\n\nc: 2' }, FILE), 'a:\n  b: 1\n\n  c: 2');
  assert.is(renderTemplate('{{indent text 4 true}}', { text: 'x\ny' }, FILE), '    x\n    y');
  assert.is(t("{{upper 'vfio'}} {{lower 'NVIDIA'}}"), 'VFIO nvidia');
});

test('from_json: a sole mustache yields the data; a text that is not JSON fails naming the helper and the line', () => {
  const plan = { stdout: '{"functions":["0000:41:00.0"],"ids":["10de:2230"],"conflicts":[]}' };
  assert.equal(templateValue('{{ from_json plan.stdout }}', { plan }, FILE), { functions: ['0000:41:00.0'], ids: ['10de:2230'], conflicts: [] });
  assert.is(renderTemplate('{{join (lookup (from_json plan.stdout) "ids") ","}}', { plan }, FILE), '10de:2230');
  assert.match(failure(() => renderTemplate('x\n{{from_json text}}', { text: 'oops' }, FILE)).message, /helper 'from_json': not JSON .*"oops" in templates\/vfio.conf.hbs:2/);
});

test('built-in helpers keep working: each over lists of dicts, with, unless, lookup', () => {
  const t = (text: string) => renderTemplate(text, vars, FILE);
  assert.is(t('{{#each gpus}}{{@index}}={{id}}@{{addr}};{{/each}}'), '0=10de:1eb8@0000:01:00.0;1=10de:10f8@0000:01:00.1;');
  assert.is(t('{{#each gpus as |gpu|}}{{gpu.addr}} {{/each}}'), '0000:01:00.0 0000:01:00.1 ');
  assert.is(t('{{#each node}}{{@key}} {{/each}}'), 'name nic ');
  assert.is(t('{{#with node.nic}}{{name}}{{/with}}'), 'eth0');
  assert.is(t('{{#unless flag}}off{{/unless}}'), 'off');
  assert.is(t("{{lookup node 'name'}}"), 'n1');
  assert.is(t('{{#each gpus}}{{@root.count}}{{../count}}{{/each}}'), '3333');
  assert.is(t('{{gpus.length}}'), '2');
});

test('hostvars, groups, and group names with dashes', () => {
  const t = (text: string) => renderTemplate(text, vars, FILE);
  assert.is(t('{{ hostvars.node1.ansible_host }}'), '10.0.0.11');
  assert.is(t('{{ join groups.gpu_nodes "," }}'), 'n1');
  assert.is(t('{{ join groups.[gpu-nodes] "," }} {{ join groups.gpu-nodes "," }}'), 'n2 n2');
});

test('a string that is one mustache yields the raw value, as for loop: "{{ gpus }}"', () => {
  assert.equal(templateValue('{{ gpus }}', vars, YAML), vars.gpus);
  assert.is(templateValue('{{ count }}', vars, YAML), 3);
  assert.is(templateValue('{{flag}}', vars, YAML), false);
  assert.equal(templateValue('{{ node.nic }}', vars, YAML), { name: 'eth0' });
  assert.equal(templateValue("{{ default missing gpu_ids }}", vars, YAML), vars.gpu_ids);
  assert.is(templateValue('{{ join gpu_ids "," }}', vars, YAML), '10de:1eb8,10de:10f8');
  assert.is(templateValue('count={{ count }}', vars, YAML), 'count=3');
  assert.is(templateValue(' {{ count }}', vars, YAML), ' 3');
});

test('templateValue walks lists and dicts, and leaves values without {{ untouched', () => {
  const plain = { a: 'x', b: [1, 'y'], c: { d: true } };
  assert.is(templateValue(plain, vars, YAML), plain);
  assert.is(templateValue('no braces here', vars, YAML), 'no braces here');
  assert.is(templateValue(5, vars, YAML), 5);
  const args = { dest: '/etc/modprobe.d/vfio.conf', ids: '{{ gpu_ids }}', lines: ['ids={{ join gpu_ids "," }}', 'x'], opt: { n: '{{ count }}' } };
  assert.equal(templateValue(args, vars, YAML), {
    dest: '/etc/modprobe.d/vfio.conf',
    ids: vars.gpu_ids,
    lines: ['ids=10de:1eb8,10de:10f8', 'x'],
    opt: { n: 3 },
  });
  assert.is(hasTemplate(args), true);
  assert.is(hasTemplate(plain), false);
  assert.is(hasTemplate([{ deep: ['{{ x }}'] }]), true);
});

test('JavaScript internals are not reachable from templates', () => {
  assert.is(failure(() => renderTemplate('{{node.constructor}}', vars, FILE)).message, "undefined variable 'node.constructor' in templates/vfio.conf.hbs:1");
  assert.is(failure(() => renderTemplate('{{node.__proto__}}', vars, FILE)).message, "undefined variable 'node.__proto__' in templates/vfio.conf.hbs:1");
  assert.is(renderTemplate("{{lookup node 'constructor'}}", vars, FILE), '');
});

test('checkTemplate reports syntax errors, unknown helpers and partials at file:line', () => {
  const bad = (text: string) => failure(() => checkTemplate(text, FILE));
  const open = bad('a\nb\n{{#if x}}never closed');
  assert.is(open.pos?.line, 3);
  assert.match(open.message, /^bad template in templates\/vfio\.conf\.hbs:3: syntax error: the template ends too early/);
  assert.is(bad('{{#if x}}\n{{/each}}').message, "bad template in templates/vfio.conf.hbs:1: if doesn't match each");
  const unknown = bad('ok\n{{frobnicate gpu_ids}}');
  assert.is(unknown.message, "bad template in templates/vfio.conf.hbs:2: unknown helper 'frobnicate'");
  assert.match(bad('{{> header}}').message, /partials and decorators are not supported/);
  assert.match(bad("{{ x | default('a') }}").message, /templates are Handlebars: write \{\{default x 'v'\}\}/);
  const jinja = bad('GRUB_CMDLINE_LINUX="quiet"\n{% if iommu %}intel_iommu=on{% endif %}\n');
  assert.is(jinja.pos?.line, 2);
  assert.match(jinja.message, /Jinja statements \(\{% \.\.\. %\}\) are not supported/);
  checkTemplate('{{#each gpus}}{{default id "x"}}{{/each}}', FILE);
  assert.is(renderTemplate('{{count}} {{{{raw}}}}{% keep %} {{ this too }}{{{{/raw}}}}', vars, FILE), '3 {% keep %} {{ this too }}');
});

test.run();
