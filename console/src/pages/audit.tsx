import { Badge, Group, Select, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { data } from '../api/client';
import { DataTable, PageTitle, QueryView, when } from '../components/common';
import { useApp } from '../context';

const route = getRouteApi('/audit');
const RANGES: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

export function AuditPage() {
  const { api } = useApp();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const set = (patch: Partial<typeof search>) => void navigate({ search: { ...search, ...patch } });
  const query = useQuery({
    queryKey: ['audit', search],
    queryFn: () =>
      data(
        api.control.GET('/audit', {
          params: {
            query: {
              actor: search.actor,
              action: search.action,
              target: search.target,
              impersonated: search.impersonated === undefined ? undefined : (search.impersonated === 'true') as never,
              after: search.since && RANGES[search.since] ? new Date(Date.now() - RANGES[search.since]).toISOString() : undefined,
              limit: 100,
            },
          },
        }),
      ),
  });
  const text = (label: string, key: 'actor' | 'action' | 'target') => (
    <TextInput label={label} defaultValue={search[key] ?? ''} onBlur={(event) => set({ [key]: event.currentTarget.value || undefined })} onKeyDown={(event) => event.key === 'Enter' && set({ [key]: event.currentTarget.value || undefined })} />
  );
  return (
    <>
      <PageTitle>Audit</PageTitle>
      <Group align="end">
        {text('Actor', 'actor')}
        {text('Action', 'action')}
        {text('Target', 'target')}
        <Select
          label="Time"
          clearable
          data={[
            { value: '1h', label: 'Last hour' },
            { value: '24h', label: 'Last 24 hours' },
            { value: '7d', label: 'Last 7 days' },
          ]}
          value={search.since ?? null}
          onChange={(value) => set({ since: value ?? undefined })}
        />
        <Select
          label="Impersonated"
          clearable
          data={[
            { value: 'true', label: 'Only impersonated' },
            { value: 'false', label: 'Only direct' },
          ]}
          value={search.impersonated ?? null}
          onChange={(value) => set({ impersonated: value ?? undefined })}
        />
      </Group>
      <QueryView query={query} plane="control" isEmpty={(body) => body.items.length === 0} empty="No audit entries match.">
        {(body) => (
          <DataTable
            striped
            aria-label="Audit log"
            rows={body.items}
            rowKey={(entry) => entry.id}
            columns={[
              { header: 'At', cell: (entry) => when(entry.at) },
              {
                header: 'Actor',
                cell: (entry) => (
                  <>
                    {entry.actor.subject}
                    {entry.impersonated && (
                      <Badge variant="default" ml="xs" size="sm">
                        as {entry.impersonated.tenantId}
                      </Badge>
                    )}
                  </>
                ),
              },
              { header: 'Action', cell: (entry) => entry.action },
              { header: 'Target', cell: (entry) => entry.target },
              { header: 'Outcome', cell: (entry) => <>{entry.outcome} ({entry.status})</> },
            ]}
          />
        )}
      </QueryView>
    </>
  );
}
