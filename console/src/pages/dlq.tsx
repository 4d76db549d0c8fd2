import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { data } from '../api/client';
import { DataTable, ConfirmButton, PageTitle, ProblemAlert, QueryView, StatusBadge, when } from '../components/common';
import { useApp, useCan } from '../context';

const route = getRouteApi('/dlq');
const ERROR_TYPES = ['NetworkError', 'AttemptTimeout', 'HttpError', 'ConfigurationError', 'ForbiddenTarget', 'InternalError', 'TotalTimeout'];

/** Bulk replay: a dry run first, its count shown, and only then the real run. */
function BulkReplay({ filter }: { filter: Record<string, string | undefined> }) {
  const { api } = useApp();
  const client = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const [count, setCount] = useState<number | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const body = (dryRun: boolean) => ({ filter: Object.fromEntries(Object.entries(filter).filter(([, value]) => value)) as never, dryRun, limit: 1000 });
  return (
    <>
      <Button
        variant="filled"
        onClick={async () => {
          setError(null);
          setResult(null);
          setCount(null);
          open();
          try {
            setCount((await data(api.control.POST('/dlq/replay', { body: body(true) }))).count);
          } catch (failure) {
            setError(failure);
          }
        }}
      >
        Replay all matching…
      </Button>
      <Modal opened={opened} onClose={close} title="Bulk replay">
        <Stack>
          {error !== null && <ProblemAlert error={error} plane="control" />}
          {count === null && error === null && <Text>Counting…</Text>}
          {count !== null && !result && (
            <Text data-testid="dry-run-count">
              Dry run: {count} job{count === 1 ? '' : 's'} would be replayed.
            </Text>
          )}
          {result && (
            <Alert color="green" title="Replayed" role="status">
              {result}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {result ? 'Close' : 'Cancel'}
            </Button>
            {!result && (
              <Button
                disabled={!count}
                onClick={async () => {
                  try {
                    const done = await data(api.control.POST('/dlq/replay', { body: body(false) }));
                    setResult(`${done.replayed.length} replayed, ${done.failed.length} failed.`);
                    await client.invalidateQueries({ queryKey: ['dlq'] });
                  } catch (failure) {
                    setError(failure);
                  }
                }}
              >
                Replay {count ?? ''} jobs
              </Button>
            )}
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

export function DlqPage() {
  const { api } = useApp();
  const client = useQueryClient();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const canOperate = useCan('control:operate');
  const canWrite = useCan('control:write');
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => data(api.control.GET('/connectors')) });
  const query = useQuery({
    queryKey: ['dlq', search],
    queryFn: () => data(api.control.GET('/dlq', { params: { query: { connector: search.connector, operation: search.operation, errorType: search.errorType as never, limit: 200 } } })),
  });
  const names = new Map((connectors.data?.items ?? []).map((connector) => [connector.id, connector.name]));
  const set = (patch: Partial<typeof search>) => void navigate({ search: { ...search, ...patch } });
  return (
    <>
      <PageTitle actions={canOperate && <BulkReplay filter={search} />}>Dead-letter queue</PageTitle>
      <Group align="end">
        <Select
          label="Connector"
          clearable
          data={(connectors.data?.items ?? []).map((connector) => ({ value: connector.id, label: connector.name }))}
          value={search.connector ?? null}
          onChange={(value) => set({ connector: value ?? undefined })}
        />
        <TextInput label="Operation" defaultValue={search.operation ?? ''} onBlur={(event) => set({ operation: event.currentTarget.value || undefined })} />
        <Select label="Error type" clearable data={ERROR_TYPES} value={search.errorType ?? null} onChange={(value) => set({ errorType: value ?? undefined })} />
      </Group>
      <QueryView query={query} plane="control" isEmpty={(body) => body.items.length === 0} empty="The dead-letter queue is empty.">
        {(body) => (
          <DataTable
            striped
            aria-label="Dead-letter queue"
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
              { header: 'Status', cell: (job) => <StatusBadge status={job.status} /> },
              { header: 'Connector', cell: (job) => names.get(job.connectorId) ?? job.connectorId.slice(0, 8) },
              { header: 'Operation', cell: (job) => job.operation },
              { header: 'Error', cell: (job) => <>{job.error ? `${job.error.type}: ${job.error.message}` : '—'}</> },
              { header: 'Completed', cell: (job) => when(job.completedAt) },
              {
                header: 'Actions',
                cell: (job) => (
                  <>
                    <Group gap="xs">
                      {canOperate && (
                        <Link to="/jobs/$jobId" params={{ jobId: job.id }}>
                          Replay…
                        </Link>
                      )}
                      {canWrite && (
                        <ConfirmButton
                          label="Purge"
                          color="red"
                          variant="default"
                          title="Purge this entry?"
                          message="It leaves the dead-letter queue; the job record stays."
                          onConfirm={async () => {
                            await data(api.control.DELETE('/dlq/{id}', { params: { path: { id: job.id } } }));
                            await client.invalidateQueries({ queryKey: ['dlq'] });
                          }}
                        />
                      )}
                    </Group>
                  </>
                ),
              },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}
