import { Button, Card, Group, Modal, Select, SimpleGrid, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { ApiProblem, data } from '../api/client';
import { DataTable, PageTitle, parseJson, ProblemAlert, QueryView, when } from '../components/common';
import { useApp, useCan } from '../context';

const route = getRouteApi('/policies/$policyId');

/** A policy document editor: JSON, with the api's field errors listed under it. */
function DocumentForm({ initial, submitLabel, withName, onSubmit }: { initial: unknown; submitLabel: string; withName?: boolean; onSubmit: (document: Record<string, unknown>, name: string) => Promise<void> }) {
  const [text, setText] = useState(JSON.stringify(initial, null, 2));
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const parsed = parseJson(text);
  const problem = error instanceof ApiProblem ? error : undefined;
  return (
    <form
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        try {
          await onSubmit((parsed.value ?? {}) as Record<string, unknown>, name);
        } catch (failure) {
          setError(failure);
        }
      }}
    >
      <Stack>
        {withName && <TextInput label="Name" required value={name} onChange={(event) => setName(event.currentTarget.value)} error={problem?.fieldError('name')} />}
        <Textarea label="Policy document (JSON)" autosize minRows={10} value={text} onChange={(event) => setText(event.currentTarget.value)} error={parsed.error} styles={{ input: { fontFamily: 'monospace' } }} />
        {error !== null && <ProblemAlert error={error} plane="control" />}
        <Group justify="flex-end">
          <Button type="submit" disabled={!!parsed.error}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function PoliciesPage() {
  const { api } = useApp();
  const navigate = useNavigate();
  const client = useQueryClient();
  const canWrite = useCan('control:write');
  const [opened, { open, close }] = useDisclosure(false);
  const query = useQuery({ queryKey: ['policies'], queryFn: () => data(api.control.GET('/policies')) });
  return (
    <>
      <PageTitle actions={canWrite && <Button onClick={open}>New policy</Button>}>Policies</PageTitle>
      <Modal opened={opened} onClose={close} title="New policy" size="lg">
        <DocumentForm
          withName
          submitLabel="Create policy"
          initial={{ retry: { maxAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2, maxIntervalMs: 30000, jitter: 0.2, nonRetryable: [], respectRetryAfter: true } }}
          onSubmit={async (document, name) => {
            const created = await data(api.control.POST('/policies', { body: { ...document, name } as never }));
            close();
            await client.invalidateQueries({ queryKey: ['policies'] });
            await navigate({ to: '/policies/$policyId', params: { policyId: created.id } });
          }}
        />
      </Modal>
      <QueryView query={query} plane="control" isEmpty={(body) => body.items.length === 0} empty="No policies yet: connectors use the tenant default.">
        {(body) => (
          <DataTable
            striped
            aria-label="Policies"
            rows={body.items}
            rowKey={(policy) => policy.id}
            columns={[
              {
                header: 'Name',
                cell: (policy) => (
                  <>
                    <Link to="/policies/$policyId" params={{ policyId: policy.id }}>
                      {policy.name}
                    </Link>
                  </>
                ),
              },
              { header: 'Latest version', cell: (policy) => <>v{policy.latestVersion}</> },
              { header: 'Created', cell: (policy) => when(policy.createdAt) },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}

/** Side by side, line by line: lines that differ are marked. */
function Diff({ left, right }: { left: unknown; right: unknown }) {
  const a = JSON.stringify(left, null, 2).split('\n');
  const b = JSON.stringify(right, null, 2).split('\n');
  const rows = Math.max(a.length, b.length);
  return (
    <Table aria-label="Version diff" style={{ fontFamily: 'monospace', fontSize: 12 }}>
      <Table.Tbody>
        {Array.from({ length: rows }, (_, index) => {
          const changed = a[index] !== b[index];
          return (
            <Table.Tr key={index} bg={changed ? 'var(--mantine-color-yellow-light)' : undefined} data-changed={changed || undefined}>
              <Table.Td style={{ whiteSpace: 'pre' }}>{a[index] ?? ''}</Table.Td>
              <Table.Td style={{ whiteSpace: 'pre' }}>{b[index] ?? ''}</Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

export function PolicyPage() {
  const { api } = useApp();
  const { policyId } = route.useParams();
  const client = useQueryClient();
  const canWrite = useCan('control:write');
  const [opened, { open, close }] = useDisclosure(false);
  const policy = useQuery({ queryKey: ['policy', policyId], queryFn: () => data(api.control.GET('/policies/{id}', { params: { path: { id: policyId } } })) });
  const latest = policy.data?.latestVersion ?? 1;
  const [left, setLeft] = useState<string | null>(null);
  const [right, setRight] = useState<string | null>(null);
  const leftVersion = Number(left ?? Math.max(1, latest - 1));
  const rightVersion = Number(right ?? latest);
  const version = (v: number) => ({
    queryKey: ['policy-version', policyId, v],
    enabled: policy.isSuccess,
    queryFn: () => data(api.control.GET('/policies/{id}/versions/{version}', { params: { path: { id: policyId, version: v } } })),
  });
  const leftQuery = useQuery(version(leftVersion));
  const rightQuery = useQuery(version(rightVersion));
  const versions = Array.from({ length: latest }, (_, index) => String(latest - index));
  return (
    <QueryView query={policy} plane="control">
      {(view) => (
        <>
          <PageTitle actions={canWrite && <Button onClick={open}>New version</Button>}>Policy {view.name}</PageTitle>
          <Modal opened={opened} onClose={close} title={`New version of ${view.name}`} size="lg">
            <DocumentForm
              initial={view.latest.document}
              submitLabel="Create version"
              onSubmit={async (document) => {
                await data(api.control.POST('/policies/{id}/versions', { params: { path: { id: policyId } }, body: document as never }));
                close();
                await client.invalidateQueries({ queryKey: ['policy', policyId] });
              }}
            />
          </Modal>
          <Text>
            Latest: v{view.latestVersion} ({when(view.latest.createdAt)})
          </Text>
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              Compare versions
            </Title>
            <SimpleGrid cols={2} mb="sm">
              <Select label="Left" data={versions} value={String(leftVersion)} onChange={setLeft} allowDeselect={false} />
              <Select label="Right" data={versions} value={String(rightVersion)} onChange={setRight} allowDeselect={false} />
            </SimpleGrid>
            {leftQuery.isError && <ProblemAlert error={leftQuery.error} plane="control" />}
            {rightQuery.isError && <ProblemAlert error={rightQuery.error} plane="control" />}
            {leftQuery.data && rightQuery.data && <Diff left={leftQuery.data.document} right={rightQuery.data.document} />}
          </Card>
        </>
      )}
    </QueryView>
  );
}
