import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AppError,
  deserializeError,
  ERROR_NAMES,
  isAppError,
  serializeError,
  type ErrorData,
  type ErrorDataMap,
  type ErrorName,
  type ErrorNameFor,
  type SerializedError,
} from '../../src/core/errors';

// The type checks below run in `npm run check` (tsc reads the tests); vitest only runs the rest.
describe('error data typed by name', () => {
  it('has one data entry per error name, no more', () => {
    expectTypeOf<keyof ErrorDataMap>().toEqualTypeOf<ErrorName>();
    expect(new Set(ERROR_NAMES).size).toBe(ERROR_NAMES.length);
  });

  it('checks data against the name at construction', () => {
    const e = new AppError('ContextTooLong', 'Too long.', { promptTokens: 600, maxTokens: 64, contextWindow: 512 });
    expectTypeOf(e.data.promptTokens).toEqualTypeOf<number>();
    new AppError('Cancelled', 'Cancelled.');
    new AppError('InvalidSettings', 'Some settings are not valid: x.', { count: 1 });
    new AppError('InvalidSettings', 'There is no setting called x.');
    // @ts-expect-error ContextTooLong always carries its token counts.
    new AppError('ContextTooLong', 'Too long.');
    // @ts-expect-error the fields are the name's own.
    new AppError('FileTooLarge', 'Too big.', { file: 'a.pdf', size: 2 });
    // @ts-expect-error a name without data takes none.
    new AppError('Cancelled', 'Cancelled.', { why: 'because' });
    expectTypeOf<ErrorData<'Cancelled'>>().toEqualTypeOf<undefined>();
  });

  it('narrows data with isAppError(e, name)', () => {
    const thrown: unknown = new AppError('ParseTimeout', '“a.pdf” was still being read after 30 s and was skipped.', {
      file: 'a.pdf',
      seconds: 30,
    });
    expect(isAppError(thrown, 'ParseTimeout')).toBe(true);
    expect(isAppError(thrown, 'Cancelled')).toBe(false);
    expect(isAppError(thrown)).toBe(true);
    expect(isAppError(new Error('x'))).toBe(false);
    if (isAppError(thrown, 'ParseTimeout')) {
      expectTypeOf(thrown.data).toEqualTypeOf<{ file: string; seconds: number }>();
      expect(thrown.data.seconds).toBe(30);
    }
  });

  it('lists for a helper the names whose data it can fill', () => {
    expectTypeOf<ErrorNameFor<{ model: string }>>().toEqualTypeOf<
      | 'WebGPUUnavailable'
      | 'ModelNotFound'
      | 'ModelDownloadFailed'
      | 'ModelLoadFailed'
      | 'ModelLibraryUnavailable'
      | 'ModelNotSupported'
      | 'DeviceLost'
      | 'StorageQuotaExceeded'
    >();
  });

  it('keeps name, message, data and cause through serializeError and deserializeError', () => {
    const e = new AppError('NoTextLayer', '“scan.pdf” has no text layer.', { file: 'scan.pdf', pages: 3 }, 'pdf.js said so');
    const s = structuredClone(serializeError(e));
    expect(s).toEqual({
      name: 'NoTextLayer',
      message: '“scan.pdf” has no text layer.',
      data: { file: 'scan.pdf', pages: 3 },
      cause: 'pdf.js said so',
    });
    if (s.name === 'NoTextLayer') expectTypeOf(s.data).toEqualTypeOf<{ file: string; pages: number } | undefined>();
    const back = deserializeError(s);
    expect(back).toBeInstanceOf(AppError);
    expect(back).toMatchObject({ name: 'NoTextLayer', message: e.message, data: e.data, causeText: 'pdf.js said so' });
    expect(serializeError(new AppError('Cancelled', 'Cancelled.'))).toEqual({ name: 'Cancelled', message: 'Cancelled.' });
  });

  it('turns a name it does not know into InternalError without its data', () => {
    const s = { name: 'FromTheFuture', message: 'Something new.', data: { x: 1 } } as unknown as SerializedError;
    const back = deserializeError(s);
    expect(back.name).toBe('InternalError');
    expect(back.message).toBe('Something new.');
    expect(back.data).toBeUndefined();
  });
});
