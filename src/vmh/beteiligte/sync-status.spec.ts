import { ValidationError, upstreamErrorForStatus } from '../../core/errors/upstream.errors.js';
import {
  autoResetFields,
  failureFields,
  isValidationFailure,
  waitsForRetry,
} from './sync-status.js';

const NOW = new Date('2025-03-01T10:00:00Z');

describe('failure schedule', () => {
  it.each([
    [0, 1, '2025-03-01 10:01:00'],
    [1, 2, '2025-03-01 10:05:00'],
    [2, 3, '2025-03-01 10:15:00'],
    [3, 4, '2025-03-01 11:00:00'],
  ])(
    'after %i earlier failures waits per 1/5/15/60 min (count %i, next %s)',
    (prev, count, next) => {
      expect(failureFields(prev, 'boom', false, NOW)).toEqual({
        syncStatus: 'failed',
        syncRetryCount: count,
        syncNextRetry: next,
        syncAutoResetAt: null,
        syncErrorMessage: 'boom',
      });
    },
  );

  it('turns the fifth failure into permanently_failed with an auto reset 24 h later', () => {
    expect(failureFields(4, 'boom', false, NOW)).toMatchObject({
      syncStatus: 'permanently_failed',
      syncRetryCount: 5,
      syncAutoResetAt: '2025-03-02 10:00:00',
    });
  });

  it('fails a validation error at once with its reason and schedules no retry', () => {
    expect(failureFields(0, 'name ist erforderlich', true, NOW)).toEqual({
      syncStatus: 'failed',
      syncRetryCount: 0,
      syncNextRetry: null,
      syncAutoResetAt: null,
      syncErrorMessage: 'validation: name ist erforderlich',
    });
  });

  it('auto-resets to failed, due now, counting from zero', () => {
    expect(autoResetFields(NOW)).toMatchObject({
      syncStatus: 'failed',
      syncRetryCount: 0,
      syncNextRetry: '2025-03-01 10:00:00',
    });
  });

  it('tells validation failures (ValidationError, Advoware 400) from others', () => {
    expect(isValidationFailure(new ValidationError('x'))).toBe(true);
    expect(isValidationFailure(upstreamErrorForStatus('advoware', 400, {}))).toBe(true);
    expect(isValidationFailure(upstreamErrorForStatus('advoware', 503, {}))).toBe(false);
  });
});

describe('waitsForRetry', () => {
  it('holds back a failed entity until syncNextRetry', () => {
    expect(
      waitsForRetry({ id: 'a', syncStatus: 'failed', syncNextRetry: '2025-03-01 10:05:00' }, NOW),
    ).toBe(true);
    expect(
      waitsForRetry({ id: 'a', syncStatus: 'failed', syncNextRetry: '2025-03-01 09:59:00' }, NOW),
    ).toBe(false);
  });

  it('never holds back a user change (EspoCRM set dirty)', () => {
    expect(
      waitsForRetry({ id: 'a', syncStatus: 'dirty', syncNextRetry: '2025-03-01 10:05:00' }, NOW),
    ).toBe(false);
  });

  it('holds back a validation failure until the user changes the record', () => {
    expect(
      waitsForRetry(
        { id: 'a', syncStatus: 'failed', syncNextRetry: null, syncErrorMessage: 'validation: x' },
        NOW,
      ),
    ).toBe(true);
  });
});
