import { Alert, AppShell, Badge, Button, Group, NavLink, Stack, Text, TextInput, Title } from '@mantine/core';
import { Outlet, useLocation, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useApp } from '../context';
import { setActingAs } from '../session';

const PAGES = [
  { to: '/', label: 'Overview' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/connectors', label: 'Connectors' },
  { to: '/policies', label: 'Policies' },
  { to: '/configs', label: 'Configs' },
  { to: '/dlq', label: 'DLQ' },
  { to: '/inbox', label: 'Webhook inbox' },
  { to: '/audit', label: 'Audit' },
  { to: '/secrets', label: 'Secret refs' },
] as const;

function TenantPicker() {
  const { session } = useApp();
  const [tenant, setTenant] = useState(session.actingAs ?? '');
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        setActingAs(tenant.trim() || null);
        window.location.reload();
      }}
    >
      <Group gap="xs" align="end">
        <TextInput size="xs" label="Act as tenant" value={tenant} onChange={(event) => setTenant(event.currentTarget.value)} placeholder={session.tenant} />
        <Button size="xs" type="submit">
          Apply
        </Button>
      </Group>
    </form>
  );
}

export function Layout() {
  const { session } = useApp();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'xs' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={2} size="h4">
            Orchestrator console
          </Title>
          <Group gap="sm">
            {session.roles.includes('platform-admin') && <TenantPicker />}
            <Text size="sm" aria-label="Signed in as">
              {session.subject} · tenant {session.actingAs ?? session.tenant}
            </Text>
            {session.roles.map((role) => (
              <Badge key={role} variant="default" size="sm">
                {role}
              </Badge>
            ))}
            {session.token && (
              <Button size="xs" variant="default" onClick={() => void session.signOut()}>
                Sign out
              </Button>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Pages">
        {PAGES.map((page) => {
          const active = page.to === '/' ? pathname === '/' : pathname.startsWith(page.to);
          return (
            <NavLink
              key={page.to}
              href={page.to}
              label={page.label}
              active={active}
              aria-current={active ? 'page' : undefined}
              onClick={(event) => {
                event.preventDefault();
                void navigate({ to: page.to });
              }}
            />
          );
        })}
      </AppShell.Navbar>
      <AppShell.Main>
        <Stack>
          {session.actingAs && (
            <Alert color="grape" title="Impersonating" role="status">
              Every call acts as tenant <strong>{session.actingAs}</strong> and is audited with your own identity ({session.subject}).
            </Alert>
          )}
          <Outlet />
        </Stack>
      </AppShell.Main>
    </AppShell>
  );
}
