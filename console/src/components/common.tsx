import { Alert, Badge, Button, Center, Code, Group, Loader, Modal, Spoiler, Stack, Table, Text, Title, type TableProps } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { UseQueryResult } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { ApiProblem } from '../api/client';
import { useApp } from '../context';

const PERMISSION_HINT: Record<string, string> = {
  control: 'Control-plane pages need a role that reads the control plane (admin, operator or viewer).',
  exec: 'Job pages need a role that reads the exec plane (executor, viewer, operator or admin).',
};

/** An error as the api gave it: problem+json `title` and `detail`, its `code`, and what a 403 means. */
export function ProblemAlert({ error, plane }: { error: unknown; plane?: 'control' | 'exec' }) {
  const { session } = useApp();
  if (!(error instanceof ApiProblem)) {
    return (
      <Alert color="red" title="Something went wrong" role="alert">
        {error instanceof Error ? error.message : String(error)}
      </Alert>
    );
  }
  return (
    <Alert color={error.status === 403 ? 'orange' : 'red'} title={error.status === 403 ? `Access refused: ${error.title}` : error.title} role="alert">
      <Stack gap={4}>
        {error.detail && <Text size="sm">{error.detail}</Text>}
        {error.status === 403 && (
          <Text size="sm">
            {plane ? PERMISSION_HINT[plane] : 'Your roles do not allow this.'} You are signed in with the roles: {session.roles.join(', ') || 'none'}.
          </Text>
        )}
        {error.errors.length > 0 && (
          <ul>
            {error.errors.map((item) => (
              <li key={`${item.field}:${item.message}`}>
                <Text size="sm">
                  <Code>{item.field}</Code> {item.message}
                </Text>
              </li>
            ))}
          </ul>
        )}
        <Text size="xs" c="dimmed">
          HTTP {error.status}
          {error.code ? ` · ${error.code}` : ''}
          {error.requestId ? ` · request ${error.requestId}` : ''}
        </Text>
      </Stack>
    </Alert>
  );
}

/** Loading, error and empty states of one query, then its content. */
export function QueryView<T>({
  query,
  plane,
  empty,
  isEmpty,
  children,
}: {
  query: UseQueryResult<T>;
  plane?: 'control' | 'exec';
  empty?: ReactNode;
  isEmpty?: (value: T) => boolean;
  children: (value: T) => ReactNode;
}) {
  if (query.isPending)
    return (
      <Center p="lg" role="status" aria-label="Loading">
        <Loader />
      </Center>
    );
  if (query.isError) return <ProblemAlert error={query.error} plane={plane} />;
  if (isEmpty?.(query.data))
    return (
      <Text c="dimmed" p="md">
        {empty ?? 'Nothing here yet.'}
      </Text>
    );
  return <>{children(query.data)}</>;
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md">
      <Title order={1} size="h2">
        {children}
      </Title>
      {actions && <Group>{actions}</Group>}
    </Group>
  );
}

const STATUS_COLOURS: Record<string, string> = {
  queued: 'gray',
  running: 'blue',
  waiting: 'yellow',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'gray',
  timed_out: 'red',
  closed: 'green',
  open: 'red',
  half_open: 'yellow',
  routed: 'green',
  ignored: 'gray',
};

export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <Badge color={STATUS_COLOURS[status] ?? 'gray'} variant="dot" styles={{ label: { overflow: 'visible' } }}>
      {label ?? status.replace('_', ' ')}
    </Badge>
  );
}

/** Pretty JSON; a large value starts collapsed. */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const block = (
    <Code block aria-label={label} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
      {text}
    </Code>
  );
  if (text.length < 1_500) return block;
  return (
    <Spoiler maxHeight={160} showLabel="Show all" hideLabel="Collapse">
      {block}
    </Spoiler>
  );
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Red at shade 8 is below WCAG AA contrast against white; destructive buttons use 9. */
function shade(color: string | undefined): string | undefined {
  return color === 'red' ? 'red.9' : color;
}

/** A button that asks before it acts; shows the api's problem when the action fails. */
export function ConfirmButton({
  label,
  title,
  message,
  confirmLabel,
  color,
  onConfirm,
  variant,
}: {
  label: string;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  color?: string;
  variant?: string;
  onConfirm: () => Promise<unknown>;
}) {
  const [opened, { open, close }] = useDisclosure(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <Button color={shade(color)} variant={variant ?? 'filled'} onClick={open}>
        {label}
      </Button>
      <Modal opened={opened} onClose={close} title={title}>
        <Stack>
          <Text>{message}</Text>
          {error !== null && <ProblemAlert error={error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              color={shade(color)}
              loading={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await onConfirm();
                  close();
                } catch (failure) {
                  setError(failure);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {confirmLabel ?? label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** Parses a JSON text field; the message names the problem for the field's error slot. */
export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: text.trim() === '' ? undefined : JSON.parse(text) };
  } catch (error) {
    return { error: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** One column of a DataTable: its header and what a row shows in it. */
export interface Column<T> {
  header: ReactNode;
  cell: (row: T) => ReactNode;
}

/** The list table every page uses: a header row from the columns, one row per item. */
export function DataTable<T>({ rows, rowKey, columns, ...table }: { rows: T[]; rowKey: (row: T) => string | number; columns: Column<T>[] } & TableProps) {
  return (
    <Table {...table}>
      <Table.Thead>
        <Table.Tr>
          {columns.map((column, index) => (
            <Table.Th key={index}>{column.header}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={rowKey(row)}>
            {columns.map((column, index) => (
              <Table.Td key={index}>{column.cell(row)}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
