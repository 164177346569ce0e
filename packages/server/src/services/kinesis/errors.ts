/**
 * The Data Streams API's errors: every code Kinesis answers with and the HTTP status AWS gives it,
 * mapped here and nowhere else. They are AwsErrors, so the gateway encodes them like any other.
 */
import { AwsError } from '@freshet/aws';
import type { KeyUnavailableError, KeyUnavailableReason } from '../../storage/types.js';

/** AWS error codes Freshet answers with, and the HTTP status AWS gives each. */
export const ERROR_STATUS = {
  AccessDeniedException: 400,
  ExpiredIteratorException: 400,
  ExpiredNextTokenException: 400,
  IncompleteSignatureException: 400,
  /** AWS's bare 500 (no message) for a few inputs it chokes on, e.g. a version-3 SequenceNumberForOrdering. */
  InternalFailure: 500,
  InternalFailureException: 500,
  InvalidArgumentException: 400,
  InvalidSignatureException: 400,
  KMSAccessDeniedException: 400,
  KMSDisabledException: 400,
  KMSInvalidStateException: 400,
  KMSNotFoundException: 400,
  KMSOptInRequired: 400,
  KMSThrottlingException: 400,
  LimitExceededException: 400,
  MissingAuthenticationTokenException: 400,
  ProvisionedThroughputExceededException: 400,
  RequestEntityTooLargeException: 413,
  ResourceInUseException: 400,
  ResourceNotFoundException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  UnrecognizedClientException: 400,
  ValidationException: 400,
} as const;

export type KinesisErrorCode = keyof typeof ERROR_STATUS;

/** An AwsError whose code is one Kinesis answers with. */
export class KinesisError extends AwsError {
  constructor(code: KinesisErrorCode, message: string | undefined, status: number = ERROR_STATUS[code], options?: { cause?: unknown }) {
    super(code, message, status, options);
  }
}

export const invalidArgument = (message: string) => new KinesisError('InvalidArgumentException', message);
export const resourceNotFound = (message: string) => new KinesisError('ResourceNotFoundException', message);
export const resourceInUse = (message: string) => new KinesisError('ResourceInUseException', message);
export const limitExceeded = (message: string) => new KinesisError('LimitExceededException', message);
export const expiredIterator = (message: string) => new KinesisError('ExpiredIteratorException', message);
export const expiredNextToken = (message: string) => new KinesisError('ExpiredNextTokenException', message);

const KMS_CODES: Record<KeyUnavailableReason, KinesisErrorCode> = {
  NotFound: 'KMSNotFoundException',
  Disabled: 'KMSDisabledException',
  InvalidState: 'KMSInvalidStateException',
  AccessDenied: 'KMSAccessDeniedException',
};

/** A master key that cannot be used, as Kinesis reports KMS's refusal: KMS's message under its KMS* code. */
export const kmsError = (err: KeyUnavailableError) => new KinesisError(KMS_CODES[err.reason], err.message, undefined, { cause: err });

/** The errno codes of a full store: no space left, or the quota spent. */
const STORE_FULL_CODES: Record<string, string> = { ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded' };

/**
 * The errno code when a storage failure is a full store, whatever the engine: the failure's own
 * `code`, or its cause's (the write's system error).
 */
export function storeFullCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    if (typeof e.code === 'string' && Object.hasOwn(STORE_FULL_CODES, e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/**
 * What PutRecord and PutRecords answer when the store is full: AWS's 500-class error, saying why
 * and that nothing of the request was stored (the storage refuses an append wholly), so that a
 * retry once space returns cannot duplicate records.
 */
export const storeFull = (code: string, cause: unknown) =>
  new KinesisError(
    'InternalFailureException',
    `The store is full (${code}: ${STORE_FULL_CODES[code]}): no record of this request was stored. Retry once space is freed.`,
    ERROR_STATUS.InternalFailureException,
    { cause },
  );

/**
 * A stream whose log has used up the sequence numbers' 63-bit index (8 TiB of log positions in the
 * local engine): AWS has no such limit, so it is a 500, saying why and that nothing was stored.
 */
export const sequenceNumbersExhausted = (stream: { name: string; account: string }) =>
  new KinesisError(
    'InternalFailureException',
    `Stream ${stream.name} under account ${stream.account} has used up its sequence numbers (its log reached 8 TiB): ` +
      'no record of this request was stored. Copy what you need to a new stream.',
  );
