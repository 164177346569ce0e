/**
 * The one error type of every AWS API: a code (`__type` on the JSON wire, `Code` in XML), a
 * message and an HTTP status. Services throw AwsErrors (or subclasses naming their own codes);
 * each protocol's codec writes them in its own shape.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** AWS omits `message` for some errors (a bare SerializationException, say). */
  readonly hasMessage: boolean;
  /** awsQuery and restXml say whose fault an error is: `Sender` (4xx) or `Receiver` (5xx). */
  get fault(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }

  constructor(code: string, message: string | undefined, status = 400, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.code = code;
    this.status = status;
    this.hasMessage = message !== undefined;
  }
}

export const validationError = (message: string) => new AwsError('ValidationException', message);
export const serializationError = (message?: string) => new AwsError('SerializationException', message);
export const internalFailure = (cause?: unknown) => new AwsError('InternalFailureException', 'Internal service failure.', 500, { cause });

/**
 * Whether an error says the body could not be read at all (a bare SerializationException: not
 * JSON or CBOR, not an object), as opposed to a member of the wrong type or an invalid value. AWS
 * refuses an unreadable body before it looks at the signature, and the rest after.
 */
export const isUnreadableBody = (err: unknown): boolean =>
  err instanceof AwsError && err.code === 'SerializationException' && !err.hasMessage;
