import { BarChart } from '@mantine/charts';
import { Card, Group, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { data, type Schemas } from '../api/client';
import { DataTable, PageTitle, QueryView, StatusBadge, when } from '../components/common';
import { useApp } from '../context';

const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
const COLOURS: Record<string, string> = { queued: 'gray', running: 'blue', waiting: 'yellow', succeeded: 'green', failed: 'red', cancelled: 'dark', timed_out: 'orange' };
const WINDOWS = { hour: 3_600_000, day: 86_400_000 } as const;
// The chart's bars: 12 five-minute buckets for the last hour, 24 hourly ones for the last day.
const BUCKETS = { hour: 12, day: 24 } as const;
const PAGE_LIMIT = 10; // pages of 200 jobs: the overview counts at most 2,000 per window

/** Connectors an operator should look at: breaker not closed, jobs waiting, or recent errors. */
export function needsAttention(state: Schemas['ConnectorStateView']): string[] {
  const reasons: string[] = [];
  if (state.breaker.state === 'open') reasons.push(`breaker open until ${when(state.breaker.openUntil)}`);
  if (state.breaker.state === 'half_open') reasons.push('breaker half-open (probing)');
  const waiting = Number((state.backlog as Record<string, number>).waiting ?? 0);
  if (waiting > 0) reasons.push(`${waiting} job${waiting === 1 ? '' : 's'} waiting`);
  if (state.recentErrors.length > 0) reasons.push(`${state.recentErrors.length} recent error${state.recentErrors.length === 1 ? '' : 's'}`);
  if (state.unavailable) reasons.push(`state unavailable: ${state.unavailable}`);
  return reasons;
}

function JobsByStatus() {
  const { api } = useApp();
  const [window, setWindow] = useState<keyof typeof WINDOWS>('hour');
  const query = useQuery({
    queryKey: ['overview-jobs', window],
    refetchInterval: 5_000,
    queryFn: async () => {
      const createdAfter = new Date(Date.now() - WINDOWS[window]).toISOString();
      const counts: Record<string, number> = {};
      const start = Date.now() - WINDOWS[window];
      const size = WINDOWS[window] / BUCKETS[window];
      const buckets: Record<string, string | number>[] = Array.from({ length: BUCKETS[window] }, (_, index) => ({
        at: new Date(start + (index + 1) * size).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
        ...Object.fromEntries(STATUSES.map((status) => [status, 0])),
      }));
      let cursor: string | undefined;
      let total = 0;
      const result = (more: boolean) => ({ counts, total, more, buckets });
      for (let page = 0; page < PAGE_LIMIT; page++) {
        const body = await data(api.exec.GET('/jobs', { params: { query: { createdAfter, limit: 200, cursor } } }));
        for (const job of body.items) {
          counts[job.status] = (counts[job.status] ?? 0) + 1;
          const bucket = buckets[Math.min(BUCKETS[window] - 1, Math.max(0, Math.floor((Date.parse(job.createdAt) - start) / size)))];
          bucket[job.status] = Number(bucket[job.status]) + 1;
        }
        total += body.items.length;
        if (!body.nextCursor) return result(false);
        cursor = body.nextCursor;
      }
      return result(true);
    },
  });
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Jobs by status
        </Title>
        <SegmentedControl
          size="xs"
          aria-label="Time window"
          value={window}
          onChange={(value) => setWindow(value as keyof typeof WINDOWS)}
          data={[
            { value: 'hour', label: 'Last hour' },
            { value: 'day', label: 'Last day' },
          ]}
        />
      </Group>
      <QueryView query={query} plane="exec">
        {({ counts, total, more, buckets }) => (
          <Stack gap="xs">
            <figure style={{ margin: 0 }} aria-label={`Jobs created per ${window === 'hour' ? 'five minutes' : 'hour'}, by status`}>
              <BarChart h={200} data={buckets} dataKey="at" type="stacked" withTooltip={false} yAxisProps={{ allowDecimals: false }} series={STATUSES.map((status) => ({ name: status, color: `${COLOURS[status]}.6` }))} />
            </figure>
            <Group gap="md">
              {STATUSES.map((status) => (
                <Text key={status} size="sm" data-testid={`count-${status}`}>
                  <StatusBadge status={status} /> {counts[status] ?? 0}
                </Text>
              ))}
            </Group>
            <Text size="xs" c="dimmed">
              {total}
              {more ? '+' : ''} jobs created in the {window === 'hour' ? 'last hour' : 'last day'}.
            </Text>
          </Stack>
        )}
      </QueryView>
    </Card>
  );
}

function Attention() {
  const { api } = useApp();
  const query = useQuery({ queryKey: ['connector-states'], refetchInterval: 2_000, queryFn: () => data(api.control.GET('/connectors/state')) });
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Connectors that need attention
      </Title>
      <QueryView query={query} plane="control" isEmpty={(body) => !body.items.some((item) => needsAttention(item).length > 0)} empty="All connectors are healthy.">
        {(body) => (
          <DataTable
            aria-label="Connectors that need attention"
            rows={body.items.filter((item) => needsAttention(item).length > 0)}
            rowKey={(item) => item.connectorId}
            columns={[
              {
                header: 'Connector',
                cell: (item) => (
                  <Link to="/connectors/$connectorId" params={{ connectorId: item.connectorId }}>
                    {item.name}
                  </Link>
                ),
              },
              { header: 'Breaker', cell: (item) => <StatusBadge status={item.breaker.state} /> },
              { header: 'Why', cell: (item) => needsAttention(item).join('; ') },
            ]}
          />
        )}
      </QueryView>
    </Card>
  );
}

function DlqSize() {
  const { api } = useApp();
  const query = useQuery({ queryKey: ['dlq-size'], refetchInterval: 5_000, queryFn: () => data(api.control.GET('/dlq', { params: { query: { limit: 200 } } })) });
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Dead-letter queue
      </Title>
      <QueryView query={query} plane="control">
        {(body) => (
          <Text size="xl" fw={700} data-testid="dlq-size">
            <Link to="/dlq">
              {body.items.length}
              {body.items.length === 200 ? '+' : ''} job{body.items.length === 1 ? '' : 's'}
            </Link>
          </Text>
        )}
      </QueryView>
    </Card>
  );
}

export function OverviewPage() {
  return (
    <>
      <PageTitle>Overview</PageTitle>
      <JobsByStatus />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Attention />
        <DlqSize />
      </SimpleGrid>
    </>
  );
}
