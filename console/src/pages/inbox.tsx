import {  } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { data } from '../api/client';
import { DataTable, ConfirmButton, PageTitle, QueryView, StatusBadge, when } from '../components/common';
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
          <DataTable
            striped
            aria-label="Webhook deliveries"
            rows={body.items}
            rowKey={(entry) => entry.id}
            columns={[
              { header: 'Received', cell: (entry) => when(entry.receivedAt) },
              { header: 'Provider', cell: (entry) => entry.provider },
              { header: 'Event', cell: (entry) => <>{entry.eventType} ({entry.eventId})</> },
              { header: 'Status', cell: (entry) => <StatusBadge status={entry.status} /> },
              {
                header: 'Job',
                cell: (entry) => (
                  <>
                    {entry.jobId ? (
                      <Link to="/jobs/$jobId" params={{ jobId: entry.jobId }}>
                        {entry.jobId.slice(0, 8)}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </>
                ),
              },
              { header: 'Error', cell: (entry) => <>{entry.error ? `${entry.error.code}: ${entry.error.message}` : '—'}</> },
              {
                header: 'Actions',
                cell: (entry) => (
                  <>
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
