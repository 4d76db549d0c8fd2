import { Alert, Anchor, Badge, Button, Card, Group, Modal, SimpleGrid, Stack, Text, Textarea, Timeline, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { data, downloadFile, streamEvents, type Schemas, type StreamedEvent } from '../api/client';
import { DataTable, ConfirmButton, JsonBlock, PageTitle, parseJson, ProblemAlert, QueryView, StatusBadge, when } from '../components/common';
import { useApp, useCan } from '../context';

const route = getRouteApi('/jobs/$jobId');
const TERMINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** The "why is it waiting" banner: the job's wait reason, with the breaker's half-open time. */
function WaitingBanner({ job }: { job: Schemas['JobView'] }) {
  const { api } = useApp();
  const canRead = useCan('control:read');
  const state = useQuery({
    queryKey: ['connector-state', job.connectorId],
    enabled: job.status === 'waiting' && canRead,
    refetchInterval: 2_000,
    queryFn: () => data(api.control.GET('/connectors/{id}/state', { params: { path: { id: job.connectorId } } })),
  });
  if (job.status !== 'waiting' && !(job.status === 'queued' && Date.now() - Date.parse(job.createdAt) > 10_000)) return null;
  let message: string;
  switch (job.waitReason as string | null) {
    case 'circuit_open':
      message = `The connector's circuit breaker is open${state.data?.breaker.openUntil ? ` until ${when(state.data.breaker.openUntil)}` : ''}; the job calls again when it half-opens and a probe succeeds. No attempt is used while it waits.`;
      break;
    case 'rate_limited':
      message = "The connector's rate limit is reached; the job waits for a permit.";
      break;
    case 'concurrency_limited':
      message = "The connector's concurrency limit is reached; the job waits for a lease.";
      break;
    case 'limiter_unavailable':
      message = 'The limiter (Redis) cannot be read and the policy fails closed; the job waits until it can.';
      break;
    default:
      message = 'The job has not started: no worker may be polling its task queue.';
  }
  return (
    <Alert color="yellow" title="Why is it waiting?" role="status" data-testid="waiting-banner">
      {message}
    </Alert>
  );
}

interface AttemptRow {
  attempt: number;
  startedAt: string;
  endedAt?: string;
  httpStatus?: number;
  error?: { type?: string; message?: string; httpStatus?: number };
  outcome: 'running' | 'succeeded' | 'failed';
}

function attemptsOf(events: StreamedEvent[]): AttemptRow[] {
  const rows = new Map<number, AttemptRow>();
  for (const event of events) {
    const attempt = Number(event.data.attempt);
    if (!Number.isFinite(attempt)) continue;
    if (event.type === 'attempt.started') rows.set(attempt, { attempt, startedAt: event.createdAt ?? '', outcome: 'running' });
    const row = rows.get(attempt);
    if (!row) continue;
    if (event.type === 'attempt.succeeded') Object.assign(row, { outcome: 'succeeded', endedAt: event.createdAt, httpStatus: event.data.httpStatus as number | undefined });
    if (event.type === 'attempt.failed') {
      const error = event.data.error as AttemptRow['error'];
      Object.assign(row, { outcome: 'failed', endedAt: event.createdAt, error, httpStatus: error?.httpStatus });
    }
  }
  return [...rows.values()].sort((a, b) => a.attempt - b.attempt);
}

function duration(row: AttemptRow): string {
  if (!row.endedAt) return 'running';
  return `${Math.max(0, Date.parse(row.endedAt) - Date.parse(row.startedAt))} ms`;
}

/** The job's events: the log so far, then the live stream (SSE) from the last one. */
function useJobEvents(jobId: string) {
  const { api } = useApp();
  const client = useQueryClient();
  const [events, setEvents] = useState<StreamedEvent[]>([]);
  const [live, setLive] = useState(false);
  useEffect(() => {
    setEvents([]);
    const stop = streamEvents(
      api,
      { jobId },
      (event) => {
        setEvents((current) => (current.some((known) => known.id === event.id) ? current : [...current, event]));
        if (event.type.startsWith('job.') || event.type.startsWith('attempt.')) void client.invalidateQueries({ queryKey: ['job', jobId] });
      },
      setLive,
    );
    return stop;
  }, [api, client, jobId]);
  return { events, live };
}

function ReplayButton({ job }: { job: Schemas['JobView'] }) {
  const { api } = useApp();
  const navigate = useNavigate();
  const [opened, { open, close }] = useDisclosure(false);
  const [input, setInput] = useState(() => JSON.stringify(job.input ?? {}, null, 2));
  const [error, setError] = useState<unknown>(null);
  const parsed = parseJson(input);
  return (
    <>
      <Button onClick={open}>Replay…</Button>
      <Modal opened={opened} onClose={close} title="Replay this job" size="lg">
        <Stack>
          <Text size="sm">A new job starts with this input; it links back to this one.</Text>
          <Textarea label="Input (JSON)" autosize minRows={6} value={input} onChange={(event) => setInput(event.currentTarget.value)} error={parsed.error} styles={{ input: { fontFamily: 'monospace' } }} />
          {error !== null && <ProblemAlert error={error} plane="control" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              disabled={!!parsed.error}
              onClick={async () => {
                try {
                  const replay = await data(api.control.POST('/dlq/{id}/replay', { params: { path: { id: job.id } }, body: { input: (parsed.value ?? {}) as never } }));
                  close();
                  await navigate({ to: '/jobs/$jobId', params: { jobId: replay.id } });
                } catch (failure) {
                  setError(failure);
                }
              }}
            >
              Replay with this input
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

export function JobPage() {
  const { api, session } = useApp();
  const { jobId } = route.useParams();
  const client = useQueryClient();
  const canExecute = useCan('exec:execute');
  const canOperate = useCan('control:operate');
  const canCancel = canExecute || canOperate;
  const canReplay = canOperate;
  const query = useQuery({ queryKey: ['job', jobId], queryFn: () => data(api.exec.GET('/jobs/{id}', { params: { path: { id: jobId } } })) });
  const history = useQuery({ queryKey: ['job-events', jobId], queryFn: () => data(api.exec.GET('/events', { params: { query: { jobId, limit: 500 } } })) });
  const { events: streamed, live } = useJobEvents(jobId);
  const events = [...(history.data?.items ?? [])];
  for (const event of streamed) if (!events.some((known) => known.id === event.id)) events.push(event as never);
  const attempts = attemptsOf(events as StreamedEvent[]);
  return (
    <>
      <PageTitle actions={<Badge variant="dot" color={live ? 'green' : 'gray'}>{live ? 'events live' : 'events not live'}</Badge>}>Job {jobId.slice(0, 8)}</PageTitle>
      <QueryView query={query} plane="exec">
        {(job) => (
          <Stack>
            <WaitingBanner job={job} />
            <Card withBorder>
              <Group justify="space-between">
                <Group>
                  <Text fw={700}>Status</Text>
                  <span data-testid="job-status">
                    <StatusBadge status={job.status} />
                  </span>
                  {job.waitReason && <Text size="sm">({job.waitReason.replace('_', ' ')})</Text>}
                </Group>
                <Group>
                  {canCancel && !TERMINAL.includes(job.status) && (
                    <ConfirmButton
                      label="Cancel job"
                      color="red"
                      title="Cancel this job?"
                      message="The workflow is cancelled; an attempt in flight is abandoned."
                      onConfirm={async () => {
                        await data(api.exec.POST('/jobs/{id}/cancel', { params: { path: { id: job.id } } }));
                        await client.invalidateQueries({ queryKey: ['job', jobId] });
                      }}
                    />
                  )}
                  {canReplay && (job.status === 'failed' || job.status === 'timed_out') && !job.replayedBy && <ReplayButton job={job} />}
                </Group>
              </Group>
              <SimpleGrid cols={{ base: 1, md: 3 }} mt="sm">
                <Text size="sm">
                  Connector:{' '}
                  <Link to="/connectors/$connectorId" params={{ connectorId: job.connectorId }}>
                    {job.connectorId.slice(0, 8)}
                  </Link>
                </Text>
                <Text size="sm">Operation: {job.operation}</Text>
                <Text size="sm">Attempts: {job.attempts}</Text>
                <Text size="sm">
                  Policy: {job.policy.id.slice(0, 8)} v{job.policy.version}
                </Text>
                <Text size="sm">Created: {when(job.createdAt)}</Text>
                <Text size="sm">Completed: {when(job.completedAt)}</Text>
                <Text size="sm">
                  Workflow:{' '}
                  {session.settings.temporalUiUrl ? (
                    <Anchor href={`${session.settings.temporalUiUrl.replace(/\/$/, '')}/namespaces/${session.settings.temporalNamespace}/workflows/${job.workflowId}${job.runId ? `/${job.runId}` : ''}`} target="_blank" rel="noreferrer">
                      {job.workflowId} in Temporal Web UI
                    </Anchor>
                  ) : (
                    job.workflowId
                  )}
                </Text>
                {job.traceId && <Text size="sm">Trace: {job.traceId}</Text>}
                {job.replayOf && (
                  <Text size="sm">
                    Replays{' '}
                    <Link to="/jobs/$jobId" params={{ jobId: job.replayOf }}>
                      {job.replayOf.slice(0, 8)}
                    </Link>
                  </Text>
                )}
                {job.replayedBy && (
                  <Text size="sm">
                    Replayed by{' '}
                    <Link to="/jobs/$jobId" params={{ jobId: job.replayedBy }}>
                      {job.replayedBy.slice(0, 8)}
                    </Link>
                  </Text>
                )}
              </SimpleGrid>
              {job.error && (
                <Alert color="red" title={job.error.type} mt="sm">
                  {job.error.message}
                </Alert>
              )}
            </Card>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Card withBorder>
                <Title order={2} size="h4" mb="xs">
                  Input
                </Title>
                <JsonBlock value={job.input} label="Job input" />
              </Card>
              <Card withBorder>
                <Title order={2} size="h4" mb="xs">
                  Result
                </Title>
                {job.links.result ? <StoredResult jobId={job.id} path={job.links.result} size={job.payloads.result?.size} /> : <JsonBlock value={job.result} label="Job result" />}
              </Card>
            </SimpleGrid>
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Attempts
              </Title>
              {attempts.length === 0 ? (
                <Text c="dimmed">No attempt yet.</Text>
              ) : (
                <DataTable
                  aria-label="Attempts"
                  rows={attempts}
                  rowKey={(row) => row.attempt}
                  columns={[
                    { header: '#', cell: (row) => row.attempt },
                    { header: 'Started', cell: (row) => when(row.startedAt) },
                    { header: 'Duration', cell: (row) => duration(row) },
                    { header: 'HTTP status', cell: (row) => row.httpStatus ?? '—' },
                    { header: 'Error', cell: (row) => <>{row.error ? `${row.error.type}: ${row.error.message}` : '—'}</> },
                  ]}
                />
              )}
            </Card>
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Events
              </Title>
              <Timeline bulletSize={12} lineWidth={2} aria-label="Events" data-testid="job-events">
                {events.map((event) => (
                  <Timeline.Item key={event.id} title={event.type}>
                    <Text size="xs" c="dimmed">
                      #{event.id} · {when((event as StreamedEvent).createdAt)}
                      {Object.keys(event.data ?? {}).length > 0 ? ` · ${JSON.stringify(event.data)}` : ''}
                    </Text>
                  </Timeline.Item>
                ))}
              </Timeline>
            </Card>
          </Stack>
        )}
      </QueryView>
    </>
  );
}

/** A result too large to show inline (kept in the payload store): its size and a download. */
function StoredResult({ jobId, path, size }: { jobId: string; path: string; size?: number }) {
  const { api } = useApp();
  const [problem, setProblem] = useState<unknown>();
  return (
    <Stack gap="xs">
      <Text size="sm">Kept in the payload store{size === undefined ? '' : ` (${(size / 1024 / 1024).toFixed(1)} MiB)`}: too large to show here.</Text>
      <Button variant="light" w="fit-content" onClick={() => downloadFile(api, path, `job-${jobId}-result.json`).catch(setProblem)}>
        Download result
      </Button>
      {problem !== undefined && <ProblemAlert error={problem} plane="exec" />}
    </Stack>
  );
}
