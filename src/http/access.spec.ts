import { Controller, Get, Post } from '@nestjs/common';
import { Roles } from './access.js';

describe('Roles', () => {
  it('refuses a controller with a route whose access is not declared', () => {
    expect(() => {
      @Roles({ list: 'Viewer' })
      @Controller('things')
      class ThingsController {
        @Get() list() {}
        @Post() create() {}
      }
      return ThingsController;
    }).toThrow(/ThingsController must declare the role of each route: missing \[create\]/);
  });

  it('refuses a declared name that is no route, such as a typo', () => {
    expect(() => {
      @Roles({ list: 'Viewer', craete: 'Operator' })
      @Controller('things')
      class ThingsController {
        @Get() list() {}
      }
      return ThingsController;
    }).toThrow(/not routes \[craete\]/);
  });
});
