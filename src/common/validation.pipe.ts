import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from './app-error';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

const OPTIONAL_BODY = 'orchestrator:optional-body';

/** Marks a body DTO whose whole body may be left out (the document then says `required: false`). */
export const OptionalBody = (): ClassDecorator => (target) => Reflect.defineMetadata(OPTIONAL_BODY, true, target);

export function isOptionalBody(dto: unknown): boolean {
  return typeof dto === 'function' && Reflect.getMetadata(OPTIONAL_BODY, dto) === true;
}

/**
 * DTO validation: unknown fields are rejected, every problem is listed by field, and a body the
 * route requires must be sent (JsonBodyMiddleware leaves `body` undefined when none came).
 */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === undefined && metadata.metatype && !isOptionalBody(metadata.metatype)) {
      throw AppError.validation([{ field: 'body', message: 'is required: send a JSON object' }], 'The request needs a JSON body.');
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => AppError.validation(flatten(errors)),
  });
}
