import { Alert, Button, Card, Checkbox, Group, Modal, NumberInput, Select, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { ApiProblem, data, type Schemas } from '../api/client';
import { DataTable, ConfirmButton, JsonBlock, PageTitle, parseJson, ProblemAlert, QueryView, StatusBadge, when } from '../components/common';
import { RunForm } from '../components/run-form';
import { useApp, useCan } from '../context';
import { needsAttention } from './overview';

const route = getRouteApi('/connectors/$connectorId');

function usage(state: Schemas['ConnectorStateView'] | undefined): { limiter: string; leases: string; backlog: string } {
  if (!state) return { limiter: '—', leases: '—', backlog: '—' };
  const backlog = Object.entries(state.backlog as Record<string, number>)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  return {
    limiter: state.rateLimit
      ? `${state.rateLimit.permitsPerSecond} per s, ${state.rateLimit.available} available now${state.rateLimit.nextPermitInMs > 0 ? `, next in ${state.rateLimit.nextPermitInMs} ms` : ''}`
      : 'no limit',
    leases: state.concurrency ? `${state.concurrency.inFlight}/${state.concurrency.maxInFlight} in flight` : 'no limit',
    backlog: backlog || 'none',
  };
}

const EXAMPLE_OPERATIONS = JSON.stringify({ call: { method: 'POST', path: '/charges', body: { amount: '{amount}' }, successStatuses: [200, 201] } }, null, 2);

/** Create or edit a connector: http (operations, auth from a secret ref) or stripe (signing secret, tolerance, routes). */
function ConnectorForm({ existing, onDone }: { existing?: Schemas['ConnectorView']; onDone: (connector: Schemas['ConnectorView']) => void }) {
  const { api } = useApp();
  const policies = useQuery({ queryKey: ['policies'], queryFn: () => data(api.control.GET('/policies')) });
  const secrets = useQuery({ queryKey: ['secret-refs'], queryFn: () => data(api.control.GET('/secret-refs')) });
  const view = existing as (Schemas['ConnectorView'] & Record<string, unknown>) | undefined;
  const [type, setType] = useState<'http' | 'stripe'>((existing?.type as 'http' | 'stripe') ?? 'http');
  const [name, setName] = useState(existing?.name ?? '');
  const [baseUrl, setBaseUrl] = useState(String(view?.baseUrl ?? ''));
  const [policyId, setPolicyId] = useState<string | null>(existing?.policyId ?? null);
  const [authType, setAuthType] = useState<string>(String((view?.auth as { type?: string } | undefined)?.type ?? 'none'));
  const [authSecret, setAuthSecret] = useState<string | null>(String((view?.auth as { secretRef?: string } | undefined)?.secretRef ?? '') || null);
  const [operations, setOperations] = useState(view?.operations ? JSON.stringify(view.operations, null, 2) : EXAMPLE_OPERATIONS);
  const [allowPrivate, setAllowPrivate] = useState(Boolean(view?.allowPrivateNetwork));
  const [signingSecret, setSigningSecret] = useState<string | null>(String(view?.signingSecretRef ?? '') || null);
  const [tolerance, setTolerance] = useState<number | string>(Number(view?.toleranceSeconds ?? 300));
  const [routes, setRoutes] = useState(view?.routes ? JSON.stringify(view.routes, null, 2) : '{}');
  const [error, setError] = useState<unknown>(null);
  const problem = error instanceof ApiProblem ? error : undefined;
  const ops = parseJson(operations);
  const routeMap = parseJson(routes);
  const secretOptions = (secrets.data?.items ?? []).map((secret) => ({ value: secret.id, label: secret.name }));
  return (
    <form
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        const common = { name, policyId: policyId ?? undefined };
        const body =
          type === 'http'
            ? { ...common, baseUrl, operations: ops.value as never, allowPrivateNetwork: allowPrivate, auth: authType === 'none' ? (existing ? { type: 'none' as const } : undefined) : { type: authType as never, secretRef: authSecret ?? undefined } }
            : { ...common, signingSecretRef: signingSecret ?? undefined, toleranceSeconds: Number(tolerance), routes: routeMap.value as never };
        try {
          const saved = existing
            ? await data(api.control.PATCH('/connectors/{id}', { params: { path: { id: existing.id } }, body: body as never }))
            : await data(api.control.POST('/connectors', { body: { ...body, type } as never }));
          onDone(saved);
        } catch (failure) {
          setError(failure);
        }
      }}
    >
      <Stack>
        {!existing && <Select label="Type" data={['http', 'stripe']} value={type} onChange={(value) => setType((value as 'http' | 'stripe') ?? 'http')} allowDeselect={false} />}
        <TextInput label="Name" required value={name} onChange={(event) => setName(event.currentTarget.value)} error={problem?.fieldError('name')} />
        <Select label="Policy" clearable data={(policies.data?.items ?? []).map((policy) => ({ value: policy.id, label: policy.name }))} value={policyId} onChange={setPolicyId} error={problem?.fieldError('policyId')} />
        {type === 'http' ? (
          <>
            <TextInput label="Base URL" required value={baseUrl} onChange={(event) => setBaseUrl(event.currentTarget.value)} error={problem?.fieldError('baseUrl')} />
            <Textarea
              label="Operations (JSON: name → method, path, query, headers, body, successStatuses)"
              autosize
              minRows={6}
              value={operations}
              onChange={(event) => setOperations(event.currentTarget.value)}
              error={ops.error ?? problem?.fieldError('operations')}
              styles={{ input: { fontFamily: 'monospace' } }}
            />
            <Group grow>
              <Select label="Auth" data={['none', 'bearer', 'basic', 'header']} value={authType} onChange={(value) => setAuthType(value ?? 'none')} allowDeselect={false} error={problem?.fieldError('auth.type')} />
              {authType !== 'none' && <Select label="Auth secret ref" data={secretOptions} value={authSecret} onChange={setAuthSecret} error={problem?.fieldError('auth')} />}
            </Group>
            <Checkbox label="Allow private network targets" checked={allowPrivate} onChange={(event) => setAllowPrivate(event.currentTarget.checked)} />
          </>
        ) : (
          <>
            <Select label="Signing secret ref" data={secretOptions} value={signingSecret} onChange={setSigningSecret} error={problem?.fieldError('signingSecretRef')} />
            <NumberInput label="Signature tolerance (seconds)" value={tolerance} onChange={setTolerance} min={1} error={problem?.fieldError('toleranceSeconds')} />
            <Textarea
              label="Routes (JSON: event type → { connector, operation })"
              autosize
              minRows={4}
              value={routes}
              onChange={(event) => setRoutes(event.currentTarget.value)}
              error={routeMap.error ?? problem?.fieldError('routes')}
              styles={{ input: { fontFamily: 'monospace' } }}
            />
          </>
        )}
        {error !== null && !problem?.errors.length && <ProblemAlert error={error} plane="control" />}
        {problem && problem.errors.length > 0 && <Alert color="red" title={problem.title}>{problem.detail || 'Some fields are not valid; see the messages beside them.'}</Alert>}
        <Group justify="flex-end">
          <Button type="submit" disabled={Boolean(type === 'http' ? ops.error : routeMap.error)}>
            {existing ? 'Save connector' : 'Create connector'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function ConnectorsPage() {
  const { api } = useApp();
  const navigate = useNavigate();
  const canWrite = useCan('control:write');
  const [opened, { open, close }] = useDisclosure(false);
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => data(api.control.GET('/connectors')) });
  const states = useQuery({ queryKey: ['connector-states'], refetchInterval: 2_000, queryFn: () => data(api.control.GET('/connectors/state')) });
  const stateOf = new Map((states.data?.items ?? []).map((state) => [state.connectorId, state]));
  return (
    <>
      <PageTitle actions={canWrite && <Button onClick={open}>New connector</Button>}>Connectors</PageTitle>
      <Modal opened={opened} onClose={close} title="New connector" size="lg">
        <ConnectorForm
          onDone={(connector) => {
            close();
            void navigate({ to: '/connectors/$connectorId', params: { connectorId: connector.id } });
          }}
        />
      </Modal>
      <QueryView query={connectors} plane="control" isEmpty={(body) => body.items.length === 0} empty="No connectors yet.">
        {(body) => (
          <DataTable
            striped
            aria-label="Connectors"
            rows={body.items.map((connector) => {
              const state = stateOf.get(connector.id);
              return { connector, state, use: usage(state) };
            })}
            rowKey={({ connector }) => connector.id}
            columns={[
              {
                header: 'Name',
                cell: ({ connector }) => (
                  <>
                    <Link to="/connectors/$connectorId" params={{ connectorId: connector.id }}>
                      {connector.name}
                    </Link>
                    {!connector.enabled && <Text span size="xs"> (disabled)</Text>}
                  </>
                ),
              },
              { header: 'Type', cell: ({ connector }) => connector.type },
              { header: 'Breaker', cell: ({ state }) => (state ? <StatusBadge status={state.breaker.state} /> : '—') },
              { header: 'Limiter', cell: ({ use }) => use.limiter },
              { header: 'Leases', cell: ({ use }) => use.leases },
              { header: 'Backlog', cell: ({ use }) => use.backlog },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}

export function ConnectorPage() {
  const { api } = useApp();
  const { connectorId } = route.useParams();
  const client = useQueryClient();
  const canWrite = useCan('control:write');
  const canOperate = useCan('control:operate');
  const canExecute = useCan('exec:execute');
  const [editing, { open, close }] = useDisclosure(false);
  const connector = useQuery({ queryKey: ['connector', connectorId], queryFn: () => data(api.control.GET('/connectors/{id}', { params: { path: { id: connectorId } } })) });
  const state = useQuery({ queryKey: ['connector-state', connectorId], refetchInterval: 2_000, queryFn: () => data(api.control.GET('/connectors/{id}/state', { params: { path: { id: connectorId } } })) });
  const breaker = async (action: 'reset' | 'open') => {
    await data(api.control.POST('/connectors/{id}/breaker', { params: { path: { id: connectorId } }, body: { action } }));
    await client.invalidateQueries({ queryKey: ['connector-state'] });
  };
  return (
    <QueryView query={connector} plane="control">
      {(view) => (
        <>
          <PageTitle actions={canWrite && <Button variant="default" onClick={open}>Edit</Button>}>Connector {view.name}</PageTitle>
          <Modal opened={editing} onClose={close} title={`Edit ${view.name}`} size="lg">
            <ConnectorForm
              existing={view}
              onDone={() => {
                close();
                void client.invalidateQueries({ queryKey: ['connector', connectorId] });
              }}
            />
          </Modal>
          <QueryView query={state} plane="control">
            {(current) => {
              const use = usage(current);
              const reasons = needsAttention(current);
              return (
                <Card withBorder>
                  <Group justify="space-between">
                    <Group>
                      <Title order={2} size="h4">
                        Circuit breaker
                      </Title>
                      <span data-testid="breaker-state">
                        <StatusBadge status={current.breaker.state} />
                      </span>
                      {current.breaker.state === 'open' && <Text data-testid="half-opens-at">half-opens at {when(current.breaker.openUntil)}</Text>}
                    </Group>
                    {canOperate && (
                      <Group>
                        {current.breaker.state !== 'closed' && (
                          <ConfirmButton label="Reset breaker" title="Reset the breaker?" message="The breaker closes and its failure window is cleared; waiting jobs call the connector again." onConfirm={() => breaker('reset')} />
                        )}
                        {current.breaker.state === 'closed' && (
                          <ConfirmButton label="Open breaker" color="red" title="Open the breaker?" message="No job calls this connector until the breaker half-opens (the policy's openMs) or is reset." onConfirm={() => breaker('open')} />
                        )}
                      </Group>
                    )}
                  </Group>
                  <SimpleGrid cols={{ base: 1, md: 3 }} mt="sm">
                    <Text size="sm">
                      Window: {current.breaker.windowFailures} failures of {current.breaker.windowCalls} calls
                    </Text>
                    <Text size="sm">Limiter: {use.limiter}</Text>
                    <Text size="sm">Leases: {use.leases}</Text>
                    <Text size="sm">Backlog: {use.backlog}</Text>
                    <Text size="sm">
                      Policy:{' '}
                      <Link to="/policies/$policyId" params={{ policyId: (current.policy as { id: string }).id }}>
                        v{(current.policy as { version: number }).version}
                      </Link>
                    </Text>
                  </SimpleGrid>
                  {reasons.length > 0 && (
                    <Alert color="yellow" mt="sm" title="Needs attention">
                      {reasons.join('; ')}
                    </Alert>
                  )}
                  {current.recentErrors.length > 0 && (
                    <DataTable
                      mt="sm"
                      aria-label="Recent errors"
                      rows={current.recentErrors}
                      rowKey={(item) => `${item.jobId}-${item.attempt}`}
                      columns={[
                        { header: 'At', cell: (item) => when(item.at) },
                        {
                          header: 'Job',
                          cell: (item) => (
                            <>
                              <Link to="/jobs/$jobId" params={{ jobId: item.jobId }}>
                                {item.jobId.slice(0, 8)} #{item.attempt}
                              </Link>
                            </>
                          ),
                        },
                        { header: 'Error', cell: (item) => <>{String((item.error as { message?: string; type?: string }).message ?? (item.error as { type?: string }).type)}</> },
                      ]}
                    />
                  )}
                </Card>
              );
            }}
          </QueryView>
          {canExecute && view.type === 'http' && <RunForm connector={{ id: view.id, name: view.name, operations: Object.keys((view as { operations?: object }).operations ?? {}) }} />}
          <Card withBorder>
            <Title order={2} size="h4" mb="xs">
              Definition
            </Title>
            <JsonBlock value={view} label="Connector definition" />
          </Card>
        </>
      )}
    </QueryView>
  );
}
