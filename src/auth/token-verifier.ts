import { HttpStatus, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { Plane, Principal, Role, ROLES } from './principal';

const CLOCK_SKEW_SECONDS = 30;

function unauthenticated(message: string) {
  return new AppError('UNAUTHENTICATED', HttpStatus.UNAUTHORIZED, message);
}

/**
 * Verifies bearer JWTs with `jose`. The accepted algorithms are fixed by the key source (HS256 for a
 * shared secret, RS256/ES256 for JWKS), which rules out `alg: none` and HS/RS confusion.
 */
@Injectable()
export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly environment: Environment) {
    if (environment.ORCH_JWT_JWKS_URL) {
      // jose caches the key set and refetches on an unknown `kid`, which is how rotation arrives.
      this.key = createRemoteJWKSet(new URL(environment.ORCH_JWT_JWKS_URL), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      this.algorithms = ['RS256', 'ES256'];
    } else {
      this.key = new TextEncoder().encode(environment.ORCH_JWT_SHARED_SECRET ?? '');
      this.algorithms = ['HS256'];
    }
  }

  async verify(authorization: string | undefined, plane: Plane): Promise<Principal> {
    const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/.exec(authorization ?? '')?.[1];
    if (!token) throw unauthenticated('Send a bearer token: Authorization: Bearer <JWT>.');
    const audience = plane === 'control' ? this.environment.ORCH_JWT_AUDIENCE_CONTROL : this.environment.ORCH_JWT_AUDIENCE_EXEC;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        issuer: this.environment.ORCH_JWT_ISSUER,
        audience,
        algorithms: this.algorithms,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw unauthenticated(error instanceof joseErrors.JOSEError ? `The token was rejected (${error.code}).` : 'The token was rejected.');
    }
    const tenantId = payload['tenant_id'];
    if (typeof tenantId !== 'string' || !/^[\w.-]{1,64}$/.test(tenantId)) {
      throw unauthenticated('The token has no valid tenant_id claim.');
    }
    const roles = Array.isArray(payload['roles']) ? payload['roles'].filter((r): r is Role => ROLES.includes(r as Role)) : [];
    return { tenantId, subject: String(payload.sub), roles };
  }
}
