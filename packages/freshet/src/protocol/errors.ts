/**
 * AWS-shaped errors. Every failure the server reports is a KinesisError: an AWS error code
 * (`__type` on the wire), a message and an HTTP status, mapped here and nowhere else.
 */

/** AWS error codes Freshet answers with, and the HTTP status AWS gives each. */
export const ERROR_STATUS = {
  AccessDeniedException: 400,
  ExpiredIteratorException: 400,
  ExpiredNextTokenException: 400,
  IncompleteSignatureException: 400,
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

export type ErrorCode = keyof typeof ERROR_STATUS;

export class KinesisError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** AWS omits `message` for some errors (a bare SerializationException, say). */
  readonly hasMessage: boolean;

  constructor(code: ErrorCode, message: string | undefined, status: number = ERROR_STATUS[code]) {
    super(message ?? code);
    this.code = code;
    this.status = status;
    this.hasMessage = message !== undefined;
  }
}

export const invalidArgument = (message: string) => new KinesisError('InvalidArgumentException', message);
export const resourceNotFound = (message: string) => new KinesisError('ResourceNotFoundException', message);
export const resourceInUse = (message: string) => new KinesisError('ResourceInUseException', message);
export const limitExceeded = (message: string) => new KinesisError('LimitExceededException', message);
export const validationError = (message: string) => new KinesisError('ValidationException', message);
export const serializationError = (message?: string) => new KinesisError('SerializationException', message);
export const expiredIterator = (message: string) => new KinesisError('ExpiredIteratorException', message);
export const expiredNextToken = (message: string) => new KinesisError('ExpiredNextTokenException', message);
