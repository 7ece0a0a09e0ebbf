import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/** The ceiling of the HTTP benchmarks: one Nest route on Express answering a job-sized JSON document from memory. */
const JOB = {
  id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  name: 'Nightly',
  type: 'Standard',
  source_connection_id: null,
  destination_connection_id: null,
  tasks: Array.from({ length: 10 }, (_, i) => ({ id: `task-${i}`, query: `REPLICATE [t${i}]`, is_active: true, index: i })),
};

@Controller()
class BareController {
  @Get('bare')
  bare() {
    return JOB;
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const app = await NestFactory.create(BareModule, { logger: false });
await app.listen(Number(process.env.PORT));
