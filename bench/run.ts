/**
 * `npm run bench`: play side by side with Ansible (pipelining, Mitogen) on its own lab.
 * Prints one table per scenario (issue 6). Environment: BENCH_RUNS (default 3), BENCH_ANSIBLE=0 to
 * leave Ansible out, BENCH_SCENARIOS (default "1,2,3,4").
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureProxyRtt, startLatencyProxies } from './latency-proxy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PLAY = join(ROOT, 'dist/cli/main.js');
const BENCH = join(ROOT, 'bench');
const TRIVIAL = join(BENCH, 'ansible/trivial.yml');
const GPU_VFIO = join(ROOT, 'playbooks/gpu-vfio.yml');
const ANSIBLE_GPU_VFIO = join(BENCH, 'ansible/gpu-vfio/gpu-vfio.yml');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? '1,2,3,4').split(','));
const RTT_MS = 20;
/**
 * Round trips before the first task over the latency proxy, as a usual client makes them: SSH
 * version + KEXINIT exchange (1), ECDH key exchange and NEWKEYS (1), ssh-userauth service request (1),
 * public key query and the signed request (2), session channel open (1) and its exec request for the
 * persistent shell (1). play sends the signed request at once (1 instead of 2) but then waits a second
 * round trip for the channel: OpenSSH sends its hostkeys-00 message first and, Nagle being on for a
 * session without a terminal, holds the open confirmation until that message is acknowledged.
 * The TCP handshake costs none here: the proxy accepts locally and delays data only.
 */
const CONNECTION_ROUND_TRIPS = 7;
const MITOGEN_STRATEGY = '/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy';

type Runner = 'play' | 'ansible (pipelining)' | 'ansible (mitogen)';

interface Sample {
  wall: number;
  cpu: number;
  rssMb: number;
  /** Busy CPU seconds of the whole machine during the run: the runner, the lab's nodes, the latency proxies. */
  machineCpu: number;
}

const CORES = Number(spawnSync('nproc').stdout.toString().trim());
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim());

/** Busy CPU seconds of the machine since boot, from /proc/stat's first line (everything but idle and iowait). */
function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
}

const work = mkdtempSync(join(tmpdir(), 'play-bench-'));
let nextSubnet = 151;

/** Reads a run's output (stdout and stderr) and throws when the run did not do what the table claims. */
type OutputCheck = (output: string) => void;

/** Runs `argv` under GNU time; returns wall, user+sys CPU of it and its children, and peak RSS. */
function measureOnce(argv: string[], env: NodeJS.ProcessEnv = {}, check?: OutputCheck): Promise<Sample> {
  const timeFile = join(work, 'time.txt');
  const logFile = join(work, 'last-run.log');
  const busyBefore = machineBusySeconds();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, '--', ...argv], {
      cwd: BENCH,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The runner's output goes to a file the bench reads only on failure: the bench never
    // waits on a full pipe.
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => {
      const machineCpu = machineBusySeconds() - busyBefore;
      writeFileSync(logFile, output);
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}:\n${output.slice(-2000)}`));
      try {
        check?.(output);
      } catch (err) {
        return reject(err);
      }
      const [wall, user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolve({ wall: wall!, cpu: user! + sys!, rssMb: rssKb! / 1024, machineCpu });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of each figure over the runs. */
function medianSample(samples: Sample[]): Sample {
  return {
    wall: median(samples.map((s) => s.wall)),
    cpu: median(samples.map((s) => s.cpu)),
    rssMb: median(samples.map((s) => s.rssMb)),
    machineCpu: median(samples.map((s) => s.machineCpu)),
  };
}

async function measure(argv: string[], env: NodeJS.ProcessEnv = {}, runs = RUNS, check?: OutputCheck): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await measureOnce(argv, env, check));
  return medianSample(samples);
}

function commandFor(runner: Runner, playbook: string, inventory: string, forks: number): [string[], NodeJS.ProcessEnv] {
  if (runner === 'play') return [[process.execPath, PLAY, playbook, '-i', inventory, '-f', String(forks)], {}];
  const config = join(BENCH, 'ansible', runner === 'ansible (mitogen)' ? 'mitogen.cfg' : 'pipelining.cfg');
  return [['ansible-playbook', playbook, '-i', inventory, '-f', String(forks)], { ANSIBLE_CONFIG: config }];
}

// ---- the lab ---------------------------------------------------------------------------------

interface Lab {
  dir: string;
  nodes: { name: string; address: string; hostKey: string }[];
}

function playLab(...args: string[]): void {
  const result = spawnSync(process.execPath, [PLAY, 'lab', ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`play lab ${args.join(' ')}: ${result.stdout}${result.stderr}`);
}

const labs: Lab[] = [];

function labUp(count: number, profiles = 'mixed'): Lab {
  const dir = join(work, `lab-${nextSubnet}`);
  playLab('up', String(count), '--profile', profiles, '--dir', dir, '--subnet', String(nextSubnet++));
  const manifest = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { nodes: { name: string; address: string }[] };
  const keys = new Map(
    readFileSync(join(dir, 'known_hosts'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [address, ...key] = line.split(' ');
        return [address!, key.join(' ')] as const;
      }),
  );
  const lab = { dir, nodes: manifest.nodes.map((n) => ({ ...n, hostKey: keys.get(n.address)! })) };
  labs.push(lab);
  return lab;
}

function labDown(lab: Lab): void {
  playLab('down', '--dir', lab.dir);
  labs.splice(labs.indexOf(lab), 1);
}

/** Variables both runners read: same key, same known_hosts, host key checking on. */
function connectionVars(lab: Lab, knownHosts: string): string[] {
  return [
    'ansible_user=root',
    `ansible_ssh_private_key_file=${join(lab.dir, 'id_ed25519')}`,
    `ansible_ssh_known_hosts_file=${knownHosts}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes'`,
    'ansible_python_interpreter=/usr/bin/python3',
  ];
}

/**
 * An inventory of the first `count` nodes in group `bench`; `addressOf` may send them through
 * proxies (their known_hosts then names the proxy address with the node's key).
 */
function benchInventory(lab: Lab, count: number, name: string, addressOf = (a: string) => a): string {
  const nodes = lab.nodes.slice(0, count);
  const knownHosts = join(work, `${name}.known_hosts`);
  writeFileSync(knownHosts, nodes.map((n) => `${addressOf(n.address)} ${n.hostKey}\n`).join(''));
  const lines = ['[bench]', ...nodes.map((n) => `${n.name} ansible_host=${addressOf(n.address)}`), '', '[bench:vars]', ...connectionVars(lab, knownHosts), ''];
  const path = join(work, `${name}.ini`);
  writeFileSync(path, lines.join('\n'));
  return path;
}

/** The lab's own inventory (its groups, for the roles), with the bench's connection variables. */
function labInventory(lab: Lab): string {
  const path = join(work, `lab-${lab.nodes[0]!.address}.ini`);
  const text = readFileSync(join(lab.dir, 'inventory.ini'), 'utf8');
  writeFileSync(path, `${text}\n[all:vars]\n${connectionVars(lab, join(lab.dir, 'known_hosts')).join('\n')}\n`);
  return path;
}

// ---- output ----------------------------------------------------------------------------------

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

const s = (seconds: number) => `${seconds.toFixed(2)} s`;
const mb = (value: number) => `${value.toFixed(0)} MB`;
const ratio = (value: number) => `${value.toFixed(1)}×`;

// ---- ansible ---------------------------------------------------------------------------------

function ensureAnsible(): Runner[] {
  if (process.env.BENCH_ANSIBLE === '0') return [];
  const has = () => spawnSync('ansible-playbook', ['--version']).status === 0;
  if (!has() || !existsSync(MITOGEN_STRATEGY)) {
    console.log('installing ansible-core and ansible-mitogen with apt-get …');
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible-core', 'ansible-mitogen'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const runners: Runner[] = [];
  if (has()) runners.push('ansible (pipelining)');
  if (has() && existsSync(MITOGEN_STRATEGY)) runners.push('ansible (mitogen)');
  if (runners.length < 2) console.log('ansible-playbook or the Mitogen strategy is missing: those columns are left out');
  return runners;
}

// ---- scenarios -------------------------------------------------------------------------------

async function trivialSideBySide(ansible: Runner[]): Promise<void> {
  const lab = labUp(50);
  const rows: string[][] = [];
  try {
    for (const hosts of [10, 50]) {
      const inventory = benchInventory(lab, hosts, `s1-${hosts}`);
      // Interleaved, one run of each runner per round: this machine has slow and fast spells minutes
      // long, and a ratio should compare the runners at the same moments.
      const runners = ['play', ...ansible] as Runner[];
      const samples = new Map<Runner, Sample[] | Error>(runners.map((runner) => [runner, []]));
      for (let round = 0; round < RUNS; round++) {
        for (const runner of runners) {
          const sofar = samples.get(runner)!;
          if (sofar instanceof Error) continue;
          const [argv, env] = commandFor(runner, TRIVIAL, inventory, hosts);
          await measureOnce(argv, env).then((sample) => sofar.push(sample), (err: Error) => samples.set(runner, err));
        }
      }
      const results = new Map<Runner, Sample | Error>(
        runners.map((runner) => {
          const runs = samples.get(runner)!;
          return [runner, runs instanceof Error ? runs : medianSample(runs)];
        }),
      );
      const play = results.get('play');
      for (const [runner, result] of results) {
        if (result instanceof Error) {
          rows.push([String(hosts), runner, `failed: ${result.message.split('\n')[0]}`, '', '', '']);
          continue;
        }
        const faster = play instanceof Error || runner === 'play' ? '' : ratio(result.wall / play!.wall);
        rows.push([String(hosts), runner, s(result.wall), s(result.cpu), mb(result.rssMb), faster]);
      }
    }
  } finally {
    labDown(lab);
  }
  table(
    `(1) 20 trivial 'command: true' tasks, forks = hosts, median of ${RUNS} runs, the runners taking turns (CPU and RSS: the runner and its children)`,
    ['hosts', 'runner', 'wall', 'CPU', 'peak RSS', 'play is faster by'],
    rows,
  );
}

/** GPU node profiles the gpu-vfio role accepts: the run ends with exit code 0. */
const GOOD_GPU_PROFILES = 'intel-gpu,amd-gpu,uefi,centos7';

/**
 * One runner on a fresh lab: the first run once (the nodes start unconfigured, so it reboots them),
 * then the second run (nothing to change) `RUNS` times, each checked to have changed nothing.
 */
async function gpuVfioRunner(runner: Runner): Promise<string[]> {
  const playbook = runner === 'play' ? GPU_VFIO : ANSIBLE_GPU_VFIO;
  const lab = labUp(10, GOOD_GPU_PROFILES);
  try {
    const [argv, env] = commandFor(runner, playbook, labInventory(lab), 10);
    const first = await measure(argv, env, 1);
    const second = await measure(argv, env, RUNS, assertNothingChanged);
    return [runner, s(first.wall), s(first.cpu), s(second.wall), s(second.cpu), s(second.machineCpu), mb(second.rssMb)];
  } catch (err) {
    return [runner, `failed: ${(err as Error).message.split('\n')[0]}`, '', '', '', '', ''];
  } finally {
    labDown(lab);
  }
}

/** A second run that changed something is not the figure the table claims: fail it. */
function assertNothingChanged(output: string): void {
  const changed = [...output.matchAll(/^(\S+)\s*:.*\bchanged=(\d+)/gm)].filter((m) => m[2] !== '0').map((m) => m[1]);
  if (changed.length) throw new Error(`the second run changed something on ${changed.join(', ')}`);
}

async function gpuVfio(ansible: Runner[]): Promise<void> {
  if (!existsSync(GPU_VFIO)) {
    console.log(`\n(2) skipped: ${GPU_VFIO} is not there`);
    return;
  }
  const rows: string[][] = [];
  for (const runner of ['play', ...ansible] as Runner[]) rows.push(await gpuVfioRunner(runner));
  const playSecond = Number.parseFloat(rows[0]![3]!);
  for (const row of rows.slice(1)) row.push(Number.isNaN(playSecond) ? '' : ratio(Number.parseFloat(row[3]!) / playSecond));
  table(
    `(2) gpu-vfio on 10 GPU nodes (play: playbooks/gpu-vfio.yml; Ansible: ansible/gpu-vfio/, the same work with builtin modules), ` +
      `each runner on a fresh lab; first run once (it reboots the nodes), second run (changed=0 checked) median of ${RUNS}; ` +
      `machine CPU: every process on the ${CORES} cores during the run (the runner and the ten nodes' sshd, shells and commands)`,
    ['runner', 'first run', 'CPU (1st)', 'second run', 'CPU (2nd)', 'machine CPU (2nd)', 'peak RSS (2nd)', 'play is faster (2nd) by'],
    rows,
  );
}

async function withLatency(): Promise<void> {
  const lab = labUp(50);
  const proxyAddress = (address: string) => address.replace(/^127\.0\.(\d+)\./, (_, n: string) => `127.0.${Number(n) + 50}.`);
  const proxies = await startLatencyProxies(
    lab.nodes.map((n) => ({ listenAddress: proxyAddress(n.address), listenPort: 22, targetAddress: n.address, targetPort: 22 })),
    RTT_MS,
  );
  const rows: string[][] = [];
  const proxyRtt = await measureProxyRtt(RTT_MS);
  const roundTrips = CONNECTION_ROUND_TRIPS + 20;
  try {
    // One host: the same run with no other node's commands on the cores, what play adds to the floor on its own.
    for (const hosts of [1, 10, 50]) {
      const inventory = benchInventory(lab, hosts, `s3-${hosts}`, proxyAddress);
      const [argv] = commandFor('play', TRIVIAL, inventory, hosts);
      const startOnly = await measure([process.execPath, PLAY, '--version']);
      const result = await measure(argv);
      const floor = (roundTrips * RTT_MS) / 1000;
      const measuredFloor = (roundTrips * proxyRtt) / 1000;
      rows.push([
        String(hosts), s(result.wall), s(floor), ratio(result.wall / floor), ratio((result.wall - startOnly.wall) / floor),
        s(measuredFloor), ratio(result.wall / measuredFloor), s(result.cpu), mb(result.rssMb), s(result.machineCpu), s(result.machineCpu / CORES),
      ]);
    }
  } finally {
    await proxies.close();
    labDown(lab);
  }
  table(
    `(3) as (1), play through a latency proxy adding ${RTT_MS} ms RTT per host, median of ${RUNS} runs (CPU and RSS: play and its children); floor = (${CONNECTION_ROUND_TRIPS} connection round trips + 20 tasks) × RTT; ` +
      `the proxy's own RTT, measured with one-byte echoes, is ${proxyRtt.toFixed(1)} ms; machine CPU: every process during the run ` +
      `(play, the nodes' sshd and shells, the proxies); no run on ${CORES} cores can take less than machine CPU / ${CORES}; ` +
      `the 1-host row is there to show play's own distance from the floor when no other simulated node shares the cores`,
    ['hosts', 'wall', 'floor', 'wall / floor', '(wall − play --version) / floor', `floor at ${proxyRtt.toFixed(1)} ms`, 'wall / that floor', 'CPU', 'peak RSS', 'machine CPU', `machine CPU / ${CORES}`],
    rows,
  );
}

async function scaling(): Promise<void> {
  const counts = [10, 25, 50, 100];
  const lab = labUp(100);
  const rows: string[][] = [];
  try {
    const samples: Sample[] = [];
    for (const hosts of counts) {
      const [argv] = commandFor('play', TRIVIAL, benchInventory(lab, hosts, `s4-${hosts}`), hosts);
      const result = await measure(argv);
      samples.push(result);
      const marginal = (key: 'wall' | 'rssMb', i: number) =>
        i === 0 ? '' : ((samples[i]![key] - samples[i - 1]![key]) / (counts[i]! - counts[i - 1]!)).toFixed(key === 'wall' ? 4 : 2);
      const i = samples.length - 1;
      rows.push([
        String(hosts),
        s(result.wall),
        `${((result.wall / hosts) * 1000).toFixed(1)} ms`,
        marginal('wall', i) ? `${(Number(marginal('wall', i)) * 1000).toFixed(1)} ms` : '',
        s(result.cpu),
        mb(result.rssMb),
        `${(result.rssMb / hosts).toFixed(2)} MB`,
        marginal('rssMb', i) ? `${marginal('rssMb', i)} MB` : '',
      ]);
    }
  } finally {
    labDown(lab);
  }
  table(
    `(4) play, 20 trivial tasks, forks = hosts, median of ${RUNS} runs`,
    ['hosts', 'wall', 'wall / host', 'added wall / added host', 'CPU', 'peak RSS', 'RSS / host', 'added RSS / added host'],
    rows,
  );
}

/**
 * Node reads and parses the certificate bundle named by NODE_EXTRA_CA_CERTS when it starts, before any
 * of play's code runs (Node 20 loads it eagerly). Machines that reach a package registry through a
 * TLS-inspecting proxy set it for npm; play makes no TLS connection, and Python (Ansible) does not read
 * it. The bench removes it for every runner and prints what it would cost each play run.
 */
function withoutNodeCaBundle(): string | undefined {
  const bundle = process.env.NODE_EXTRA_CA_CERTS;
  if (bundle === undefined) return undefined;
  const nodeStart = (env: NodeJS.ProcessEnv) => {
    const walls: number[] = [];
    for (let i = 0; i < 11; i++) {
      const start = performance.now();
      spawnSync(process.execPath, ['-e', '0'], { env });
      walls.push(performance.now() - start);
    }
    return median(walls);
  };
  const withBundle = nodeStart(process.env);
  delete process.env.NODE_EXTRA_CA_CERTS;
  const withoutBundle = nodeStart(process.env);
  return (
    `NODE_EXTRA_CA_CERTS=${bundle} is set here: removed for every runner (play makes no TLS connection; ` +
    `Ansible does not read it). With it, Node starts in ${withBundle.toFixed(0)} ms instead of ${withoutBundle.toFixed(0)} ms ` +
    `(node -e 0, median of 11): add the difference to each play wall time below to have it back.`
  );
}

async function main(): Promise<void> {
  if (!existsSync(PLAY)) throw new Error(`${PLAY} is missing: run npm run build first`);
  const caNote = withoutNodeCaBundle();
  if (!existsSync('/usr/bin/time')) spawnSync('apt-get', ['install', '-y', 'time'], { stdio: 'ignore' });
  const ansible = SCENARIOS.has('1') || SCENARIOS.has('2') ? ensureAnsible() : [];
  console.log(`play bench: ${CORES} cores, node ${process.version}, runs ${RUNS}`);
  if (caNote) console.log(caNote);
  if (SCENARIOS.has('1')) await trivialSideBySide(ansible);
  if (SCENARIOS.has('2')) await gpuVfio(ansible);
  if (SCENARIOS.has('3')) await withLatency();
  if (SCENARIOS.has('4')) await scaling();
}

function cleanUp(): void {
  for (const lab of [...labs]) labDown(lab);
  rmSync(work, { recursive: true, force: true });
}

// Interrupted (^C): the labs' sshds must not outlive the bench.
process.once('SIGINT', () => {
  cleanUp();
  process.exit(130);
});

try {
  await main();
} finally {
  cleanUp();
}
