import { Button, Card, Group, PasswordInput, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiProblem, data } from '../api/client';
import { DataTable, ConfirmButton, PageTitle, ProblemAlert, QueryView, when } from '../components/common';
import { useApp, useCan } from '../context';

/** Secret refs: the value is write-only — sent once, never shown again (the api never returns it). */
export function SecretsPage() {
  const { api } = useApp();
  const client = useQueryClient();
  const canWrite = useCan('control:write');
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const problem = error instanceof ApiProblem ? error : undefined;
  const query = useQuery({ queryKey: ['secret-refs'], queryFn: () => data(api.control.GET('/secret-refs')) });
  return (
    <>
      <PageTitle>Secret refs</PageTitle>
      {canWrite && (
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            New secret ref
          </Title>
          <form
            onSubmit={async (event) => {
              event.preventDefault();
              setError(null);
              try {
                await data(api.control.POST('/secret-refs', { body: { name, provider: 'local', value } as never }));
                setName('');
                setValue('');
                await client.invalidateQueries({ queryKey: ['secret-refs'] });
              } catch (failure) {
                setError(failure);
              }
            }}
          >
            <Group align="start" grow>
              <TextInput label="Name" required value={name} onChange={(event) => setName(event.currentTarget.value)} error={problem?.fieldError('name')} />
              <PasswordInput label="Value (write-only)" required value={value} onChange={(event) => setValue(event.currentTarget.value)} error={problem?.fieldError('value')} autoComplete="off" />
            </Group>
            {error !== null && !problem?.errors.length && <ProblemAlert error={error} plane="control" />}
            <Button type="submit" mt="sm">
              Create secret ref
            </Button>
          </form>
        </Card>
      )}
      <QueryView query={query} plane="control" isEmpty={(body) => body.items.length === 0} empty="No secret refs yet.">
        {(body) => (
          <DataTable
            striped
            aria-label="Secret refs"
            rows={body.items}
            rowKey={(secret) => secret.id}
            columns={[
              { header: 'Name', cell: (secret) => secret.name },
              { header: 'Provider', cell: (secret) => secret.provider },
              { header: 'Updated', cell: (secret) => when(secret.updatedAt) },
              {
                header: 'Actions',
                cell: (secret) => (
                  <>
                    {canWrite && (
                      <ConfirmButton
                        label="Delete"
                        color="red"
                        variant="default"
                        title={`Delete ${secret.name}?`}
                        message="Connectors that use it would fail; the api refuses while one does."
                        onConfirm={async () => {
                          await data(api.control.DELETE('/secret-refs/{id}', { params: { path: { id: secret.id } } }));
                          await client.invalidateQueries({ queryKey: ['secret-refs'] });
                        }}
                      />
                    )}
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
