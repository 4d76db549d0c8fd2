import { Table } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { data } from '../api/client';
import { ConfirmButton, PageTitle, QueryView, StatusBadge, when } from '../components/common';
import { useApp, useCan } from '../context';

export function InboxPage() {
  const { api } = useApp();
  const client = useQueryClient();
  const canOperate = useCan('control:operate');
  const query = useQuery({ queryKey: ['inbox'], queryFn: () => data(api.control.GET('/webhooks/inbox', { params: { query: { limit: 100 } } })) });
  return (
    <>
      <PageTitle>Webhook inbox</PageTitle>
      <QueryView query={query} plane="control" isEmpty={(body) => body.items.length === 0} empty="No webhook deliveries yet.">
        {(body) => (
          <Table striped aria-label="Webhook deliveries">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Received</Table.Th>
                <Table.Th>Provider</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Job</Table.Th>
                <Table.Th>Error</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {body.items.map((entry) => (
                <Table.Tr key={entry.id}>
                  <Table.Td>{when(entry.receivedAt)}</Table.Td>
                  <Table.Td>{entry.provider}</Table.Td>
                  <Table.Td>
                    {entry.eventType} ({entry.eventId})
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={entry.status} />
                  </Table.Td>
                  <Table.Td>
                    {entry.jobId ? (
                      <Link to="/jobs/$jobId" params={{ jobId: entry.jobId }}>
                        {entry.jobId.slice(0, 8)}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  <Table.Td>{entry.error ? `${entry.error.code}: ${entry.error.message}` : '—'}</Table.Td>
                  <Table.Td>
                    {canOperate && entry.status !== 'routed' && (
                      <ConfirmButton
                        label="Retry"
                        variant="default"
                        title="Route this event again?"
                        message="The archived event is routed again by its type."
                        onConfirm={async () => {
                          await data(api.control.POST('/webhooks/inbox/{id}/retry', { params: { path: { id: entry.id } } }));
                          await client.invalidateQueries({ queryKey: ['inbox'] });
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
