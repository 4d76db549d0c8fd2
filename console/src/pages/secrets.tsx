import { Button, Card, Group, PasswordInput, Table, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiProblem, data } from '../api/client';
import { ConfirmButton, PageTitle, ProblemAlert, QueryView, when } from '../components/common';
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
          <Table striped aria-label="Secret refs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Provider</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {body.items.map((secret) => (
                <Table.Tr key={secret.id}>
                  <Table.Td>{secret.name}</Table.Td>
                  <Table.Td>{secret.provider}</Table.Td>
                  <Table.Td>{when(secret.updatedAt)}</Table.Td>
                  <Table.Td>
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
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
    </>
  );
}
