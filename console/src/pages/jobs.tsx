import { Badge, Button, Group, Select, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { data, streamEvents } from '../api/client';
import { DataTable, PageTitle, QueryView, StatusBadge, when } from '../components/common';
import { RunForm } from '../components/run-form';
import { useApp, useCan } from '../context';

const route = getRouteApi('/jobs');
const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const RANGES: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

/** Keeps job lists fresh: any job event (over SSE) refreshes the queries under `key`. */
export function useLiveJobs(key: string): boolean {
  const { api } = useApp();
  const client = useQueryClient();
  const [live, setLive] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = streamEvents(
      api,
      {},
      (event) => {
        if (!event.type.startsWith('job.') && !event.type.startsWith('attempt.')) return;
        clearTimeout(timer);
        timer = setTimeout(() => void client.invalidateQueries({ queryKey: [key] }), 250);
      },
      setLive,
    );
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [api, client, key]);
  return live;
}

export function JobsPage() {
  const { api } = useApp();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const canExecute = useCan('exec:execute');
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => data(api.control.GET('/connectors')), retry: false });
  const createdAfter = search.since && RANGES[search.since] ? new Date(Date.now() - RANGES[search.since]).toISOString() : undefined;
  const query = useQuery({
    queryKey: ['jobs', search],
    queryFn: () => data(api.exec.GET('/jobs', { params: { query: { status: search.status as never, connector: search.connector, createdAfter, cursor: search.cursor, limit: 50 } } })),
  });
  const live = useLiveJobs('jobs');
  const names = new Map((connectors.data?.items ?? []).map((connector) => [connector.id, connector.name]));
  const set = (patch: Partial<typeof search>) => void navigate({ search: { ...search, cursor: undefined, ...patch } });
  return (
    <>
      <PageTitle actions={<Badge variant="dot" color={live ? 'green' : 'gray'}>{live ? 'live' : 'not live'}</Badge>}>Jobs</PageTitle>
      {canExecute && <RunForm />}
      <Group align="end">
        <Select label="Status" clearable data={STATUSES} value={search.status ?? null} onChange={(value) => set({ status: value ?? undefined })} />
        <Select
          label="Connector"
          clearable
          searchable
          data={(connectors.data?.items ?? []).map((connector) => ({ value: connector.id, label: connector.name }))}
          value={search.connector ?? null}
          onChange={(value) => set({ connector: value ?? undefined })}
        />
        <Select
          label="Created"
          clearable
          data={[
            { value: '1h', label: 'Last hour' },
            { value: '24h', label: 'Last 24 hours' },
            { value: '7d', label: 'Last 7 days' },
          ]}
          value={search.since ?? null}
          onChange={(value) => set({ since: value ?? undefined })}
        />
      </Group>
      <QueryView query={query} plane="exec" isEmpty={(body) => body.items.length === 0} empty="No jobs match these filters.">
        {(body) => (
          <>
            <DataTable
              striped
              highlightOnHover
              aria-label="Jobs"
              rows={body.items}
              rowKey={(job) => job.id}
              columns={[
                {
                  header: 'Job',
                  cell: (job) => (
                    <>
                      <Link to="/jobs/$jobId" params={{ jobId: job.id }}>
                        {job.id.slice(0, 8)}
                      </Link>
                    </>
                  ),
                },
                {
                  header: 'Status',
                  cell: (job) => (
                    <>
                      <StatusBadge status={job.status} />
                      {job.waitReason && <Text span size="xs"> {job.waitReason.replace('_', ' ')}</Text>}
                    </>
                  ),
                },
                { header: 'Connector', cell: (job) => names.get(job.connectorId) ?? job.connectorId.slice(0, 8) },
                { header: 'Operation', cell: (job) => job.operation },
                { header: 'Attempts', cell: (job) => job.attempts },
                { header: 'Created', cell: (job) => when(job.createdAt) },
              ]}
            />
            <Group>
              {search.cursor && (
                <Button variant="default" onClick={() => set({ cursor: undefined })}>
                  Newest
                </Button>
              )}
              {body.nextCursor && (
                <Button variant="default" onClick={() => void navigate({ search: { ...search, cursor: body.nextCursor ?? undefined } })}>
                  Older
                </Button>
              )}
            </Group>
          </>
        )}
      </QueryView>
    </>
  );
}
