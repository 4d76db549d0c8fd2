/**
 * Which slice of src/ owns each table that migrations/ create: only a table's owners mention it in
 * SQL; any other slice asks an owner's exported service. `readers` lets a slice *read* (never write)
 * the table inside its own statements, each with its reason. Checked by
 * scripts/check-table-owners.mjs in `npm run lint`; a new table without an entry fails it too.
 */
export const TABLE_OWNERS = {
  jobs: {
    owners: ['jobs', 'worker'],
    why: 'the api accepts, lists and cancels jobs (src/jobs); the worker records attempts and ends hanging jobs (src/worker/job-ledger, job-reconciler: worker-only adapters)',
    readers: {
      events: "events carry no submitter or connector: an executor's events and a connector's recent failures filter on the job row in one statement",
      'payload-store': 'a content-addressed object is deleted only when no job or inbox row references its key: one statement over both tables',
    },
  },
  idempotency_keys: { owners: ['jobs'] },
  events: { owners: ['events'] },
  event_sequences: { owners: ['events'] },
  connectors: { owners: ['connectors'] },
  policies: { owners: ['policies'] },
  policy_versions: { owners: ['policies'] },
  configs: { owners: ['configs'] },
  config_activations: { owners: ['configs'] },
  secret_refs: { owners: ['secrets'] },
  webhook_inbox: {
    owners: ['webhooks'],
    readers: { 'payload-store': 'a content-addressed object is deleted only when no job or inbox row references its key: one statement over both tables' },
  },
  operator_audit_log: { owners: ['audit'] },
};
