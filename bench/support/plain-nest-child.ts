import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The intake's reference: a plain NestJS app on the hub's adapter (Express), one
 * controller with one POST returning a small object, and nothing else: no global
 * middleware, pipes, guards or interceptors, Nest's default body parsing. It answers
 * on the webhook's path with 200 and an answer the size of the hub's, so the
 * requests and responses on the wire are the same as the intake's.
 */
@Controller('vmh/webhook/document')
class PlainController {
  @Post('update')
  @HttpCode(200)
  receive(): { status: string; action: string; new_ids_count: number; total_ids_in_batch: number } {
    return { status: 'received', action: 'plain', new_ids_count: 1, total_ids_in_batch: 1 };
  }
}

@Module({ controllers: [PlainController] })
class PlainModule {}

export type PlainToParent = { type: 'ready'; port: number } | { type: 'failed'; message: string };

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(PlainModule, {
    logger: ['fatal', 'error', 'warn'],
  });
  await app.listen(0, '127.0.0.1');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 5000).unref();
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('message', (m) => {
    if ((m as { type?: string }).type === 'stop') void stop();
  });
  const { port } = app.getHttpServer().address() as { port: number };
  process.send?.({ type: 'ready', port } satisfies PlainToParent);
}

main().catch((err: unknown) => {
  process.send?.({
    type: 'failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  } satisfies PlainToParent);
  process.exit(1);
});
