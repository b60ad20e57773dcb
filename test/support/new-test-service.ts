import { jest } from '@jest/globals';
import type { InjectionToken, Provider, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppConfig } from '../../src/config/app-config.js';
import { testConfig } from './test-env.js';

/**
 * A service spec's subject with every constructor dependency auto-mocked (as immich's
 * `newTestService`): each class the service injects becomes an object whose methods
 * (own and inherited) are `jest.fn()`. AppConfig is real (`testConfig()`), since a
 * service's branches depend on its values and a mocked config would answer `undefined`.
 *
 * A test names the mocks it works with, and gets them typed:
 *
 *   const { sut, mocks } = await newTestService(BeteiligteSyncService, {
 *     espocrm: EspoCrmClient,
 *     advoware: AdvowareClient,
 *   });
 *   mocks.espocrm.get.mockResolvedValue(record);
 *
 * Dependencies left unnamed are mocked all the same. Naming a class the service does
 * not inject throws: setting up such a mock would silently test nothing.
 *
 * Only classes are mocked. A dependency injected by a string or symbol token (REDIS)
 * must be given in `providers`, or the helper throws: Redis, Bull and Redlock are
 * never mocked in this repository (STYLE.md), a spec passes a real connection.
 */

export type Mocks<M extends Record<string, Type<object>>> = {
  [K in keyof M]: jest.Mocked<InstanceType<M[K]>>;
};

export interface TestService<S, M extends Record<string, Type<object>>> {
  sut: S;
  mocks: Mocks<M>;
  config: AppConfig;
  module: TestingModule;
}

export interface TestServiceOptions {
  /** Defaults to `testConfig()`. */
  config?: AppConfig;
  /** Real providers, used instead of a mock (e.g. `{ provide: REDIS, useValue: redis }`). */
  providers?: Provider[];
}

/** A `for await` source for an async-generator method: `mockImplementation(() => asyncItems(a, b))`. */
export async function* asyncItems<T>(...items: T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

export async function newTestService<
  S,
  M extends Record<string, Type<object>> = Record<never, never>,
>(
  service: Type<S>,
  named: M = {} as M,
  options: TestServiceOptions = {},
): Promise<TestService<S, M>> {
  const deps = constructorTokens(service);
  for (const [name, cls] of Object.entries(named)) {
    if (!deps.includes(cls))
      throw new Error(
        `newTestService: ${service.name} does not inject ${cls.name} (mocks.${name}); ` +
          `it injects ${deps.map(tokenName).join(', ')}`,
      );
  }

  const config = options.config ?? testConfig();
  const created = new Map<InjectionToken, object>();
  const module = await Test.createTestingModule({
    providers: [service, { provide: AppConfig, useValue: config }, ...(options.providers ?? [])],
  })
    .useMocker((token) => {
      if (typeof token !== 'function')
        throw new Error(
          `newTestService: ${service.name} injects ${tokenName(token)}, which is not a class; ` +
            'pass a real one in options.providers (Redis, Bull and Redlock are never mocked)',
        );
      const mock = autoMock(token as Type<object>);
      created.set(token, mock);
      return mock;
    })
    .compile();

  const mocks = Object.fromEntries(
    Object.entries(named).map(([name, cls]) => {
      const mock = created.get(cls);
      if (!mock)
        throw new Error(
          `newTestService: mocks.${name} (${cls.name}) was given a real provider, not a mock`,
        );
      return [name, mock];
    }),
  ) as Mocks<M>;
  return { sut: module.get(service), mocks, config, module };
}

/** Every method of the class and its ancestors as a `jest.fn()` answering undefined. */
export function autoMock<T extends object>(cls: Type<T>): jest.Mocked<T> {
  const mock: Record<string, unknown> = {};
  for (
    let proto: object | null = cls.prototype as object;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key in mock) continue;
      // Accessors are left out: calling a real getter on a mock would run real code.
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (typeof value === 'function') mock[key] = jest.fn().mockName(`${cls.name}.${key}`);
    }
  }
  return mock as jest.Mocked<T>;
}

/** The constructor's injection tokens: its parameter types, with `@Inject(token)` overrides. */
function constructorTokens(service: Type<unknown>): unknown[] {
  const types = (Reflect.getMetadata('design:paramtypes', service) ?? []) as unknown[];
  const declared = (Reflect.getMetadata('self:paramtypes', service) ?? []) as Array<{
    index: number;
    param: unknown;
  }>;
  const tokens = [...types];
  for (const d of declared) tokens[d.index] = d.param;
  return tokens;
}

function tokenName(token: unknown): string {
  if (typeof token === 'function') return token.name;
  return String(token);
}
