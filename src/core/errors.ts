/**
 * Named, user-actionable errors that survive a worker boundary.
 *
 * Every failure the user can see has a stable `name` (the UI and tests switch on it), a sentence
 * that says what to do, and structured `data` (numbers, file names) whose shape each name fixes
 * (`ErrorDataMap`): the constructor checks it, and `isAppError(e, name)` narrows it. Structured clone
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
  'ServerUnreachable',
  'CorsRefused',
  'LocalNetworkDenied',
  'MixedContent',
  'ServerBlockedByPolicy',
  'UnknownModel',
  'ServerRequestFailed',
  'Cancelled',
  'WorkerCrashed',
  'InvalidSettings',
  'UnsupportedFile',
  'EmptyFile',
  'PasswordProtectedPdf',
  'NoTextLayer',
  'OcrTimeout',
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

/** Where a model file came from: the model's id, the URL fetched, or both; the HTTP status when one answered. */
export type ModelFileData = { model: string; url?: string; status?: number } | { url: string; status?: number };

/**
 * The `data` each name carries, one entry per name (tests/unit/errors.test.ts checks the keys are
 * exactly ERROR_NAMES). `undefined` where a name carries none, or only sometimes carries some (then
 * `X | undefined`); a union where thrower sites differ in what they know. Only JSON-like values:
 * `data` crosses `postMessage` as it is.
 */
export interface ErrorDataMap {
  /** The model that needed it (web-llm's load); none when Settings asked for WebGPU and there is none. */
  WebGPUUnavailable: { model: string } | undefined;
  ModelNotFound: ModelFileData;
  ModelDownloadFailed: ModelFileData;
  ModelLoadFailed: { model: string };
  ModelLibraryUnavailable: { model: string; url?: string; status?: number };
  ModelNotSupported: { model: string };
  DeviceLost: { model: string };
  EngineNotLoaded: undefined;
  GenerationFailed: undefined;
  /** The numbers a caller needs to shorten the prompt: it is over by promptTokens + maxTokens - contextWindow. */
  ContextTooLong: { promptTokens: number; maxTokens: number; contextWindow: number };
  /**
   * The OpenAI-compatible server errors (src/generate/openai-engine.ts). `baseUrl` is the server's
   * API address as used (never with a key or credentials in it).
   */
  ServerUnreachable: { baseUrl: string };
  /** `origin`: the page's origin, the one the server must allow. */
  CorsRefused: { baseUrl: string; origin: string };
  /** `permission`: the browser permission found denied ('local-network', 'loopback-network' or 'local-network-access'). */
  LocalNetworkDenied: { baseUrl: string; permission: string };
  /** Refused before any request: `origin` is the https page's. */
  MixedContent: { baseUrl: string; origin: string };
  ServerBlockedByPolicy: { baseUrl: string };
  /** `available`: the ids the server lists (empty when it lists none or could not be asked again). */
  UnknownModel: { baseUrl: string; model: string; available: string[] };
  /** Any other refusal: the HTTP status when one came (a stream can fail without one), and the server's own message. */
  ServerRequestFailed: { baseUrl: string; status?: number; serverMessage: string };
  Cancelled: undefined;
  WorkerCrashed: undefined;
  /** How many settings are invalid (validate()); none for a CLI override naming no setting. */
  InvalidSettings: { count: number } | undefined;
  /** `kind`: what the bytes look like instead (e.g. 'a PNG image'), when sniffing recognised them. */
  UnsupportedFile: { file: string; kind?: string };
  EmptyFile: { file: string; format?: string };
  PasswordProtectedPdf: { file: string; reason: 'needed' | 'incorrect' };
  NoTextLayer: { file: string; pages: number };
  /** `what`: the page or image ("page 3 of “scan.pdf”"); `seconds`: the time limit. */
  OcrTimeout: { what: string; seconds: number };
  /** A document (`format` when it was recognised) or a line of an eval data set (qrels carry no file name). */
  CorruptFile: { file: string; format?: string; line?: number } | { line: number } | undefined;
  /** Sizes in bytes. */
  FileTooLarge: { file: string; size: number; limit: number };
  ParseTimeout: { file: string; seconds: number };
  /** The browser's estimate when storing documents; the model when storing a model's files. */
  StorageQuotaExceeded: { usage: number | null; quota: number | null } | { model: string };
  StorageUnavailable: undefined;
  StorageBlocked: undefined;
  /**
   * Which models (and vector lengths) disagree, as each thrower knows them: a bundle against the
   * app, vectors or a query against a dense index, vectors against the open library, or stored
   * vectors against their document (chunk count) or its sibling vectors (dimension).
   */
  EmbeddingModelMismatch:
    | { bundleModel: string; appModel: string }
    | { indexModel: string; indexDim: number; model: string | null; dim: number }
    | { model: string; expected: string }
    | { model: string; dim: number; values: number }
    | { model: string; expected: number; got: number };
  /** The file inside the bundle that is missing or damaged, or the newer format version met. */
  InvalidBundle: { file: string } | { version: number } | undefined;
  /** The file that was not what was asked for (a question set). */
  InvalidRequest: { file: string } | undefined;
  InternalError: undefined;
}

/** The data an error of this name carries. */
export type ErrorData<N extends ErrorName = ErrorName> = ErrorDataMap[N];

/** The names whose data may be `D`, e.g. every name a helper that only knows the model may throw. */
export type ErrorNameFor<D> = { [N in ErrorName]: D extends ErrorDataMap[N] ? N : never }[ErrorName];

/** After the message: data (required when the name always carries some), then the library's text. */
type DataArgs<N extends ErrorName> = undefined extends ErrorDataMap[N]
  ? [data?: ErrorDataMap[N], cause?: string]
  : [data: ErrorDataMap[N], cause?: string];

interface SerializedOf<N extends ErrorName> {
  name: N;
  message: string;
  data?: ErrorDataMap[N];
  /** The original library message, kept for the details view and bug reports. */
  cause?: string;
}

/** An error as it crosses `postMessage`; switching on `name` narrows `data`. */
export type SerializedError = { [N in ErrorName]: SerializedOf<N> }[ErrorName];

export class AppError<N extends ErrorName = ErrorName> extends Error {
  override readonly name: N;
  readonly data: ErrorDataMap[N];
  readonly causeText: string | undefined;

  constructor(name: N, message: string, ...[data, cause]: DataArgs<N>) {
    super(message);
    this.name = name;
    this.data = data as ErrorDataMap[N];
    this.causeText = cause;
  }

  toJSON(): SerializedError {
    const out: SerializedOf<ErrorName> = { name: this.name, message: this.message };
    if (this.data) out.data = this.data;
    if (this.causeText) out.cause = this.causeText;
    return out as SerializedError;
  }
}

/** Whether `e` is an AppError (of this name); with a name, `e.data` is that name's data. */
export function isAppError<N extends ErrorName>(e: unknown, name: N): e is AppError<N>;
export function isAppError(e: unknown): e is AppError;
export function isAppError(e: unknown, name?: ErrorName): boolean {
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
  // A name this build does not know (never, within one build) says nothing about its data's shape.
  if (!isErrorName(s.name)) return new AppError('InternalError', s.message, undefined, s.cause);
  return new AppError(s.name, s.message, s.data, s.cause);
}

export function cancelled(): AppError<'Cancelled'> {
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
