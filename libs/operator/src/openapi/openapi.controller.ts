import { Controller, Get, Inject, NotFoundException, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from './swagger';
import { ThreadlineAuthorizeGuard } from '../authorize.guard';
import { OperatorExceptionFilter } from '../operator-exception.filter';
import { OperatorHeadersGuard } from '../operator-headers.guard';
import { THREADLINE_OPERATOR_OPTIONS } from '../operator.constants';
import type { ResolvedOperatorOptions } from '../operator.options';
import { OperatorOpenApi } from './operator-openapi';
import { OPENAPI_OFF } from '../operator.messages';

/** `GET <operator.path>/openapi.json`, only with `operator.openApi: true`, behind the same authorize as the data. */
@Controller()
@ApiExcludeController()
@UseGuards(OperatorHeadersGuard, ThreadlineAuthorizeGuard)
@UseFilters(OperatorExceptionFilter)
export class OpenApiController {
  constructor(
    @Inject(THREADLINE_OPERATOR_OPTIONS) private readonly options: ResolvedOperatorOptions,
    private readonly openApi: OperatorOpenApi,
  ) {}

  @Get('openapi.json')
  document() {
    if (!this.options.openApi) throw new NotFoundException(OPENAPI_OFF);
    return this.openApi.get();
  }
}
