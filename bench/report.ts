/** The results document (written as JSON) and its table on stdout. */
import type { Role } from './proc';
import { Percentiles, ratio, round } from './stats';

export interface StepResult {
  /** `burst`: `concurrency` loops/connections for `offered` jobs; `paced`: `offeredRate` per second, at most `concurrency` in flight. */
  kind: 'burst' | 'paced';
  concurrency: number;
  offeredRate?: number;
  offered: number;
  accepted: number;
  /** Requests not accepted (non-202, transport errors, failed starts). */
  errors: number;
  firstError?: string;
  /** Load phase length (s) and accepts per second during it. */
  loadS: number;
  acceptRate: number;
  succeeded: number;
  failed: number;
  unfinished: number;
  drainTimedOut: boolean;
  /** First accept → last success, s; and jobs succeeded per second over it. */
  windowS: number;
  throughput: number;
  acceptLatencyMs: Percentiles;
  /** Accepted → succeeded as the side reports it (platform: jobs row; baseline: workflow). */
  e2eMs: Percentiles;
  /** Workflow start → close from Temporal visibility, for both sides. */
  workflowE2eMs: Percentiles;
  /** CPU seconds of the measured processes during the step (load + drain). */
  cpuS: Partial<Record<Role, number>>;
  /** The whole machine's busy CPU seconds, the bench process's own, the idle other side's, and the rest (other work on the box). */
  machineCpuS: number;
  benchCpuS: number;
  idleSidesCpuS: number;
  otherCpuS: number;
}

export interface SideResult {
  key: string;
  description: string;
  /** What the front process is: `api` or `client`. */
  frontName: string;
  startupS: number;
  steps: StepResult[];
  best: { concurrency: number; throughput: number };
  /** The step at the reference concurrency. */
  reference: StepResult;
  /** The paced phase (same arrival rate on every side). */
  paced: StepResult;
  rssPeakMiB: { front: number; worker: number; workerProcesses: number; workerTotal: number };
  /** CPU seconds per 1,000 succeeded jobs over the concurrency steps, per role and in total. */
  cpuPer1kJobsS: Partial<Record<Role | 'total', number>>;
}

export interface Results {
  schema: 1;
  mode: 'compare' | 'scaling';
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: Record<string, unknown>;
  versions: Record<string, string | null>;
  parameters: Record<string, unknown>;
  method: Record<string, string>;
  sides: Record<string, SideResult>;
  /** Which side is divided by which. */
  comparison: { numerator: string; denominator: string };
  ratios: Record<string, number | null>;
  warnings: string[];
}

const MIB = 1024 * 1024;

export function mib(bytes: number): number {
  return round(bytes / MIB, 1);
}

/** numerator/denominator for every compared metric. */
export function computeRatios(numerator: SideResult, denominator: SideResult): Record<string, number | null> {
  const [n, d] = [numerator.reference, denominator.reference];
  const [np, dp] = [numerator.paced, denominator.paced];
  const ratios: Record<string, number | null> = {
    throughputBest: ratio(numerator.best.throughput, denominator.best.throughput),
    throughputAtReference: ratio(n.throughput, d.throughput),
    acceptP50: ratio(n.acceptLatencyMs.p50, d.acceptLatencyMs.p50),
    acceptP95: ratio(n.acceptLatencyMs.p95, d.acceptLatencyMs.p95),
    acceptP99: ratio(n.acceptLatencyMs.p99, d.acceptLatencyMs.p99),
    e2eP50: ratio(np.e2eMs.p50, dp.e2eMs.p50),
    e2eP95: ratio(np.e2eMs.p95, dp.e2eMs.p95),
    e2eP99: ratio(np.e2eMs.p99, dp.e2eMs.p99),
    e2eBurstP50: ratio(n.e2eMs.p50, d.e2eMs.p50),
    e2eBurstP95: ratio(n.e2eMs.p95, d.e2eMs.p95),
    e2eBurstP99: ratio(n.e2eMs.p99, d.e2eMs.p99),
    pacedAcceptP50: ratio(np.acceptLatencyMs.p50, dp.acceptLatencyMs.p50),
    pacedWorkflowE2eP50: ratio(np.workflowE2eMs.p50, dp.workflowE2eMs.p50),
    frontRssPeak: ratio(numerator.rssPeakMiB.front, denominator.rssPeakMiB.front),
    workerRssPeak: ratio(numerator.rssPeakMiB.worker, denominator.rssPeakMiB.worker),
    frontCpuPer1k: ratio(numerator.cpuPer1kJobsS.front, denominator.cpuPer1kJobsS.front),
    workerCpuPer1k: ratio(numerator.cpuPer1kJobsS.worker, denominator.cpuPer1kJobsS.worker),
  };
  if (numerator.cpuPer1kJobsS.temporal !== undefined) ratios.temporalCpuPer1k = ratio(numerator.cpuPer1kJobsS.temporal, denominator.cpuPer1kJobsS.temporal);
  ratios.totalCpuPer1k = ratio(numerator.cpuPer1kJobsS.total, denominator.cpuPer1kJobsS.total);
  return ratios;
}

/** The ratios that must always be there and finite (the quick test checks them). */
export const CORE_RATIOS = [
  'throughputBest',
  'throughputAtReference',
  'acceptP50',
  'acceptP95',
  'acceptP99',
  'e2eP50',
  'e2eP95',
  'e2eP99',
  'frontRssPeak',
  'workerRssPeak',
  'frontCpuPer1k',
  'workerCpuPer1k',
] as const;

function fmt(value: number | null | undefined, digits = 1): string {
  if (value == null || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row, index) => {
      const line = row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('   ');
      return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('   ')}` : line;
    })
    .join('\n');
}

export function renderTable(results: Results): string {
  const { numerator: nKey, denominator: dKey } = results.comparison;
  const n = results.sides[nKey];
  const d = results.sides[dKey];
  const ratioHead = `${nKey}/${dKey}`;
  const machine = results.machine as { cpus: number; model: string; memoryGiB: number };
  const lines: string[] = [];
  lines.push(
    `Orchestrator bench (${results.mode}${results.quick ? ', quick' : ''}) — ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, ` +
      `node ${results.versions.node}, Temporal server ${results.versions.temporalServer ?? '?'}, SDK ${results.versions.temporalSdk}`,
  );
  lines.push(`${dKey}: ${d.description}`);
  lines.push(`${nKey}: ${n.description}`);
  lines.push(`${results.parameters.jobsPerStep} jobs per step; downstream POST /work → 200 JSON; total ${results.durationS} s`);
  lines.push('');

  const row = (label: string, a: number | null | undefined, b: number | null | undefined, r: number | null | undefined, digits = 1) => [
    label,
    fmt(a, digits),
    fmt(b, digits),
    r === undefined ? fmt(ratio(b, a), 2) : fmt(r, 2),
  ];

  const levels = [...new Set([...d.steps, ...n.steps].map((step) => step.concurrency))].sort((a, b) => a - b);
  const at = (side: SideResult, level: number) => side.steps.find((step) => step.concurrency === level)?.throughput;
  const throughput = [['jobs completed/s by concurrency', dKey, nKey, ratioHead]];
  for (const level of levels) throughput.push(row(`  ${level}`, at(d, level), at(n, level), undefined));
  throughput.push([
    '  best (at concurrency)',
    `${fmt(d.best.throughput)} (${d.best.concurrency})`,
    `${fmt(n.best.throughput)} (${n.best.concurrency})`,
    fmt(results.ratios.throughputBest, 2),
  ]);
  lines.push(table(throughput));
  lines.push('');

  const r = results.ratios;
  const reference = [[`under load, concurrency ${results.parameters.referenceConcurrency}`, dKey, nKey, ratioHead]];
  reference.push(row('accept p50 (ms)', d.reference.acceptLatencyMs.p50, n.reference.acceptLatencyMs.p50, r.acceptP50));
  reference.push(row('accept p95 (ms)', d.reference.acceptLatencyMs.p95, n.reference.acceptLatencyMs.p95, r.acceptP95));
  reference.push(row('accept p99 (ms)', d.reference.acceptLatencyMs.p99, n.reference.acceptLatencyMs.p99, r.acceptP99));
  reference.push(row('end-to-end p50 (ms, incl. backlog)', d.reference.e2eMs.p50, n.reference.e2eMs.p50, r.e2eBurstP50, 0));
  reference.push(row('end-to-end p99 (ms, incl. backlog)', d.reference.e2eMs.p99, n.reference.e2eMs.p99, r.e2eBurstP99, 0));
  lines.push(table(reference));
  lines.push('');

  const pacedRate = (d.paced.offeredRate ?? n.paced.offeredRate ?? NaN).toFixed(1);
  const paced = [[`paced, ${pacedRate} jobs/s offered to both`, dKey, nKey, ratioHead]];
  paced.push(row('completed (jobs/s)', d.paced.throughput, n.paced.throughput, undefined));
  paced.push(row('accept p50 (ms)', d.paced.acceptLatencyMs.p50, n.paced.acceptLatencyMs.p50, r.pacedAcceptP50));
  paced.push(row('end-to-end p50 (ms)', d.paced.e2eMs.p50, n.paced.e2eMs.p50, r.e2eP50));
  paced.push(row('end-to-end p95 (ms)', d.paced.e2eMs.p95, n.paced.e2eMs.p95, r.e2eP95));
  paced.push(row('end-to-end p99 (ms)', d.paced.e2eMs.p99, n.paced.e2eMs.p99, r.e2eP99));
  paced.push(row('workflow start→close p50 (ms)', d.paced.workflowE2eMs.p50, n.paced.workflowE2eMs.p50, r.pacedWorkflowE2eP50));
  lines.push(table(paced));
  lines.push('');

  const front = d.frontName === n.frontName ? d.frontName : `${d.frontName} / ${n.frontName}`;
  const resources = [['resources', dKey, nKey, ratioHead]];
  resources.push(row(`RSS peak ${front} (MiB)`, d.rssPeakMiB.front, n.rssPeakMiB.front, r.frontRssPeak));
  resources.push(row('RSS peak worker (MiB, per process)', d.rssPeakMiB.worker, n.rssPeakMiB.worker, r.workerRssPeak));
  if (d.rssPeakMiB.workerProcesses > 1 || n.rssPeakMiB.workerProcesses > 1) {
    resources.push(row('RSS peak workers (MiB, all processes)', d.rssPeakMiB.workerTotal, n.rssPeakMiB.workerTotal, undefined));
  }
  resources.push(row(`CPU ${front} (s per 1k jobs)`, d.cpuPer1kJobsS.front, n.cpuPer1kJobsS.front, r.frontCpuPer1k, 2));
  resources.push(row('CPU worker(s) (s per 1k jobs)', d.cpuPer1kJobsS.worker, n.cpuPer1kJobsS.worker, r.workerCpuPer1k, 2));
  for (const role of ['temporal', 'postgres', 'redis', 'downstream'] as const) {
    if (d.cpuPer1kJobsS[role] === undefined && n.cpuPer1kJobsS[role] === undefined) continue;
    // Postgres and Redis serve only the platform: their idle cost under the baseline makes no ratio.
    const unrelated = results.mode === 'compare' && (role === 'postgres' || role === 'redis');
    const cells = row(`CPU ${role} (s per 1k jobs)`, d.cpuPer1kJobsS[role], n.cpuPer1kJobsS[role], unrelated ? null : r[`${role}CpuPer1k`], 2);
    resources.push(cells);
  }
  resources.push(row('CPU all measured (s per 1k jobs)', d.cpuPer1kJobsS.total, n.cpuPer1kJobsS.total, r.totalCpuPer1k, 2));
  lines.push(table(resources));
  for (const warning of results.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
