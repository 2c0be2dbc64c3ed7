/**
 * Named, user-actionable errors that survive a worker boundary.
 *
 * Every failure the user can see has a stable `name` (the UI and tests switch on it), a sentence
 * that says what to do, and optional structured `data` (numbers, file names). Structured clone
 * drops custom Error subclasses and their fields, so errors cross `postMessage` as plain
 * `SerializedError` objects and are rebuilt on the other side.
 */

export const ERROR_NAMES = [
  'WebGPUUnavailable',
  'ModelNotFound',
  'ModelDownloadFailed',
  'ModelLoadFailed',
  'ModelLibraryUnavailable',
  'ModelNotSupported',
  'DeviceLost',
  'EngineNotLoaded',
  'GenerationFailed',
  'ContextTooLong',
  'Cancelled',
  'WorkerCrashed',
  'InvalidSettings',
  'UnsupportedFile',
  'EmptyFile',
  'PasswordProtectedPdf',
  'NoTextLayer',
  'CorruptFile',
  'FileTooLarge',
  'ParseTimeout',
  'StorageQuotaExceeded',
  'StorageUnavailable',
  'StorageBlocked',
  'EmbeddingModelMismatch',
  'InvalidBundle',
  'InvalidRequest',
  'InternalError',
] as const;

export type ErrorName = (typeof ERROR_NAMES)[number];

export type ErrorData = Record<string, string | number | boolean | null>;

export interface SerializedError {
  name: ErrorName;
  message: string;
  data?: ErrorData;
  /** The original library message, kept for the details view and bug reports. */
  cause?: string;
}

export class AppError extends Error {
  override readonly name: ErrorName;
  readonly data: ErrorData | undefined;
  readonly causeText: string | undefined;

  constructor(name: ErrorName, message: string, data?: ErrorData, cause?: string) {
    super(message);
    this.name = name;
    this.data = data;
    this.causeText = cause;
  }

  toJSON(): SerializedError {
    const out: SerializedError = { name: this.name, message: this.message };
    if (this.data) out.data = this.data;
    if (this.causeText) out.cause = this.causeText;
    return out;
  }
}

export function isAppError(e: unknown, name?: ErrorName): e is AppError {
  return e instanceof AppError && (name === undefined || e.name === name);
}

function isErrorName(s: unknown): s is ErrorName {
  return typeof s === 'string' && (ERROR_NAMES as readonly string[]).includes(s);
}

/** Text of any thrown value; web-llm's worker throws plain strings, for instance. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || String(e);
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof AppError) return e.toJSON();
  if (e instanceof DOMException && e.name === 'AbortError') {
    return { name: 'Cancelled', message: 'Cancelled.' };
  }
  return {
    name: 'InternalError',
    message: `Something went wrong inside ragscope: ${errorText(e)}. Reload the page; if it happens again, report it with this message.`,
    cause: errorText(e),
  };
}

export function deserializeError(s: SerializedError): AppError {
  const name = isErrorName(s.name) ? s.name : 'InternalError';
  return new AppError(name, s.message, s.data, s.cause);
}

export function cancelled(): AppError {
  return new AppError('Cancelled', 'Cancelled.');
}

/** Throws `Cancelled` when the signal has fired; call between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

/**
 * Races work against cancellation. Library calls that cannot be stopped midway (a model download)
 * keep running and their result is kept for the next caller; this caller is released at once.
 */
export function unlessCancelled<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
