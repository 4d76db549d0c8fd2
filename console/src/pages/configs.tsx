import { Badge, Button, Card, Group, Modal, Stack, Table, Textarea, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { data } from '../api/client';
import { DataTable, ConfirmButton, JsonBlock, PageTitle, parseJson, ProblemAlert, QueryView, when } from '../components/common';
import { useApp, useCan } from '../context';

export function ConfigsPage() {
  const { api } = useApp();
  const client = useQueryClient();
  const canWrite = useCan('control:write');
  const [opened, { open, close }] = useDisclosure(false);
  const [text, setText] = useState(JSON.stringify({ bindings: {}, features: {} }, null, 2));
  const [error, setError] = useState<unknown>(null);
  const parsed = parseJson(text);
  const configs = useQuery({ queryKey: ['configs'], queryFn: () => data(api.control.GET('/configs')) });
  // The activation log: every activate and rollback, from the audit log.
  const log = useQuery({
    queryKey: ['configs', 'log'],
    queryFn: async () => {
      const [activations, rollbacks] = await Promise.all([
        data(api.control.GET('/audit', { params: { query: { action: 'POST /configs/activate', limit: 50 } } })),
        data(api.control.GET('/audit', { params: { query: { action: 'POST /configs/rollback', limit: 50 } } })),
      ]);
      return [...activations.items, ...rollbacks.items].sort((a, b) => b.at.localeCompare(a.at));
    },
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['configs'] });
  return (
    <>
      <PageTitle
        actions={
          canWrite && (
            <>
              <Button onClick={open}>New version</Button>
              <ConfirmButton label="Roll back" title="Roll back?" message="The version active before the current one becomes active again for new jobs." onConfirm={async () => (await data(api.control.POST('/configs/rollback')), refresh())} />
            </>
          )
        }
      >
        Configs
      </PageTitle>
      <Modal opened={opened} onClose={close} title="New config version" size="lg">
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            try {
              await data(api.control.POST('/configs', { body: (parsed.value ?? {}) as never }));
              close();
              await refresh();
            } catch (failure) {
              setError(failure);
            }
          }}
        >
          <Stack>
            <Textarea label="Config document (JSON)" autosize minRows={8} value={text} onChange={(event) => setText(event.currentTarget.value)} error={parsed.error} styles={{ input: { fontFamily: 'monospace' } }} />
            {error !== null && <ProblemAlert error={error} plane="control" />}
            <Group justify="flex-end">
              <Button type="submit" disabled={!!parsed.error}>
                Create version
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <QueryView query={configs} plane="control" isEmpty={(body) => body.items.length === 0} empty="No config versions yet.">
        {(body) => (
          <DataTable
            aria-label="Config versions"
            rows={body.items}
            rowKey={(config) => config.version}
            columns={[
              { header: 'Version', cell: (config) => <>v{config.version} {config.version === body.activeVersion && <Badge variant="dot" color="green">active</Badge>}</> },
              { header: 'Created', cell: (config) => when(config.createdAt) },
              { header: 'By', cell: (config) => config.createdBy },
              { header: 'Document', cell: (config) => <JsonBlock value={config.document} label={`Config v${config.version}`} /> },
              {
                header: 'Action',
                cell: (config) => (
                  <>
                    {canWrite && config.version !== body.activeVersion && (
                      <ConfirmButton
                        label="Activate"
                        title={`Activate v${config.version}?`}
                        message="New jobs use this version; running jobs keep theirs."
                        onConfirm={async () => (await data(api.control.POST('/configs/activate', { body: { version: config.version } })), refresh())}
                      />
                    )}
                  </>
                ),
              },
            ]}
          />
        )}
      </QueryView>
      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          Activation log
        </Title>
        <QueryView query={log} plane="control" isEmpty={(items) => items.length === 0} empty="No activation yet.">
          {(items) => (
            <Table aria-label="Activation log">
              <Table.Tbody>
                {items.map((entry) => (
                  <Table.Tr key={entry.id}>
                    <Table.Td>{when(entry.at)}</Table.Td>
                    <Table.Td>{entry.action}</Table.Td>
                    <Table.Td>{entry.actor.subject}</Table.Td>
                    <Table.Td>{entry.outcome}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </QueryView>
      </Card>
    </>
  );
}
