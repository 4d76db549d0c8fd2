import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, Observable } from 'rxjs';

/**
 * Names the job a request was about on its request log line (`jobId`, `workflowId`; the logging
 * module adds `tenantId` and the span's `traceId`), so one grep finds a job's lines in api and worker.
 */
export function logAboutJob(response: Response, job: { id: string; workflowId: string }): void {
  response.locals.logFields = { jobId: job.id, workflowId: job.workflowId };
}

/** For handlers that return a job (GET /jobs/:id, cancel, replay): the job in the body is the one. */
@Injectable()
export class JobLogFields implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((body: unknown) => {
        const job = body as { id?: unknown; workflowId?: unknown } | undefined;
        if (typeof job?.id === 'string' && typeof job.workflowId === 'string') logAboutJob(response, { id: job.id, workflowId: job.workflowId });
        return body;
      }),
    );
  }
}
