import { Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { AppError } from '../common/app-error';
import { Environment } from '../config/environment';
import { Plane, Principal, Role, ROLES } from './principal';

/** Tolerated difference between our clock and the issuer's, for `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 30;
/** Anything longer is not a token we issued (and not worth parsing). */
const MAX_TOKEN_LENGTH = 8_192;
/** RFC 6750 §2.1: the scheme is case-insensitive; the token is three base64url segments. */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
const TENANT_ID = /^[\w.-]{1,64}$/;

export const HMAC_ALGORITHMS = ['HS256'];
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'];

/** Why a token was refused, in words a caller can act on; never echoes the token. */
const REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'The token has expired.',
  ERR_JOSE_ALG_NOT_ALLOWED: 'The token is signed with an algorithm this API does not accept.',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'The token signature is invalid.',
  ERR_JWKS_NO_MATCHING_KEY: 'No signing key matches the token.',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'The token does not name its signing key (kid).',
  ERR_JWS_INVALID: 'The token is malformed.',
  ERR_JWT_INVALID: 'The token is malformed.',
  ERR_JOSE_NOT_SUPPORTED: 'The token uses an unsupported algorithm or key.',
};

export function unauthenticated(message: string) {
  return new AppError('UNAUTHENTICATED', message);
}

/** The key source (JWKS endpoint) could not be read: not the caller's fault, so 503 rather than 401. */
class KeySourceUnavailable extends Error {}

/**
 * Verifies bearer JWTs with `jose` (SPEC §4). The accepted algorithms are fixed by the configured key
 * source — HS256 for a shared secret, RS256/ES256 for JWKS — so `alg: none` and algorithm confusion
 * (an HS256 token "signed" with the public key, or an RS256 token against the secret) are refused
 * before any key is used. `iss` must match, `aud` must contain the audience of the route's plane, and
 * `exp` is required; `exp`/`nbf`/`iat` are checked with a small clock skew.
 */
@Injectable()
export class TokenVerifier {
  private readonly logger = new Logger(TokenVerifier.name);
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly environment: Environment) {
    if (environment.ORCH_JWT_JWKS_URL) {
      // jose caches the key set (refetched after cacheMaxAge) and refetches at once on an unknown `kid`
      // (at most every cooldown), which is how a rotated key arrives. Its fetches time out after 5 s.
      const remote = createRemoteJWKSet(new URL(environment.ORCH_JWT_JWKS_URL), {
        cooldownDuration: environment.ORCH_JWT_JWKS_COOLDOWN_SECONDS * 1000,
        cacheMaxAge: environment.ORCH_JWT_JWKS_CACHE_SECONDS * 1000,
        timeoutDuration: 5_000,
      });
      this.key = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys || error instanceof joseErrors.JOSENotSupported) {
            throw error;
          }
          this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot read the JWKS');
          throw new KeySourceUnavailable();
        }
      };
      this.algorithms = ASYMMETRIC_ALGORITHMS;
    } else {
      this.key = new TextEncoder().encode(environment.ORCH_JWT_SHARED_SECRET ?? '');
      this.algorithms = HMAC_ALGORITHMS;
    }
  }

  audienceOf(plane: Plane): string | undefined {
    return plane === 'control' ? this.environment.ORCH_JWT_AUDIENCE_CONTROL : this.environment.ORCH_JWT_AUDIENCE_EXEC;
  }

  async verify(authorization: string | undefined, plane: Plane): Promise<Principal> {
    if (!authorization) throw unauthenticated('Send a bearer token: Authorization: Bearer <JWT>.');
    const token = authorization.length <= MAX_TOKEN_LENGTH + 10 ? BEARER.exec(authorization)?.[1] : undefined;
    if (!token) throw unauthenticated('The Authorization header is not a bearer JWT.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        issuer: this.environment.ORCH_JWT_ISSUER,
        audience: this.audienceOf(plane),
        algorithms: this.algorithms,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof KeySourceUnavailable) {
        throw AppError.dependencyUnavailable('jwks', 'The signing keys could not be fetched; retry later.');
      }
      throw unauthenticated(describe(error, plane));
    }
    const tenantId = payload['tenant_id'];
    if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) {
      throw unauthenticated('The token has no valid tenant_id claim.');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
      throw unauthenticated('The token has no valid sub claim.');
    }
    const claimed = payload['roles'];
    if (claimed !== undefined && !(Array.isArray(claimed) && claimed.every((role) => typeof role === 'string'))) {
      throw unauthenticated('The roles claim must be an array of strings.');
    }
    // Unknown roles grant nothing; they are dropped rather than refused so issuers may add their own.
    const roles = [...new Set((claimed ?? []).filter((role): role is Role => ROLES.includes(role as Role)))];
    return { tenantId, subject: payload.sub, roles };
  }
}

function describe(error: unknown, plane: Plane): string {
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `The token is not meant for the ${plane} plane (aud).`;
    if (error.claim === 'nbf') return 'The token is not valid yet (nbf).';
    return `The token's "${error.claim}" claim is not acceptable.`;
  }
  if (error instanceof joseErrors.JOSEError) return REASONS[error.code] ?? 'The token was rejected.';
  return 'The token was rejected.';
}
