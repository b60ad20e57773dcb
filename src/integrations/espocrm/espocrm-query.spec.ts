import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../../core/errors/upstream.errors.js';
import { espoPath, espoSearchParams } from './espocrm-query.js';

describe('espoSearchParams', () => {
  it('sends nothing for no parameters', () => {
    expect(espoSearchParams()).toEqual({});
    expect(espoSearchParams({ where: [], select: [] })).toEqual({});
  });

  it('puts every parameter into one searchParams JSON, keeping value types', () => {
    const q = espoSearchParams({
      where: [
        { type: 'isTrue', attribute: 'istAktiv' },
        {
          type: 'or',
          value: [
            { type: 'equals', attribute: 'betnr', value: 4711 },
            { type: 'in', attribute: 'syncStatus', value: [] },
            { type: 'equals', attribute: 'advowareLastSync', value: null },
          ],
        },
      ],
      select: ['id', 'name'],
      orderBy: 'createdAt',
      order: 'asc',
      maxSize: 200,
      offset: 400,
    });
    expect(Object.keys(q)).toEqual(['searchParams']);
    expect(JSON.parse(q.searchParams)).toEqual({
      where: [
        { type: 'isTrue', attribute: 'istAktiv' },
        {
          type: 'or',
          value: [
            { type: 'equals', attribute: 'betnr', value: 4711 },
            { type: 'in', attribute: 'syncStatus', value: [] },
            { type: 'equals', attribute: 'advowareLastSync', value: null },
          ],
        },
      ],
      select: ['id', 'name'],
      orderBy: 'createdAt',
      order: 'asc',
      maxSize: 200,
      offset: 400,
    });
  });

  it.each([0, 201, 1.5, -1])('refuses maxSize %p, which EspoCRM would refuse', (maxSize) => {
    expect(() => espoSearchParams({ maxSize })).toThrow(ValidationError);
  });

  it('refuses a negative offset', () => {
    expect(() => espoSearchParams({ offset: -20 })).toThrow(ValidationError);
  });
});

describe('espoPath', () => {
  it('encodes each segment so an id cannot change the route', () => {
    expect(espoPath('CDokumente', '../Account/x?y=1', 'dokumente')).toBe(
      'CDokumente/..%2FAccount%2Fx%3Fy%3D1/dokumente',
    );
  });
});
