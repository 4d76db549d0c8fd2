/**
 * The baseline's only activity: the same downstream call the platform's http connector makes
 * (POST, JSON body, Idempotency-Key, JSON answer read in full), with nothing else around it.
 */
import { Context } from '@temporalio/activity';

export interface CallInput {
  url: string;
  body: Record<string, unknown>;
}

export interface CallResult {
  status: number;
}

export const activities = {
  async callDownstream({ url, body }: CallInput): Promise<CallResult> {
    const { info } = Context.current();
    const workflowId = info.workflowExecution?.workflowId ?? info.activityId;
    const response = await fetch(url, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': `${workflowId}:1` },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    await response.json();
    if (!response.ok) throw new Error(`The downstream answered HTTP ${response.status}.`);
    return { status: response.status };
  },
};

export type BaselineActivities = typeof activities;
