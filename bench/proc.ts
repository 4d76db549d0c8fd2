/**
 * CPU time and memory of the processes under test, from Linux /proc: `stat` (utime + stime, and
 * cutime + cstime of reaped children) and `status` (VmHWM = peak resident set, VmRSS).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What a process is to the benchmark; several processes may share a role (two workers). */
export type Role = 'front' | 'worker' | 'temporal' | 'postgres' | 'redis' | 'downstream';

export interface Probe {
  role: Role;
  pid: number;
  /** Also count live descendants (Postgres backends) and reaped ones (via cutime/cstime). */
  tree?: boolean;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, ticks */
  own: number;
  /** cutime + cstime (waited-for children), ticks */
  children: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); ppid is field 4; utime..cstime are fields 14..17.
  return { pid, ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]) };
}

function allStats(): Stat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is Stat => stat !== undefined);
}

/** CPU seconds a probe has used so far (0 once it is gone). */
function cpuTicks(probe: Probe, stats: Stat[]): number {
  const root = stats.find((stat) => stat.pid === probe.pid);
  if (!root) return 0;
  if (!probe.tree) return root.own + root.children;
  const byParent = new Map<number, Stat[]>();
  for (const stat of stats) {
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else byParent.set(stat.ppid, [stat]);
  }
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const stat = queue.pop()!;
    total += stat.own + stat.children;
    queue.push(...(byParent.get(stat.pid) ?? []));
  }
  return total;
}

export type CpuSnapshot = Partial<Record<Role, number>>;

/** CPU seconds per role, summed over the role's processes. */
export function cpuSnapshot(probes: readonly Probe[]): CpuSnapshot {
  const stats = allStats();
  const snapshot: CpuSnapshot = {};
  for (const probe of probes) snapshot[probe.role] = (snapshot[probe.role] ?? 0) + cpuTicks(probe, stats) / clockTicks();
  return snapshot;
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const delta: CpuSnapshot = {};
  for (const role of Object.keys(after) as Role[]) delta[role] = Math.max(0, (after[role] ?? 0) - (before[role] ?? 0));
  return delta;
}

export interface Memory {
  /** Peak resident set (VmHWM), bytes. */
  hwm: number;
  /** Current resident set (VmRSS), bytes. */
  rss: number;
}

export function memory(pid: number): Memory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { hwm: kib('VmHWM'), rss: kib('VmRSS') };
}

/** Whether /proc can be read here (Linux); without it the resource figures are left out. */
export function procAvailable(): boolean {
  return readStat(process.pid) !== undefined;
}

/** CPU seconds the whole machine has spent busy (all cores; /proc/stat), to spot load from elsewhere. */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + (steal ?? 0)) / clockTicks();
  } catch {
    return NaN;
  }
}
