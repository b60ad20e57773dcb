import { createHmac, randomUUID } from 'node:crypto';

/** Everything the security gateway needs to issue a token (CONTRACTS.md, Advoware). */
export interface AdvowareCredentials {
  appId: string;
  kanzlei: string;
  database: string;
  user: string;
  password: string;
  role: number;
  product: number;
  /** Base64, as the vendor hands it out; the HMAC key is its decoded bytes. */
  apiKey: string;
}

export interface AdvowareTokenRequest {
  AppID: string;
  Kanzlei: string;
  Database: string;
  User: string;
  Role: number;
  Product: number;
  Password: string;
  Nonce: string;
  HMAC512Signature: string;
  RequestTimeStamp: string;
}

/** `base64(hmacSha512(base64Decode(apiKey), "{Product}:{AppID}:{Nonce}:{RequestTimeStamp}"))`. */
export function advowareSignature(
  apiKeyBase64: string,
  product: number,
  appId: string,
  nonce: string,
  requestTimeStamp: string,
): string {
  const key = Buffer.from(apiKeyBase64, 'base64');
  return createHmac('sha512', key)
    .update(`${product}:${appId}:${nonce}:${requestTimeStamp}`, 'utf8')
    .digest('base64');
}

/** The token request body; nonce and time are parameters so the function stays pure. */
export function buildTokenRequest(
  credentials: AdvowareCredentials,
  nonce: string,
  requestTimeStamp: string,
): AdvowareTokenRequest {
  return {
    AppID: credentials.appId,
    Kanzlei: credentials.kanzlei,
    Database: credentials.database,
    User: credentials.user,
    Role: credentials.role,
    Product: credentials.product,
    Password: credentials.password,
    Nonce: nonce,
    HMAC512Signature: advowareSignature(
      credentials.apiKey,
      credentials.product,
      credentials.appId,
      nonce,
      requestTimeStamp,
    ),
    RequestTimeStamp: requestTimeStamp,
  };
}

/** A fresh request: new UUID nonce (the gateway refuses a reused one) and the current UTC time. */
export function newTokenRequest(
  credentials: AdvowareCredentials,
  now: Date = new Date(),
): AdvowareTokenRequest {
  return buildTokenRequest(credentials, randomUUID(), now.toISOString());
}

export interface AdvowareTokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  expiration_utc?: unknown;
}

/**
 * Reads the expiry out of the gateway's answer: `expires_in` seconds, or (some
 * deployments) an absolute `expiration_utc`. Undefined when neither is usable.
 */
export function tokenExpiresAt(
  answer: AdvowareTokenAnswer,
  receivedAtMs: number,
): number | undefined {
  const seconds = Number(answer.expires_in);
  if (
    answer.expires_in !== undefined &&
    answer.expires_in !== null &&
    Number.isFinite(seconds) &&
    seconds > 0
  ) {
    return receivedAtMs + seconds * 1000;
  }
  if (typeof answer.expiration_utc === 'string') {
    // A time without zone is UTC by the field's name.
    const s = answer.expiration_utc;
    const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
    if (Number.isFinite(at)) return at;
  }
  return undefined;
}
