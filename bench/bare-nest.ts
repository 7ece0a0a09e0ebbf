import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/**
 * The ceiling of the HTTP benchmarks: a Nest route on Express answering, from memory, the same JSON body the
 * Sluice route it stands beside answers (captured by the bench into the file SLUICE_BARE_BODIES), so the
 * difference is Sluice's own work: authentication, the read store, mapping and content negotiation.
 */
const bodies = JSON.parse(readFileSync(process.env.SLUICE_BARE_BODIES!, 'utf8')) as Record<string, unknown>;

@Controller()
class BareController {
  @Get('bare/:name')
  bare(@Param('name') name: string) {
    if (!(name in bodies)) throw new NotFoundException();
    return bodies[name];
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const app = await NestFactory.create(BareModule, { logger: false });
await app.listen(Number(process.env.PORT));
