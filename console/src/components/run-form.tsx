import { Button, Card, Group, Select, Textarea, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { ApiProblem, data } from '../api/client';
import { useApp } from '../context';
import { parseJson, ProblemAlert } from './common';

/** POST /execute from the browser: connector, operation, input; then the new job's page. */
export function RunForm({ connector: fixed }: { connector?: { id: string; name: string; operations: string[] } }) {
  const { api } = useApp();
  const navigate = useNavigate();
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => data(api.control.GET('/connectors')), retry: false, enabled: !fixed });
  const [connector, setConnector] = useState<string | null>(fixed?.name ?? null);
  const [operation, setOperation] = useState('');
  const [input, setInput] = useState('{}');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const parsed = parseJson(input);
  const chosen = fixed ?? connectors.data?.items.find((item) => item.name === connector);
  const operations = fixed?.operations ?? Object.keys((chosen as { operations?: Record<string, unknown> } | undefined)?.operations ?? {});
  const problem = error instanceof ApiProblem ? error : undefined;
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Run an execution
      </Title>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          if (parsed.error || !connector) return;
          setBusy(true);
          setError(null);
          try {
            const job = await data(api.exec.POST('/execute', { body: { connector, operation, input: (parsed.value ?? {}) as never } }));
            await navigate({ to: '/jobs/$jobId', params: { jobId: job.id } });
          } catch (failure) {
            setError(failure);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Group align="start" grow>
          {fixed ? (
            <TextInput label="Connector" value={fixed.name} readOnly />
          ) : connectors.isError ? (
            <TextInput label="Connector" required value={connector ?? ''} onChange={(event) => setConnector(event.currentTarget.value)} error={problem?.fieldError('connector')} />
          ) : (
            <Select label="Connector" required searchable data={(connectors.data?.items ?? []).map((item) => item.name)} value={connector} onChange={setConnector} error={problem?.fieldError('connector')} />
          )}
          {operations.length > 0 ? (
            <Select label="Operation" required data={operations} value={operation || null} onChange={(value) => setOperation(value ?? '')} error={problem?.fieldError('operation')} />
          ) : (
            <TextInput label="Operation" required value={operation} onChange={(event) => setOperation(event.currentTarget.value)} error={problem?.fieldError('operation')} />
          )}
        </Group>
        <Textarea label="Input (JSON)" autosize minRows={2} value={input} onChange={(event) => setInput(event.currentTarget.value)} error={parsed.error ?? problem?.fieldError('input')} mt="sm" styles={{ input: { fontFamily: 'monospace' } }} />
        {error !== null && !problem?.errors.length && <ProblemAlert error={error} plane="exec" />}
        <Button type="submit" mt="sm" loading={busy} disabled={!!parsed.error}>
          Run
        </Button>
      </form>
    </Card>
  );
}
